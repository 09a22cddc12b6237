"""Browser: create a draft, add lines, see totals, validate, release, download XML and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoices.models import Invoice
from tests.factories import make_customer

pytestmark = pytest.mark.browser


def _fill_line(page, index: int, description: str, quantity: str, price: str, rate: str):
    page.fill(f"input[name=lines-{index}-description]", description)
    page.fill(f"input[name=lines-{index}-quantity]", quantity)
    page.fill(f"input[name=lines-{index}-unit_price]", price)
    page.select_option(f"select[name=lines-{index}-vat_rate]", rate)


def test_draft_to_release_and_documents(page, login, inv_no, accountant_no):
    customer = make_customer(company=inv_no, name="Kari Nordmann", number="4711")
    login(accountant_no)
    page.goto("/invoices/")
    page.click("[data-testid=new-invoice]")
    page.fill("input[name=customer]", customer.number)
    _fill_line(page, 0, "Consulting", "2", "1000", "25.00")
    page.click("[data-testid=add-line]")
    _fill_line(page, 1, "Food", "3", "33.33", "15.00")
    # Live totals: 2000 + 99.99 excl.; VAT 500 + 15.00
    assert page.text_content("#total-excl") == "2099.99"
    assert page.text_content("#total-vat") == "515.00"
    assert page.text_content("#total-incl") == "2614.99"
    assert page.locator("[data-testid=live-vat-summary] tr").count() == 2
    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=invoice-status]")
    assert page.text_content("[data-testid=total-incl]").strip() == "2,614.99"

    page.click("[data-testid=validate]")
    report = page.locator("[data-testid=validation-report]")
    assert "valid" in report.text_content()
    assert "alert-success" in report.get_attribute("class")

    page.click("[data-testid=release]")
    page.wait_for_selector("[data-testid=invoice-number]")
    invoice = Invoice.objects.get(company=inv_no)
    assert invoice.status == "open"
    assert page.text_content("[data-testid=invoice-number]") == invoice.number
    page.click("[data-testid=tab-financial]")
    assert page.text_content("[data-testid=payment-reference]") == invoice.payment_reference
    assert page.locator("[data-testid=edit]").count() == 0

    with page.expect_download() as xml_download:
        page.click("[data-testid=download-xml]")
    xml = Path(xml_download.value.path()).read_bytes()
    assert invoice.payment_reference.encode() in xml
    with page.expect_download() as pdf_download:
        page.click("[data-testid=download-pdf]")
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")


def test_control_character_in_description_is_refused_and_nothing_is_lost(
    page, login, inv_no, accountant_no
):
    customer = make_customer(company=inv_no, name="Ola Nordmann")
    login(accountant_no)
    page.goto("/invoices/new/")
    page.fill("input[name=customer]", customer.number)
    _fill_line(page, 0, "Bad\x07bell", "1", "100", "25.00")
    page.click("[data-testid=save-draft]")
    error = page.locator("[data-testid=line-error]")
    error.wait_for()
    assert "Description" in error.text_content()
    assert "cannot be sent" in error.text_content()
    assert page.input_value("input[name=lines-0-unit_price]") == "100"
    assert not Invoice.objects.exists()
