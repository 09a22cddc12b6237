"""Browser: credit note screen, deleting a draft, the list's filters, the customer autocomplete."""

from __future__ import annotations

import pytest

from invoices.models import Invoice, InvoiceStatus
from invoices.services import release_invoice
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser


def test_partial_credit_note_then_release(page, login, inv_no, accountant_no):
    invoice = make_invoice(company=inv_no)
    release_invoice(invoice=invoice, released_by=accountant_no)
    consulting, food = invoice.lines.all()
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("[data-testid=credit]")
    page.fill(f"input[name=qty_{consulting.pk}]", "1")
    page.fill(f"input[name=qty_{food.pk}]", "0")
    page.fill("textarea[name=note]", "One hour too many")
    page.click("[data-testid=create-credit]")
    page.wait_for_selector("[data-testid=invoice-status]")
    credit = Invoice.objects.get(kind="credit_note")
    assert str(credit.total_excl_vat) == "1000.00"
    assert page.text_content("[data-testid=total-incl]").strip() == "1,250.00"
    page.click("[data-testid=release]")
    page.wait_for_selector("[data-testid=invoice-number]")
    credit.refresh_from_db()
    assert credit.status == InvoiceStatus.OPEN
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN  # only partly credited: stays open


def test_crediting_more_than_remains_shows_the_error_on_the_line(
    page, login, inv_no, accountant_no
):
    invoice = make_invoice(company=inv_no)
    release_invoice(invoice=invoice, released_by=accountant_no)
    consulting, _food = invoice.lines.all()
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/credit/")
    page.fill(f"input[name=qty_{consulting.pk}]", "5")  # 2 invoiced
    page.fill("textarea[name=note]", "Too much")
    page.click("[data-testid=create-credit]")
    field = page.locator(f"input[name=qty_{consulting.pk}]")
    field.wait_for()
    assert "is-invalid" in field.get_attribute("class")
    row = page.locator("tr", has=field)
    assert "At most 2 remains uncredited." in row.text_content()
    assert field.input_value() == "5"  # nothing typed is lost
    assert page.input_value("textarea[name=note]") == "Too much"
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_delete_draft_asks_first_and_then_deletes(page, login, inv_no, accountant_no):
    draft = make_invoice(company=inv_no)
    login(accountant_no)
    page.goto(f"/invoices/{draft.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-testid=delete]")
    page.wait_for_timeout(300)
    assert Invoice.objects.filter(pk=draft.pk).exists()  # cancelled: nothing happens
    assert page.url.endswith(f"/invoices/{draft.pk}/")

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.click("[data-testid=delete]")
    page.wait_for_url("**/invoices/")
    assert messages == ["Delete this draft?"]
    assert "Draft deleted." in page.text_content("body")
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_released_invoice_offers_no_delete(page, login, inv_no, accountant_no):
    invoice = make_invoice(company=inv_no)
    release_invoice(invoice=invoice, released_by=accountant_no)
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/")
    page.wait_for_selector("[data-testid=invoice-number]")
    assert page.locator("[data-testid=delete]").count() == 0


def test_list_filters_by_customer_picked_from_autocomplete(page, login, inv_no, accountant_no):
    kari = make_customer(company=inv_no, number="4711", name="Kari Nordmann")
    mine = make_invoice(company=inv_no, customer=kari)
    make_invoice(company=inv_no, customer=make_customer(company=inv_no, name="Ola Hansen"))
    login(accountant_no)
    page.goto("/invoices/")
    assert page.locator("[data-testid=invoice-row]").count() == 2
    page.fill("input[name=customer]", "Nordm")
    options = page.locator("#id_customer-options option")
    options.first.wait_for(state="attached")
    assert options.count() == 1
    assert options.first.get_attribute("value") == "4711"
    page.fill("input[name=customer]", "4711")  # what picking the option puts in the field
    page.select_option("select[name=status]", "draft")
    page.click("[data-testid=invoice-filters] button[type=submit]")
    page.wait_for_url("**customer=4711**")
    rows = page.locator("[data-testid=invoice-row]")
    assert rows.count() == 1
    assert f"#{mine.pk}" in rows.first.text_content()


def test_list_pages_and_searches_by_number_and_customer(page, login, inv_no, accountant_no):
    kari = make_customer(company=inv_no, number="4711", name="Kari Nordmann")
    invoices = [make_invoice(company=inv_no, customer=kari)]
    invoices += [make_invoice(company=inv_no) for _ in range(25)]
    Invoice.objects.filter(pk=invoices[0].pk).update(number="900123")
    login(accountant_no)
    page.goto("/invoices/")
    assert page.locator("[data-testid=invoice-row]").count() == 25
    assert page.text_content("[data-testid=result-count]") == "1\u201325 of 26"
    page.click("[data-testid=next-page]")
    page.wait_for_url("**page=2**")
    assert page.locator("[data-testid=invoice-row]").count() == 1
    assert page.text_content("[data-testid=page-number]") == "Page 2"
    page.fill("input[name=q]", "9001")  # the start of a number
    page.click("[data-testid=invoice-filters] button[type=submit]")
    page.wait_for_url("**q=9001**")
    assert "page=" not in page.url  # a new search starts on page 1
    rows = page.locator("[data-testid=invoice-row]")
    assert rows.count() == 1
    assert "900123" in rows.first.text_content()
    page.fill("input[name=q]", "nordm")  # part of the customer's name
    page.click("[data-testid=invoice-filters] button[type=submit]")
    page.wait_for_url("**q=nordm**")
    assert page.locator("[data-testid=invoice-row]").count() == 1
    page.fill("input[name=q]", "0123")  # not the start of any number: nothing, said plainly
    page.click("[data-testid=invoice-filters] button[type=submit]")
    page.wait_for_url("**q=0123**")
    assert page.locator("[data-testid=no-invoices]").is_visible()
    page.goto("/invoices/?page=abc")  # a hand-edited page number is page 1, never an error
    assert page.locator("[data-testid=invoice-row]").count() == 25


def test_list_filter_bad_input_shows_the_field_error(page, login, inv_no, accountant_no):
    make_invoice(company=inv_no)
    login(accountant_no)
    page.goto("/invoices/")
    page.fill("input[name=customer]", "99999")
    page.click("[data-testid=invoice-filters] button[type=submit]")
    error = page.locator("#id_customer ~ .invalid-feedback, [id^=error_][id$=_id_customer]")
    error.first.wait_for()
    assert "No customer with number 99999 in this company." in error.first.text_content()
    assert page.input_value("input[name=customer]") == "99999"
    assert page.locator("[data-testid=invoice-row]").count() == 0

    page.fill("input[name=customer]", "")
    page.fill("input[name=date_from]", "2026-11-20")
    page.fill("input[name=date_to]", "2026-11-01")
    page.click("[data-testid=invoice-filters] button[type=submit]")
    page.wait_for_url("**date_to=2026-11-01**")
    assert "The end date cannot be before the start date." in page.text_content(
        "[data-testid=invoice-filters]"
    )
    assert "is-invalid" in page.get_attribute("input[name=date_to]", "class")

    page.goto("/invoices/?date_from=2026-13-45")  # a hand-edited or stale bookmark
    assert "Enter a valid date." in page.text_content("[data-testid=invoice-filters]")
    assert "is-invalid" in page.get_attribute("input[name=date_from]", "class")


def test_new_invoice_customer_autocomplete_offers_only_own_customers(
    page, login, inv_no, inv_se, accountant_no
):
    make_customer(company=inv_no, number="4711", name="Kari Nordmann")
    make_customer(company=inv_se, number="4712", name="Karin Svensson")
    login(accountant_no)
    page.goto("/invoices/new/")
    page.fill("input[name=customer]", "Kari")
    options = page.locator("#id_customer-options option")
    options.first.wait_for(state="attached")
    assert [options.nth(i).get_attribute("value") for i in range(options.count())] == ["4711"]
