"""Customers (AR303000) in a real browser: create with a bad national ID, fix it, e-invoice."""

import pytest
from playwright.sync_api import expect

from b2cportal.customers.models import Customer
from tests.factories import NO_FODSELSNUMMER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_customer_fix_the_national_id_and_try_einvoice(page, login, accountant_no):
    login(accountant_no)
    with page.expect_navigation():
        page.click("text=Customers")
    with page.expect_navigation():
        page.click("[data-testid=customer-create]")
    page.fill("#id_number", "5001")
    page.fill("#id_name", "Kari Nordmann")
    page.fill("#id_national_id", "150765 00566")  # wrong check digit
    page.fill("#id_address_line1", "Storgata 1")
    page.fill("#id_postcode", "0155")
    page.fill("#id_city", "Oslo")
    # The e-invoice option is not offered before the first save.
    page.click("[data-testid=tab-invoicing]")
    assert page.locator("#id_einvoice_norway").count() == 0
    assert page.locator("[data-testid=einvoice-after-save]").is_visible()
    with page.expect_navigation():
        page.click("[data-testid=customer-save]")

    # Back on the form, the General tab is open and the error sits on the national ID field.
    field = page.locator("#id_national_id")
    assert field.is_visible()
    assert "is-invalid" in field.get_attribute("class")
    assert "check digit" in page.locator("#error_1_id_national_id").inner_text()
    assert page.locator("[data-testid=tab-general-errors]").inner_text() == "1"
    assert page.locator("#id_name").input_value() == "Kari Nordmann"  # nothing lost
    assert not Customer.objects.exists()

    field.fill(NO_FODSELSNUMMER)
    with page.expect_navigation():
        page.click("[data-testid=customer-save]")
    page.wait_for_selector("[data-testid=customer-title]")
    assert "Customer 5001 Kari Nordmann created." in page.content()
    customer = Customer.objects.get(number="5001")
    assert customer.national_id == NO_FODSELSNUMMER

    # Switch on e-invoice (Norway) with neither email nor mobile: refused, on the field.
    with page.expect_navigation():
        page.click("[data-testid=customer-edit]")
    page.click("[data-testid=tab-invoicing]")
    page.check("#id_einvoice_norway")
    with page.expect_navigation():
        page.click("[data-testid=customer-save]")
    error = page.locator("#error_1_id_einvoice_norway")
    assert error.is_visible()  # the Invoicing settings tab opened by itself
    assert "mobile number" in error.inner_text()
    customer.refresh_from_db()
    assert customer.einvoice_norway is False

    # With a mobile number in the ledger's mobile field (phone 2) it is accepted.
    page.fill("#id_phone_2", "912 34 567")
    page.check("#id_einvoice_norway")
    with page.expect_navigation():
        page.click("[data-testid=customer-save]")
    page.wait_for_selector("[data-testid=customer-title]")
    customer.refresh_from_db()
    assert customer.einvoice_norway is True
    assert customer.phone_2 == "+4791234567"

    # The History tab: the creation (national ID masked) and the accepted change only.
    page.click("[data-testid=tab-history]")
    history = page.locator("#tab-history [data-testid=history]")
    expect(history).to_be_visible()
    expect(history.locator("tr[data-action='customer.updated']")).to_have_count(1)
    created = history.locator("tr[data-action='customer.created']")
    expect(created).to_contain_text("National identity number: - → 150765*****")
    assert NO_FODSELSNUMMER not in history.inner_text()


def test_search_and_filter_the_list(page, login, accountant_no, company_no):
    from tests.factories import make_customer

    make_customer(company=company_no, name="Ola Søk", national_id=NO_FODSELSNUMMER)
    make_customer(
        company=company_no, name="Per Annen", kind="business", organisation_number="923609016"
    )
    login(accountant_no)
    page.goto("/customers/")
    page.fill("#id_q", f"{NO_FODSELSNUMMER[:6]} {NO_FODSELSNUMMER[6:]}")
    with page.expect_navigation():
        page.click("[data-testid=customer-search]")
    rows = page.locator("[data-testid=customer-row]")
    assert rows.count() == 1
    assert "Ola Søk" in rows.first.inner_text()
    assert f"{NO_FODSELSNUMMER[:6]}*****" in rows.first.inner_text()
    page.goto("/customers/")
    page.select_option("#id_kind", "business")
    with page.expect_navigation():
        page.click("[data-testid=customer-search]")
    assert page.locator("[data-testid=customer-row]").count() == 1
    assert "Per Annen" in page.locator("[data-testid=customer-row]").first.inner_text()


def test_support_sees_no_edit_buttons(page, login, support_no, company_no):
    from tests.factories import make_customer

    customer = make_customer(company=company_no, name="Read Only")
    login(support_no)
    page.goto("/customers/")
    assert page.locator("[data-testid=customer-create]").count() == 0
    page.goto(customer.get_absolute_url())
    assert page.locator("[data-testid=customer-title]").is_visible()
    assert page.locator("[data-testid=customer-edit]").count() == 0


def test_malformed_filter_shows_a_clear_message(page, login, accountant_no, company_no):
    from tests.factories import make_customer

    make_customer(company=company_no, name="Ola Liste")
    login(accountant_no)
    page.goto("/customers/?kind=martian&active=maybe")
    alert = page.get_by_test_id("customer-filter-errors")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Select a valid choice")
    expect(page.get_by_test_id("customer-row")).to_have_count(1)
    expect(page.get_by_test_id("customer-table")).to_contain_text("Ola Liste")


def test_second_customer_with_the_same_national_id_is_refused(
    page, login, accountant_no, company_no
):
    from tests.factories import make_customer

    make_customer(company=company_no, number="10001", national_id=NO_FODSELSNUMMER)
    login(accountant_no)
    page.goto("/customers/new/")
    page.fill("#id_number", "5002")
    page.fill("#id_name", "Ola Nordmann")
    page.fill("#id_national_id", NO_FODSELSNUMMER)
    with page.expect_navigation():
        page.click("[data-testid=customer-save]")
    error = page.locator("#error_1_id_national_id")
    expect(error).to_have_text("Customer 10001 already has this national identity number.")
    assert page.locator("#id_name").input_value() == "Ola Nordmann"
    assert not Customer.objects.filter(number="5002").exists()
