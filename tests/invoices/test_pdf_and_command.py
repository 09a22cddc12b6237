"""PDF smoke tests (parsed back) and the invoice_document command."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from lxml import etree
from pypdf import PdfReader

from invoices.pdf import build_pdf
from invoices.services import create_credit_note, release_invoice
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # Normalise the non-breaking spaces used as thousands separators.
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def test_norwegian_pdf_has_kid_total_account_and_norwegian_labels(inv_no, admin_no):
    invoice = make_invoice(company=inv_no, customer=make_customer(company=inv_no, language="nb"))
    release_invoice(invoice=invoice, released_by=admin_no)
    text = _text(build_pdf(invoice))
    assert invoice.payment_reference in text
    assert "2 614,99 NOK" in text
    assert "8601.11.17947" in text  # the BBAN, formatted
    assert "Forfallsdato" in text
    assert "Foretaksregisteret" in text


def test_swedish_pdf_in_swedish_with_ocr_and_bankgiro(inv_se, admin_se):
    invoice = make_invoice(company=inv_se)
    release_invoice(invoice=invoice, released_by=admin_se)
    text = _text(build_pdf(invoice))
    assert invoice.payment_reference in text
    assert "5050-1055" in text
    assert "Förfallodatum" in text
    assert "Godkänd för F-skatt" in text


def test_english_credit_note_pdf(inv_no, admin_no):
    customer = make_customer(company=inv_no, language="en")
    invoice = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=invoice, released_by=admin_no)
    credit = create_credit_note(invoice=invoice, acting_user=admin_no)
    release_invoice(invoice=credit, released_by=admin_no)
    text = _text(build_pdf(credit))
    assert f"Credit note {credit.number}" in text
    assert "2,614.99 NOK" in text


def test_long_invoice_spans_pages(inv_no):
    from decimal import Decimal

    from invoices.services import LineInput

    lines = [
        LineInput(f"Line {n}", Decimal("1"), Decimal("10"), "EA", "S", Decimal("25"))
        for n in range(80)
    ]
    invoice = make_invoice(company=inv_no, lines=lines)
    reader = PdfReader(io.BytesIO(build_pdf(invoice)))
    assert len(reader.pages) >= 2
    assert "Line 79" in _text(build_pdf(invoice))


def test_invoice_document_command_writes_ubl_and_pdf(inv_no, admin_no, tmp_path):
    invoice = make_invoice(company=inv_no)
    release_invoice(invoice=invoice, released_by=admin_no)
    xml_file, pdf_file = tmp_path / "a.xml", tmp_path / "a.pdf"
    call_command(
        "invoice_document",
        inv_no.organisation_number,
        invoice.number,
        "--format",
        "ubl",
        "--output",
        str(xml_file),
    )
    call_command(
        "invoice_document",
        inv_no.organisation_number,
        invoice.number,
        "--format",
        "pdf",
        "--output",
        str(pdf_file),
    )
    assert (
        etree.parse(str(xml_file))
        .getroot()
        .findtext("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID")
        == invoice.number
    )
    assert invoice.payment_reference in _text(pdf_file.read_bytes())


def test_invoice_document_command_unknown_invoice(inv_no, tmp_path):
    with pytest.raises(CommandError, match="No invoice"):
        call_command(
            "invoice_document", inv_no.organisation_number, "999", "--output", str(tmp_path / "x")
        )
    with pytest.raises(CommandError, match="No company"):
        call_command("invoice_document", "000000000", "1", "--output", str(tmp_path / "x"))


def test_pdf_numbers_and_units_follow_the_document_language(inv_no, admin_no):
    """Rates and quantities use the locale's separators; units print as words, not UN/ECE codes."""
    from decimal import Decimal

    from invoices.services import LineInput

    lines = [
        LineInput("Rådgivning", Decimal("1234.5"), Decimal("1000.00"), "HUR", "S", Decimal("25")),
        LineInput("Mat", Decimal("7.500"), Decimal("10.00"), "H87", "S", Decimal("15.00")),
    ]
    customer = make_customer(company=inv_no, language="nb")
    invoice = make_invoice(company=inv_no, customer=customer, lines=lines)
    release_invoice(invoice=invoice, released_by=admin_no)
    text = _text(build_pdf(invoice))
    assert "1 234,5\ntime\n1 000,00\n25\n" in text
    assert "7,5\nstykk\n10,00\n15\n" in text
    assert "25.00" not in text
    assert "Ordinær sats 25 %" in text
    assert "15.00" not in text
    assert "HUR" not in text
    assert "H87" not in text
    assert "1 543 211,25 NOK" in text  # grouped, with a decimal comma
