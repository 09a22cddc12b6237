"""Browser (Norwegian): Invoices → Import a CSV, follow it to the end, download the error rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.models import InvoiceBatch
from invoices.models import Invoice
from tests.factories import make_customer

pytestmark = pytest.mark.browser

CSV = (
    "invoice_ref;customer_number;issue_date;due_date;description;quantity;unit_price;vat_rate\n"
    "F-1;{number};2026-11-02;2026-11-16;Strøm november;350;1,25;25\n"
    "F-1;{number};;;Nettleie;1;199;25\n"
    "F-2;ukjent;2026-11-02;2026-11-16;Strøm november;1;100;25\n"
)


def _norwegian(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "nb", "url": live_server.url}])


def test_import_csv_release_and_download_error_rows(
    page, login, live_server, inv_no, accountant_no
):
    customer = make_customer(company=inv_no, name="Kari Nordmann", number="4711")
    _norwegian(page, live_server)
    login(accountant_no)
    page.goto("/invoices/")
    page.click("[data-testid=import-invoices]")
    page.set_input_files(
        "input[name=files]",
        files=[
            {
                "name": "fakturaer.csv",
                "mimeType": "text/csv",
                "buffer": CSV.format(number=customer.number).encode("utf-8"),
            }
        ],
    )
    page.check("input[name=release]")
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-finished]")
    assert page.get_attribute("[data-testid=import-progress]", "aria-valuenow") == "100"
    assert page.text_content("[data-testid=import-created]") == "1"
    assert page.text_content("[data-testid=import-failed]") == "1"
    error = page.locator("[data-testid=error-row]").first.text_content()
    assert "customer_number" in error
    assert "Ingen kunde" in error
    invoice = Invoice.objects.get(company=inv_no)
    assert invoice.status == "open"
    assert invoice.lines.count() == 2
    with page.expect_download() as download:
        page.click("[data-testid=download-errors]")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("invoice_ref;customer_number;")
    assert lines[1].startswith("F-2;ukjent;")


def test_a_file_that_is_not_csv_or_xml_is_refused_on_the_form(
    page, login, live_server, inv_no, accountant_no
):
    _norwegian(page, live_server)
    login(accountant_no)
    page.goto("/invoices/import/")
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "notat.txt", "mimeType": "text/plain", "buffer": b"hei"}],
    )
    page.click("[data-testid=import-submit]")
    feedback = page.locator(".invalid-feedback").first.text_content()
    assert ".csv" in feedback
    assert InvoiceBatch.objects.count() == 0
