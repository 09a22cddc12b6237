"""Release freezes the document: later edits to customer or company never change it."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from invoices.models import Invoice
from invoices.pdf import build_pdf
from invoices.services import create_credit_note, release_invoice
from invoices.ubl import build_ubl, snapshot, snapshot_from_json, snapshot_to_json
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _rename(customer, company) -> None:
    customer.name = "Renamed Customer AS"
    customer.address_line1 = "Ny gate 99"
    customer.save()
    company.address_line1 = "Flyttet vei 1"
    company.city = "Bergen"
    company.save()


def test_released_documents_do_not_change_when_customer_and_company_change(
    client, inv_no, admin_no
):
    customer = make_customer(company=inv_no, name="Original Kunde", address_line1="Gamle gate 1")
    invoice = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=invoice, released_by=admin_no)
    client.force_login(admin_no)
    xml_before = client.get(reverse("invoices:xml", args=[invoice.pk])).content
    pdf_before = client.get(reverse("invoices:pdf", args=[invoice.pk])).content
    assert b"Original Kunde" in xml_before

    _rename(customer, inv_no)

    xml_after = client.get(reverse("invoices:xml", args=[invoice.pk])).content
    pdf_after = client.get(reverse("invoices:pdf", args=[invoice.pk])).content
    assert xml_after == xml_before
    assert pdf_after == pdf_before
    assert "Original Kunde" in _pdf_text(pdf_after)
    # routing delivers with build_ubl / build_pdf on a fresh instance: the frozen ones too.
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert build_ubl(fresh) == xml_before
    assert build_pdf(fresh) == pdf_before
    assert b"Renamed" not in build_ubl(fresh)


def test_invoice_document_command_writes_the_frozen_document(tmp_path, inv_no, admin_no):
    customer = make_customer(company=inv_no, name="Original Kunde")
    invoice = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=invoice, released_by=admin_no)
    before = tmp_path / "before.xml"
    call_command("invoice_document", inv_no.organisation_number, invoice.number, output=before)
    _rename(customer, inv_no)
    after = tmp_path / "after.xml"
    call_command("invoice_document", inv_no.organisation_number, invoice.number, output=after)
    pdf = tmp_path / "after.pdf"
    call_command(
        "invoice_document", inv_no.organisation_number, invoice.number, format="pdf", output=pdf
    )
    assert after.read_bytes() == before.read_bytes()
    assert b"Original Kunde" in after.read_bytes()
    assert "Renamed" not in _pdf_text(pdf.read_bytes())


def test_drafts_reflect_edits(client, inv_no, admin_no):
    customer = make_customer(company=inv_no, name="Original Kunde")
    invoice = make_invoice(company=inv_no, customer=customer)
    _rename(customer, inv_no)
    client.force_login(admin_no)
    xml = client.get(reverse("invoices:xml", args=[invoice.pk])).content
    assert b"Renamed Customer AS" in xml
    assert b"Flyttet vei 1" in xml
    assert "Renamed Customer AS" in _pdf_text(
        client.get(reverse("invoices:pdf", args=[invoice.pk])).content
    )
    assert Invoice.objects.get(pk=invoice.pk).document_xml is None


def test_credit_note_freezes_its_own_document(inv_no, admin_no):
    customer = make_customer(company=inv_no, name="Original Kunde")
    invoice = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=invoice, released_by=admin_no)
    credit = create_credit_note(invoice=invoice, acting_user=admin_no)
    release_invoice(invoice=credit, released_by=admin_no)
    before = build_ubl(Invoice.objects.get(pk=credit.pk))
    _rename(customer, inv_no)
    after = build_ubl(Invoice.objects.get(pk=credit.pk))
    assert after == before
    assert f"<cbc:ID>{invoice.number}</cbc:ID>".encode() in after  # BillingReference kept


def test_snapshot_json_round_trip_is_exact(inv_no, admin_no):
    invoice = make_invoice(company=inv_no)
    release_invoice(invoice=invoice, released_by=admin_no)
    doc = snapshot(Invoice.objects.get(pk=invoice.pk))
    restored = snapshot_from_json(snapshot_to_json(doc))
    assert restored == doc
    assert isinstance(restored.lines[0].quantity, Decimal)
    assert isinstance(restored.issue_date, date)


def test_detail_screen_shows_the_address_the_document_was_released_with(client, inv_no, admin_no):
    customer = make_customer(company=inv_no, name="Original Kunde", address_line1="Gamle gate 1")
    invoice = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=invoice, released_by=admin_no)
    _rename(customer, inv_no)
    client.force_login(admin_no)
    html = client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    address = html.split('data-testid="invoice-address">')[1].split("</address>")[0]
    assert "Original Kunde" in address
    assert "Gamle gate 1" in address
    assert "As on the released document." in html
