"""Browser: the credit-note page (quantities per line, limits stated, a bad quantity)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.models import Invoice
from invoices.services import LineInput, release_invoice
from tests.factories import make_business_customer, make_invoice

pytestmark = pytest.mark.browser


def _released(company, user):
    invoice = make_invoice(
        company=company,
        customer=make_business_customer(company=company),
        lines=[LineInput("Timer", Decimal("7"), Decimal("14.29"), "HUR", "S", Decimal("25"))],
    )
    release_invoice(invoice=invoice, released_by=user)
    return invoice


def test_credit_part_of_a_line_then_the_rest_adds_up_to_the_invoice(
    page, login, inv_no, accountant_no
):
    invoice = _released(inv_no, accountant_no)
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/")
    page.click("[data-testid=credit]")
    assert "1 line." in page.text_content("[data-testid=credit-limit]")
    page.fill("[data-testid=credit-quantity]", "2.5")
    page.click("[data-testid=create-credit]")
    page.wait_for_selector("[data-testid=release]")
    page.click("[data-testid=release]")
    page.wait_for_selector("[data-testid=invoice-number]")
    page.goto(f"/invoices/{invoice.pk}/credit/")
    assert page.input_value("[data-testid=credit-quantity]") == "4.5"  # what remains
    page.click("[data-testid=create-credit]")
    page.wait_for_selector("[data-testid=release]")
    page.click("[data-testid=release]")
    page.wait_for_selector("[data-testid=invoice-number]")
    credits = Invoice.objects.filter(credited_invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == "closed"
    assert sum(c.total_incl_vat for c in credits) == invoice.total_incl_vat


def test_more_than_remains_is_refused_on_the_line_and_the_input_is_kept(
    page, login, inv_no, accountant_no
):
    invoice = _released(inv_no, accountant_no)
    login(accountant_no)
    page.goto(f"/invoices/{invoice.pk}/credit/")
    page.fill("[data-testid=credit-quantity]", "8")
    page.click("[data-testid=create-credit]")
    error = page.locator("[data-testid=credit-line-error]")
    error.wait_for()
    assert "At most 7 remains uncredited." in error.text_content()
    assert page.input_value("[data-testid=credit-quantity]") == "8"
    assert not Invoice.objects.filter(credited_invoice=invoice).exists()


def test_the_invoice_form_names_each_vat_rate_and_states_its_line_limit(
    page, login, inv_no, accountant_no
):
    """Issue 12, item 10 on the screen: 15 % is the reduced rate (foodstuffs), not ordinary."""
    from tests.factories import make_customer

    customer = make_customer(company=inv_no, number="4712")
    login(accountant_no)
    page.goto("/invoices/new/")
    assert "Up to 500 lines per invoice." in page.text_content("[data-testid=line-limit]")
    page.fill("input[name=customer]", customer.number)
    page.fill("input[name=lines-0-description]", "Brød")
    page.fill("input[name=lines-0-quantity]", "2")
    page.fill("input[name=lines-0-unit_price]", "40")
    page.select_option("select[name=lines-0-vat_rate]", "15.00")
    summary = page.locator("[data-testid=live-vat-summary]")
    assert "Reduced rate (foodstuffs)" in summary.text_content()
    assert "Ordinary rate" not in summary.text_content()
