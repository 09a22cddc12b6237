"""The bytes each channel carries: UBL for networks, PDF (and UBL) for email and print.

The invoices app owns the real documents (`invoices.ubl.build_ubl`, `invoices.pdf.build_pdf`);
until they are present this module builds a small UBL/PDF of its own, so routing never depends
on their arrival order.
"""

from __future__ import annotations

import io

from django.utils.module_loading import import_string
from lxml import etree

from invoices.models import Invoice

_UBL_NS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


def _optional(path: str):
    try:
        return import_string(path)
    except ImportError:
        return None


def _basic_ubl(invoice: Invoice) -> bytes:
    root_name = "Invoice" if invoice.kind == "invoice" else "CreditNote"
    root = etree.Element(
        f"{{{_UBL_NS[invoice.kind]}}}{root_name}",
        nsmap={None: _UBL_NS[invoice.kind], "cbc": _CBC, "cac": _CAC},
    )

    def cbc(parent, name, text, **attrs):
        el = etree.SubElement(parent, f"{{{_CBC}}}{name}", **attrs)
        el.text = str(text)
        return el

    cbc(
        root,
        "CustomizationID",
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    )
    cbc(root, "ID", invoice.number or invoice.document_uuid)
    cbc(root, "UUID", invoice.document_uuid)
    cbc(root, "IssueDate", invoice.issue_date.isoformat())
    cbc(root, "DocumentCurrencyCode", invoice.currency)
    total = etree.SubElement(root, f"{{{_CAC}}}LegalMonetaryTotal")
    cbc(total, "PayableAmount", invoice.total_incl_vat, currencyID=invoice.currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _basic_pdf(invoice: Invoice) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 800, f"{invoice.company.name}")
    pdf.drawString(72, 780, f"{invoice.get_kind_display()} {invoice.number}")
    pdf.drawString(72, 760, f"{invoice.customer.name}")
    pdf.drawString(72, 740, f"{invoice.total_incl_vat} {invoice.currency}")
    pdf.drawString(72, 720, f"{invoice.payment_reference} {invoice.company.bank_account}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def build_ubl(invoice: Invoice) -> bytes:
    builder = _optional("invoices.ubl.build_ubl")
    return builder(invoice) if builder else _basic_ubl(invoice)


def render_pdf(invoice: Invoice) -> bytes:
    renderer = _optional("invoices.pdf.build_pdf")
    return renderer(invoice) if renderer else _basic_pdf(invoice)
