"""Browser tests: an administrator takes both B2C services from not activated to active."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from b2cportal.companies.models import Role
from tests.factories import make_branch, make_company, make_member, make_register_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _also_simulator_operator(user):
    """The demo plays the network side too: that takes the simulator operator permission."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="simulator", codename="operate_network")
    )
    return user


def test_admin_activates_the_norwegian_service(page, login, monkeypatch):
    company = make_company(country="NO", name="Fjordtech AS", organisation_number="923609016")
    make_branch(company=company, branch_id="MAIN", name="Oslo", is_main_office=True)
    admin = _also_simulator_operator(
        make_member(company=company, role=Role.ADMINISTRATOR, username="admin_no")
    )
    login(admin)
    page.get_by_role("link", name="Settings").first.click()
    expect(page.get_by_test_id("b2cno-status")).to_have_text("Not activated")

    # One bad input first: a BBAN with a wrong check digit keeps the dialog open with the error.
    page.get_by_test_id("b2cno-activate").click()
    page.fill("#id_signer_name", "Kari Nordmann")
    page.fill("#id_signer_email", "kari@example.no")
    page.check("#id_use_agreement_capture")
    page.fill("#id_capture_bban", "8601.11.17948")
    page.get_by_test_id("activate-ok").click()
    modal = page.get_by_test_id("activate-modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("The check digit is wrong.")
    assert not mail.outbox

    page.fill("#id_capture_bban", "8601.11.17947")
    page.get_by_test_id("activate-ok").click()
    expect(page.get_by_test_id("b2cno-status")).to_have_text(
        "Awaiting acceptance of the terms of service"
    )
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+(/settings/terms/\S+/)", mail.outbox[0].body).group(1)

    # The signer opens the link from the email (no login needed) and accepts. The answer does
    # not wait for the network: here the queued submission is lost, as with a broker outage.
    monkeypatch.setattr("b2cportal.companies.services.norway._queue_submission", lambda a: None)
    page.goto(link)
    expect(page.locator(".simulated-badge").first).to_be_visible()
    page.get_by_test_id("accept-terms").click()
    expect(page.get_by_test_id("terms-accepted")).to_contain_text("being sent to AutoInvoice")

    page.goto("/settings/")
    expect(page.get_by_test_id("b2cno-status")).to_have_text("Activating")
    expect(page.get_by_test_id("b2cno-being-sent")).to_contain_text("being sent to AutoInvoice")
    # The periodic poll sends it; the open page notices and shows the next step by itself.
    from b2cportal.companies import services

    services.poll_pending_activations()
    expect(page.get_by_test_id("b2cno-expected")).to_contain_text("one working day")
    expect(page.get_by_test_id("b2cno-being-sent")).to_have_count(0)

    # The simulated network confirms; the app learns it through its polling task.
    page.goto("/simulator/activations/")
    page.get_by_test_id("complete-now").click()
    page.goto("/settings/")
    button = page.get_by_test_id("b2cno-active-button")
    expect(button).to_be_disabled()
    expect(button).to_have_text(re.compile("The service is active"))
    expect(page.get_by_test_id("b2cno-capture")).to_contain_text("8601.11.17947")
    expect(page.get_by_test_id("history")).to_contain_text("Network confirmed the service")
    # The consumer e-invoice service setting now names the activated service.
    expect(page.locator("#id_consumer_einvoice_service")).to_have_value("autoinvoice_b2c")


def test_admin_activates_the_swedish_service(page, login, monkeypatch):
    company = make_company(country="SE", name="Svea Handel AB", organisation_number="5560169095")
    make_branch(company=company, branch_id="MAIN", name="Stockholm", is_main_office=True)
    make_register_entry(company=company, name="Svea Handel Aktiebolag")
    admin = _also_simulator_operator(
        make_member(company=company, role=Role.ADMINISTRATOR, username="admin_se")
    )
    login(admin)
    page.goto("/settings/")
    page.get_by_test_id("open-b2cse").click()

    # Bad Bankgiro check digit: the field says so.
    page.check("input[name=account_type][value=bankgiro]")
    page.fill("#id_account_number", "5050-1056")
    page.get_by_test_id("b2cse-submit").click()
    expect(page.locator("#id_account_number")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_test_id("b2cse-form")).to_contain_text("The check digit is wrong.")

    # Correct number, but the company name differs from the register: both names are shown
    # (checked by the queued task after the click; here the task runs at once).
    page.fill("#id_account_number", "5050-1055")
    page.get_by_test_id("b2cse-submit").click()
    # Shown once, with both names, and a way out: the company page, where an administrator
    # corrects the name and comes straight back.
    refusal = page.get_by_test_id("b2cse-name-error")
    expect(refusal).to_contain_text(
        "Registered name: Svea Handel Aktiebolag, company name: Svea Handel AB"
    )
    expect(page.get_by_text("Registered name: Svea Handel Aktiebolag")).to_have_count(1)
    expect(page.get_by_test_id("b2cse-form-error")).to_have_count(0)
    refusal.get_by_test_id("correct-company-name").click()
    expect(page.locator("#id_name")).to_have_value("Svea Handel AB")
    page.fill("#id_name", "Svea Handel Aktiebolag")
    page.get_by_test_id("save-company").click()
    expect(page).to_have_url(re.compile(r"/settings/b2cse/$"))
    # Bankgiro is chosen by default.
    expect(page.locator("input[name=account_type][value=bankgiro]")).to_be_checked()
    page.fill("#id_account_number", "5050-1055")
    # The click does not wait for the network: here its task is lost (a broker outage).
    with monkeypatch.context() as lost:
        lost.setattr("b2cportal.companies.services.sweden._queue", lambda *args: None)
        page.get_by_test_id("b2cse-submit").click()
        expect(page.get_by_test_id("b2cse-being-sent")).to_contain_text("being sent to Maventa")
    expect(page.get_by_test_id("b2cse-status")).to_have_text("Not activated")
    expect(page.get_by_test_id("b2cse-submit")).to_have_count(0)
    # The periodic poll sends it; the open page notices and shows the answer by itself.
    from b2cportal.companies import services

    services.poll_pending_activations()
    expect(page.get_by_test_id("b2cse-status")).to_have_text("Activation pending")
    expect(page.get_by_test_id("b2cse-pending")).to_contain_text("up to one week")
    expect(page.get_by_test_id("b2cse-being-sent")).to_have_count(0)

    page.goto("/simulator/activations/")
    page.get_by_test_id("complete-now").click()
    # The view polled at once: the simulator already shows the request active, no Celery needed.
    expect(page.get_by_test_id("simulator-requests")).to_contain_text("Active")
    expect(page.get_by_test_id("complete-now")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("the app polled it: active.")
    page.goto("/settings/b2cse/")
    expect(page.get_by_test_id("b2cse-status")).to_have_text("Active")
    expect(page.get_by_test_id("b2cse-fui")).to_have_text(
        re.compile(r"^005560169095\.\d{11}\.BGC\.SE$")
    )
    expect(page.get_by_test_id("b2cse-onboarding")).to_be_visible()

    # One more receiving account under the FUI.
    page.select_option("#id_account_type", "plusgiro")
    page.fill("#id_account_number", "44985-0")
    page.get_by_test_id("add-account").click()
    expect(page.get_by_test_id("b2cse-accounts")).to_contain_text("PlusGiro 44985-0")


def test_accountant_sees_settings_read_only(page, login):
    company = make_company(country="NO")
    make_branch(company=company, branch_id="MAIN", name="Oslo", is_main_office=True)
    login(make_member(company=company, role=Role.ACCOUNTANT, username="acc"))
    page.goto("/settings/")
    expect(page.get_by_test_id("read-only-values")).to_be_visible()
    expect(page.get_by_test_id("save-settings")).to_have_count(0)
    expect(page.get_by_test_id("b2cno-activate")).to_have_count(0)
