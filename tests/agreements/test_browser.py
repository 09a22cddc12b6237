"""Browser: e-invoice on a Norwegian customer -> SMS -> simulated bank accepts -> tab ACTIVE."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from agreements.models import ConsumerAgreement
from simulator.models import OutboundMessage
from tests.factories import make_customer

from .conftest import CAPTURE_BBAN, activate_norway

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _operator(user=None):
    """A simulator operator (the network's side of the demo); `user` gains the permission."""
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    user = user or make_user(username="network-operator")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="simulator", codename="operate_network")
    )
    return user


@pytest.fixture
def norwegian_setup(company_no, accountant_no):
    branch = company_no.branches.get(is_main_office=True)
    activate_norway(branch)
    customer = make_customer(
        company=company_no,
        number="10001",
        name="Kari Nordmann",
        email="kari@example.no",
        phone_2="+4791234567",
        address_line1="Storgata 1",
        postcode="0155",
        city="Oslo",
    )
    return customer


def test_accountant_enables_einvoice_consumer_accepts_by_sms_link(
    page, login, accountant_no, norwegian_setup
):
    customer = norwegian_setup
    login(accountant_no)
    # 1. The accountant turns on e-invoice (Norway) on the customer and saves.
    page.goto(f"/customers/{customer.pk}/edit/")
    page.get_by_test_id("tab-invoicing").click()
    page.locator("#id_einvoice_norway").check()
    page.get_by_test_id("customer-save").click()
    expect(page.get_by_test_id("customer-einvoice")).to_have_text("Yes")
    # 2. On the customer's agreements tab, the agreement request goes out (by SMS). If saving
    # already sent it, the button says so and sends nothing twice.
    page.goto(f"/agreements/customer/{customer.pk}/")
    expect(page.get_by_test_id("agreement-warning")).to_be_visible()
    page.get_by_test_id("send-request").click()
    expect(page.get_by_test_id("agreement-status")).to_have_attribute("data-status", "REQUEST_SENT")
    sms = OutboundMessage.objects.get(channel="sms", recipient="+4791234567")
    assert sms.link in sms.body
    # 3. The consumer opens the SMS link in the simulated online bank and accepts.
    page.goto(urlsplit(sms.link).path)
    expect(page.get_by_test_id("simulated-bank")).to_contain_text("Simulated online bank")
    expect(page.get_by_test_id("simulated-badge")).to_be_visible()
    page.get_by_test_id("bank-accept").click()
    expect(page.get_by_test_id("bank-result")).to_contain_text("You accepted")
    # 4. The customer's tab (Other invoice settings) shows ACTIVE with the history.
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_role("tab", name="Other invoice settings").click()
    tab = page.get_by_test_id("agreements-tab")
    expect(tab.get_by_test_id("agreement-status")).to_have_text("Active")
    history = tab.get_by_test_id("agreement-event")
    expect(history).to_have_count(4)  # NEW, REQUEST_SENT, ACCEPTED, ACTIVE
    expect(history.nth(0)).to_contain_text("Accepted")
    expect(history.nth(0)).to_contain_text("Active")
    expect(history.nth(0)).not_to_contain_text("ACTIVE")
    expect(tab.get_by_test_id("agreement-source")).to_have_text("Request by SMS")
    expect(tab.get_by_test_id("agreement-warning")).to_have_count(0)
    assert ConsumerAgreement.objects.get().status == "ACTIVE"


def test_bad_inputs_are_refused_clearly(page, login, accountant_no, company_no, norwegian_setup):
    # A forged bank link is not a page.
    login(accountant_no)
    response = page.goto("/simulator/consumers/bank/forged/")
    assert response.status == 404
    # A customer without mobile or email cannot be asked: clear message, nothing created.
    nobody = make_customer(company=company_no, number="10002", name="Uten Kontakt")
    page.goto(f"/agreements/customer/{nobody.pk}/")
    page.get_by_test_id("send-request").click()
    expect(page.locator(".alert-danger")).to_contain_text("neither a mobile number nor an email")
    assert not ConsumerAgreement.objects.filter(customer=nobody).exists()


def test_capture_payment_with_bad_kid_then_good_kid(
    page, login, live_server, settings, company_no, norwegian_setup
):
    login(_operator())
    # The invitation link is absolute (SITE_URL); point it at the test server.
    settings.SITE_URL = live_server.url
    activate_norway(
        company_no.branches.get(is_main_office=True),
        use_agreement_capture=True,
        capture_bban=CAPTURE_BBAN,
    )
    page.goto("/simulator/consumers/ocr-payment/")
    page.fill("#id_account", CAPTURE_BBAN)
    page.fill("#id_kid", "100010000047")
    page.fill("#id_amount", "250")
    page.fill("#id_payer_name", "Kari Nordmann")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("ocr-error")).to_contain_text("wrong check digit")
    page.fill("#id_kid", "100010000048")
    page.get_by_role("button", name="Pay").click()
    page.get_by_test_id("capture-invitation").click()
    page.get_by_test_id("bank-accept").click()
    expect(page.get_by_test_id("bank-result")).to_contain_text("You accepted")
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.status, agreement.source) == ("ACTIVE", "agreement_capture")


def test_support_searches_and_filters_the_agreement_list(
    page, login, support_no, company_no, norwegian_setup
):
    branch = company_no.branches.get(is_main_office=True)
    ConsumerAgreement.objects.create(
        customer=norwegian_setup,
        branch=branch,
        network="NO_EFAKTURA",
        status="REQUEST_SENT",
        reference="10001",
        source="request_sms",
    )
    login(support_no)
    page.goto("/agreements/")
    expect(page.get_by_test_id("status-counts")).to_contain_text("Request sent: 1")
    page.fill("#id_q", "Kari")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("agreement-list-row")).to_have_count(1)
    page.select_option("#id_status", "ACTIVE")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("no-results")).to_be_visible()
    # Bad input: a status that does not exist is named as an error, not silently applied.
    page.goto("/agreements/?status=BOGUS")
    expect(page.locator("#id_status").locator("..").locator(".invalid-feedback")).to_be_visible()


def test_swedish_consumer_joins_and_cancels_on_the_onboarding_page(page, login, company_se):
    from .conftest import FUI, activate_sweden

    login(_operator())

    activate_sweden(company_se.branches.get())
    make_customer(company=company_se, number="20001", name="Sven", national_id="198112289874")
    page.goto(f"/simulator/consumers/onboarding/{FUI}/")
    expect(page.get_by_test_id("simulated-badge")).to_be_visible()
    # Bad input first: not a personal identity number.
    page.fill("#id_join-ssn", "12345")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_test_id("fmi-join")).to_contain_text("10 or 12 digits")
    page.fill("#id_join-ssn", "811228-9874")
    page.select_option("#id_join-bank_id", "SHB")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_test_id("fmi-list")).to_contain_text("198112289874.SHB.SE")
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.status, agreement.reference) == ("ACTIVE", "198112289874.SHB.SE")
    page.get_by_test_id("fmi-cancel").click()
    expect(page.locator(".alert-success")).to_contain_text("cancelled")
    agreement.refresh_from_db()
    assert agreement.status == "DELETED"


def test_jtta_directory_entry_then_check_now(page, login, accountant_no, norwegian_setup):
    customer = norwegian_setup
    login(_operator(accountant_no))
    page.goto("/simulator/consumers/efaktura/")
    page.fill("#id_national_id", "123")
    page.fill("#id_name", "Kari Nordmann")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("receiver-form")).to_contain_text("11 digits")
    page.fill("#id_national_id", "")
    page.fill("#id_mobile", "912 34 567")
    page.fill("#id_postcode", "0155")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("receiver-table")).to_contain_text("+4791234567")
    page.goto(f"/agreements/customer/{customer.pk}/")
    page.get_by_test_id("check-now").click()
    expect(page.get_by_test_id("agreement-status")).to_have_text("Active")
    expect(page.get_by_test_id("agreement-source")).to_have_text("Ja takk til alle (JTTA)")
    expect(page.get_by_test_id("agreement-history")).to_contain_text("mobile, name, postcode")


def test_consumer_opens_the_request_from_the_network_simulator_menu(
    page, login, accountant_no, norwegian_setup
):
    customer = norwegian_setup
    login(accountant_no)
    # The accountant turns on e-invoice (Norway); saving sends the agreement request.
    page.goto(f"/customers/{customer.pk}/edit/")
    page.get_by_test_id("tab-invoicing").click()
    page.locator("#id_einvoice_norway").check()
    page.get_by_test_id("customer-save").click()
    expect(page.get_by_test_id("customer-einvoice")).to_have_text("Yes")
    # The simulated consumer finds the request under Network simulator -> Consumers, without
    # the Django admin.
    page.get_by_test_id("simulator-menu").locator(".dropdown-toggle").click()
    page.get_by_role("link", name="Consumers: online bank").click()
    requests = page.get_by_test_id("simulated-agreement-requests")
    expect(requests.locator(".simulated-badge")).to_be_visible()
    row = requests.get_by_test_id("simulated-request").filter(has_text="+4791234567")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kari Nordmann")
    row.get_by_role("link", name="Open in the simulated online bank").click()
    expect(page.get_by_test_id("simulated-bank")).to_contain_text("Simulated online bank")
    page.get_by_test_id("bank-accept").click()
    expect(page.get_by_test_id("bank-result")).to_contain_text("You accepted")
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_role("tab", name="Other invoice settings").click()
    tab = page.get_by_test_id("agreements-tab")
    expect(tab.get_by_test_id("agreement-status")).to_have_attribute("data-status", "ACTIVE")
    expect(tab.get_by_test_id("agreement-status")).to_have_text("Active")
    assert ConsumerAgreement.objects.get().status == "ACTIVE"


def test_simulator_consumer_page_bad_bank_link_is_404(page, login, accountant_no):
    login(accountant_no)
    response = page.goto("/simulator/consumers/bank/forged-token/")
    assert response.status == 404
