"""PDF of an invoice or credit note for email and print, in the customer's language.

reportlab's canvas API (no HTML layout step): measured in `bench/ubl.py`, a two-line invoice
renders in a few milliseconds, which bulk runs of thousands need. The text is set in DejaVu Sans,
a Unicode TrueType font embedded (subset) in every PDF, so Sámi names (č đ ŋ š ŧ ž), €,
typographic quotes and dashes print as written; the font files come from Debian's
fonts-dejavu-core, which the Makefile installs (`settings.PDF_FONT_DIR`). The PDF reads the same
snapshot as the UBL builder, so both always agree. Credit notes carry no payment slip.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .calc import compute_totals
from .formatting import format_money, format_number
from .models import Unit
from .ubl import DocumentSnapshot, document_snapshot
from .vat import vat_label

LEFT = 18 * mm
RIGHT = A4[0] - 18 * mm
BOTTOM = 22 * mm
FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_fonts_lock = threading.Lock()


def font_paths() -> dict[str, Path]:
    directory = Path(settings.PDF_FONT_DIR)
    return {name: directory / filename for name, filename in FONT_FILES.items()}


def register_fonts() -> None:
    """Register the embedded Unicode fonts with reportlab once per process."""
    with _fonts_lock:
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, path in font_paths().items():
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(path)))


def _safe(text: str) -> str:
    # Every character prints (the font is Unicode); only None becomes empty.
    return text or ""


def _unit(code: str) -> str:
    """The unit's name in the document's language ("hour", "time", "timme"), not its code."""
    return str(Unit(code).label) if code in Unit.values else code


def _account_display(doc: DocumentSnapshot) -> tuple[str, str]:
    from b2cportal.identifiers import format_bankgiro, format_bban, format_plusgiro

    payment = doc.payment
    if payment is None:
        return "", ""
    try:
        if payment.institution_branch == "SE:BANKGIRO":
            return _("Bankgiro"), format_bankgiro(payment.account_id)
        if payment.institution_branch == "SE:PLUSGIRO":
            return _("PlusGiro"), format_plusgiro(payment.account_id)
        return _("Bank account"), format_bban(payment.account_id)
    except Exception:  # an unusual stored account still prints, just unformatted
        return _("Bank account"), payment.account_id


def render_pdf(doc: DocumentSnapshot, *, language: str = "en") -> bytes:
    """Render one snapshot as PDF bytes, with labels in `language` (nb, sv or en)."""
    with translation.override(language):
        return _render(doc)


def build_pdf(invoice) -> bytes:
    """The PDF of an Invoice in its customer's language; released ones from the frozen snapshot."""
    doc = document_snapshot(invoice)
    return render_pdf(doc, language=doc.language or invoice.customer.language or "en")


def _render(doc: DocumentSnapshot) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    title = _("Credit note") if doc.is_credit_note else _("Invoice")
    pdf.setTitle(f"{title} {doc.number}")
    height = A4[1]
    seller, buyer = doc.seller, doc.buyer
    totals = doc.totals or compute_totals(doc.lines, doc.tax_override_map)

    y = height - 20 * mm
    pdf.setFont(BOLD, 14)
    pdf.drawString(LEFT, y, _safe(seller.name))
    pdf.setFont(BOLD, 18)
    pdf.drawRightString(RIGHT, y, _safe(f"{title} {doc.number}"))
    pdf.setFont(FONT, 9)
    org_label, vat_no_label = _("Org. no."), _("VAT no.")
    seller_lines = [
        seller.address_line1,
        seller.address_line2,
        f"{seller.postcode} {seller.city}".strip(),
        f"{org_label} {seller.organisation_number}" if seller.organisation_number else "",
        f"{vat_no_label} {seller.vat_id}" if seller.vat_id else "",
        "Foretaksregisteret" if seller.country == "NO" and seller.foretaksregisteret else "",
        "Godkänd för F-skatt" if seller.country == "SE" and seller.f_tax_approved else "",
        seller.email,
    ]
    yy = y - 6 * mm
    for text in filter(None, seller_lines):
        pdf.drawString(LEFT, yy, _safe(text))
        yy -= 4.2 * mm

    facts = [
        (
            _("Credit note date") if doc.is_credit_note else _("Invoice date"),
            formats.date_format(doc.issue_date, "SHORT_DATE_FORMAT"),
        ),
    ]
    if not doc.is_credit_note:
        facts.append((_("Due date"), formats.date_format(doc.due_date, "SHORT_DATE_FORMAT")))
    facts.append((_("Customer ref."), doc.buyer_reference))
    if doc.billing_reference:
        facts.append((_("Credits invoice"), doc.billing_reference))
    fy = y - 6 * mm
    for label, value in facts:
        pdf.drawRightString(RIGHT - 35 * mm, fy, _safe(label))
        pdf.drawRightString(RIGHT, fy, _safe(value))
        fy -= 4.2 * mm

    y = min(yy, fy) - 8 * mm
    pdf.setFont(BOLD, 10)
    pdf.drawString(LEFT, y, _safe(buyer.name))
    pdf.setFont(FONT, 9)
    for text in filter(
        None, [buyer.address_line1, buyer.address_line2, f"{buyer.postcode} {buyer.city}".strip()]
    ):
        y -= 4.2 * mm
        pdf.drawString(LEFT, y, _safe(text))
    if doc.note:
        for text in simpleSplit(_safe(doc.note), FONT, 9, RIGHT - LEFT)[:6]:
            y -= 4.2 * mm
            pdf.drawString(LEFT, y, text)

    columns = [
        (LEFT, _("Description"), "l"),
        (RIGHT - 85 * mm, _("Quantity"), "r"),
        (RIGHT - 70 * mm, _("Unit"), "l"),
        (RIGHT - 38 * mm, _("Unit price"), "r"),
        (RIGHT - 24 * mm, _("VAT %"), "r"),
        (RIGHT, _("Amount"), "r"),
    ]

    def header(at: float) -> float:
        pdf.setFont(BOLD, 9)
        for x, label, align in columns:
            (pdf.drawRightString if align == "r" else pdf.drawString)(x, at, label)
        pdf.line(LEFT, at - 1.5 * mm, RIGHT, at - 1.5 * mm)
        pdf.setFont(FONT, 9)
        return at - 6 * mm

    y = header(y - 12 * mm)
    for line in doc.lines:
        parts = simpleSplit(_safe(line.description), FONT, 9, 90 * mm) or [""]
        if y - 4.2 * mm * len(parts) < BOTTOM + 40 * mm:
            pdf.showPage()
            y = header(height - 20 * mm)
        pdf.drawString(LEFT, y, parts[0])
        pdf.drawRightString(columns[1][0], y, format_number(line.quantity))
        pdf.drawString(columns[2][0], y, _safe(_unit(line.unit)))
        pdf.drawRightString(columns[3][0], y, format_money(line.unit_price))
        pdf.drawRightString(columns[4][0], y, format_number(line.vat_rate))
        pdf.drawRightString(columns[5][0], y, format_money(line.amount))
        for extra in parts[1:]:
            y -= 4.2 * mm
            pdf.drawString(LEFT, y, extra)
        y -= 5 * mm

    if y < BOTTOM + 60 * mm:
        pdf.showPage()
        y = height - 20 * mm
    pdf.line(LEFT, y, RIGHT, y)
    y -= 6 * mm
    pdf.setFont(BOLD, 9)
    pdf.drawString(LEFT, y, _("VAT summary"))
    pdf.setFont(FONT, 9)
    for group in totals.groups:
        y -= 4.5 * mm
        name = vat_label(seller.country, group.category, group.rate)
        label = f"{name} {format_number(group.rate)} %"
        if group.exemption_reason:
            # Every exemption reason of the group, each as written on its lines.
            label += f" ({group.exemption_reason})"
        parts = simpleSplit(label, FONT, 9, 100 * mm) or [""]
        pdf.drawString(LEFT, y, parts[0])
        pdf.drawRightString(LEFT + 120 * mm, y, format_money(group.taxable))
        pdf.drawRightString(RIGHT, y, format_money(group.tax))
        for extra in parts[1:4]:
            y -= 4.2 * mm
            pdf.drawString(LEFT + 4 * mm, y, extra)
    y -= 8 * mm
    for label, amount, font in (
        (_("Amount excl. VAT"), totals.excl_vat, FONT),
        (_("VAT"), totals.vat, FONT),
        (
            _("Total to pay") if not doc.is_credit_note else _("Total credited"),
            totals.incl_vat,
            BOLD,
        ),
    ):
        pdf.setFont(font, 10)
        pdf.drawRightString(RIGHT - 40 * mm, y, label)
        pdf.drawRightString(RIGHT, y, f"{format_money(amount)} {doc.currency}")
        y -= 5 * mm

    if doc.is_credit_note:
        # No payment slip: nothing is to be paid. Say what happens to the amount instead.
        pdf.setFont(FONT, 9)
        pdf.line(LEFT, BOTTOM + 16 * mm, RIGHT, BOTTOM + 16 * mm)
        note = doc.refund_note or _(
            "This is a credit note: nothing is to be paid. The amount will be refunded to you "
            "or offset against an invoice you have not yet paid."
        )
        ny = BOTTOM + 11 * mm
        for text in simpleSplit(note, FONT, 9, RIGHT - LEFT)[:3]:
            pdf.drawString(LEFT, ny, text)
            ny -= 4.2 * mm
        pdf.showPage()
        pdf.save()
        return buffer.getvalue()

    # Payment slip: what the payer needs, at the bottom of the last page.
    account_label, account = _account_display(doc)
    pdf.setFont(FONT, 9)
    pdf.line(LEFT, BOTTOM + 16 * mm, RIGHT, BOTTOM + 16 * mm)
    slip = [(_("Due date"), formats.date_format(doc.due_date, "SHORT_DATE_FORMAT"))]
    if account:
        slip.append((account_label, account))
    if doc.payment and doc.payment.payment_id:
        slip.append((_("KID") if seller.country == "NO" else _("OCR"), doc.payment.payment_id))
    slip.append((_("Amount"), f"{format_money(totals.incl_vat)} {doc.currency}"))
    x = LEFT
    step = (RIGHT - LEFT) / len(slip)
    for label, value in slip:
        pdf.setFont(FONT, 8)
        pdf.drawString(x, BOTTOM + 11 * mm, _safe(label))
        pdf.setFont(BOLD, 11)
        pdf.drawString(x, BOTTOM + 5 * mm, _safe(value))
        x += step
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
