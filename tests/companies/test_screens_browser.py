"""Browser tests for the settings screens: each main path and one bad input."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from b2cportal.companies import services
from b2cportal.companies.models import (
    AutoInvoiceSettings,
    CustomerLedgerPreferences,
    NorwayActivationStatus,
    NorwayB2CActivation,
    Role,
    SwedenReceivingAccount,
)
from tests.factories import make_branch, make_company, make_member, make_register_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INVALID = re.compile("is-invalid")


def _norwegian_admin():
    company = make_company(country="NO", name="Fjordtech AS", organisation_number="923609016")
    branch = make_branch(company=company, branch_id="MAIN", name="Oslo", is_main_office=True)
    admin = make_member(company=company, role=Role.ADMINISTRATOR, username="admin_no")
    return company, branch, admin


def test_ledger_preferences_refuse_kid_positions_outside_the_kid_then_save(page, login):
    company, _branch, admin = _norwegian_admin()
    login(admin)
    page.goto("/settings/ledger/")
    page.fill("#id_kid_length", "10")
    page.fill("#id_kid_customer_number_start", "2")
    page.fill("#id_kid_customer_number_end", "12")
    page.get_by_test_id("save-ledger").click()
    expect(page.locator("#id_kid_customer_number_end")).to_have_class(INVALID)
    expect(page.get_by_test_id("ledger-form")).to_contain_text(
        "The customer number must lie within the KID length (10 digits)"
    )
    assert not CustomerLedgerPreferences.objects.filter(company=company, kid_length=10).exists()

    page.fill("#id_kid_customer_number_end", "7")
    page.get_by_test_id("save-ledger").click()
    expect(page.get_by_text("The customer ledger preferences were saved.")).to_be_visible()
    prefs = CustomerLedgerPreferences.objects.get(company=company)
    assert (prefs.kid_length, prefs.kid_customer_number_start, prefs.kid_customer_number_end) == (
        10,
        2,
        7,
    )
    expect(page.get_by_test_id("history")).to_contain_text("admin_no")


def test_branch_altinn_refuses_a_bad_phone_then_saves(page, login):
    company, branch, admin = _norwegian_admin()
    make_branch(company=company, branch_id="BGO", name="Bergen")
    login(admin)
    page.goto("/settings/branches/")
    table = page.get_by_test_id("branch-list")
    expect(table).to_contain_text("Bergen")
    table.get_by_role("link", name="MAIN").click()
    page.fill("#id_rf1301_contact_name", "Ola Nordmann")
    page.fill("#id_rf1301_contact_phone", "12")
    page.fill("#id_rf1301_contact_email", "ola@example.no")
    page.get_by_test_id("save-altinn").click()
    expect(page.locator("#id_rf1301_contact_phone")).to_have_class(INVALID)
    branch.refresh_from_db()
    assert branch.rf1301_contact_name == ""

    page.fill("#id_rf1301_contact_phone", "22 12 34 56")
    page.get_by_test_id("save-altinn").click()
    expect(page.get_by_text("The Altinn settings were saved.")).to_be_visible()
    branch.refresh_from_db()
    assert branch.rf1301_contact_phone == "+4722123456"
    page.goto("/settings/branches/")
    expect(page.get_by_test_id("branch-list")).to_contain_text("Ola Nordmann")


def _awaiting_terms(branch, admin) -> str:
    activation = services.request_norway_activation(
        branch=branch, acting_user=admin, signer_name="Kari", signer_email="kari@example.no"
    )
    return f"/settings/terms/{services.terms_token(activation)}/"


def test_terms_link_accepted_once_then_reused_shows_the_clear_page(page, login):
    _company, branch, admin = _norwegian_admin()
    link = _awaiting_terms(branch, admin)
    page.goto(link)
    page.get_by_test_id("accept-terms").click()
    expect(page.get_by_test_id("terms-accepted")).to_be_visible()
    assert NorwayB2CActivation.objects.get(branch=branch).status == "activating"

    page.goto(link)
    error = page.get_by_test_id("terms-link-error")
    expect(error).to_have_attribute("data-reason", "used")
    expect(error).to_contain_text("already been used")
    expect(page.get_by_test_id("accept-terms")).to_have_count(0)


def test_expired_terms_link_shows_the_clear_page(page, settings):
    _company, branch, admin = _norwegian_admin()
    link = _awaiting_terms(branch, admin)
    settings.B2CNO_TERMS_LINK_MAX_AGE_SECONDS = -1  # any link is now older than allowed
    page.goto(link)
    error = page.get_by_test_id("terms-link-error")
    expect(error).to_have_attribute("data-reason", "expired")
    expect(error).to_contain_text("This link has expired")
    expect(page.get_by_test_id("accept-terms")).to_have_count(0)
    activation = NorwayB2CActivation.objects.get(branch=branch)
    assert activation.status == NorwayActivationStatus.AWAITING_TERMS


def test_autoinvoice_settings_refuse_a_bad_contact_email_then_save(page, login):
    _company, branch, admin = _norwegian_admin()
    login(admin)
    page.goto("/settings/")
    form = page.get_by_test_id("autoinvoice-form")
    page.fill("#id_contact_person", "Per Hansen")
    page.fill("#id_contact_email", "per(at)example")
    page.get_by_test_id("save-settings").click()
    expect(page.locator("#id_contact_email")).to_have_class(INVALID)
    assert not AutoInvoiceSettings.objects.filter(branch=branch, contact_person="Per Hansen")

    page.fill("#id_contact_email", "per@example.no")
    page.get_by_test_id("save-settings").click()
    expect(page.get_by_text("The AutoInvoice settings were saved.")).to_be_visible()
    expect(form).to_be_visible()
    saved = AutoInvoiceSettings.objects.get(branch=branch)
    assert (saved.contact_person, saved.contact_email) == ("Per Hansen", "per@example.no")
    expect(page.get_by_test_id("history")).to_contain_text("per@example.no")


def _plusgiro(n: int) -> str:
    from stdnum import luhn

    return f"{n}{luhn.calc_check_digit(str(n))}"


def test_b2cse_receiving_accounts_duplicate_and_the_100th_refused(page, login, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    company = make_company(country="SE", name="Svea Handel AB", organisation_number="5560169095")
    branch = make_branch(company=company, branch_id="MAIN", name="Stockholm", is_main_office=True)
    make_register_entry(company=company)
    admin = make_member(company=company, role=Role.ADMINISTRATOR, username="admin_se")
    activation = services.poll_activation_status(
        activation=services.submit_sweden_activation(
            branch=branch, acting_user=admin, account_type="bankgiro", account_number="5050-1055"
        )
    )
    assert activation.status == "active"
    login(admin)
    page.goto("/settings/b2cse/")
    form = page.get_by_test_id("add-account-form")

    # Bad: the activation's own account again.
    form.locator("select[name=account_type]").select_option("bankgiro")
    page.fill("#id_account_number", "5050-1055")
    page.get_by_test_id("add-account").click()
    expect(page.locator("#id_account_number")).to_have_class(INVALID)
    expect(page.get_by_test_id("add-account-form")).to_contain_text("already registered")

    # Main path: a PlusGiro account is added and listed.
    page.get_by_test_id("add-account-form").locator("select[name=account_type]").select_option(
        "plusgiro"
    )
    page.fill("#id_account_number", "4-2")
    page.get_by_test_id("add-account").click()
    # Added at the network by the queued task (run at once here): listed, nothing pending.
    expect(page.get_by_test_id("b2cse-accounts")).to_contain_text("PlusGiro 4-2")
    expect(page.get_by_test_id("b2cse-account-being-added")).to_have_count(0)

    # 99 accounts under the FUI (1 + 98 extra): the next one is refused on its field.
    SwedenReceivingAccount.objects.bulk_create(
        SwedenReceivingAccount(
            activation=activation, account_type="plusgiro", account_number=_plusgiro(1000 + n)
        )
        for n in range(97)
    )
    assert services.accounts_under_fui(activation.fui) == 99
    page.goto("/settings/b2cse/")
    page.get_by_test_id("add-account-form").locator("select[name=account_type]").select_option(
        "plusgiro"
    )
    page.fill("#id_account_number", _plusgiro(7000))
    page.get_by_test_id("add-account").click()
    expect(page.locator("#id_account_number")).to_have_class(INVALID)
    expect(page.get_by_test_id("add-account-form")).to_contain_text("99 accounts")
    assert services.accounts_under_fui(activation.fui) == 99
