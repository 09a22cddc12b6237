"""Every write on invoices: drafts, release (numbering, payment reference, freeze), credit notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.companies.models import Branch, Company
from b2cportal.companies.selectors import ledger_preferences_of
from b2cportal.customers.models import Customer
from b2cportal.validators import first_xml_illegal

from .calc import STANDARD_RATES, ZERO, compute_totals, line_amount, totals_problem
from .models import (
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceStatus,
    VatCategory,
)


class InvoiceError(Exception):
    """A business rule refused the operation; the message is for the user."""


@dataclass(frozen=True, slots=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "EA"
    vat_category: str = VatCategory.STANDARD
    vat_rate: Decimal = Decimal("25")
    exemption_reason: str = ""


def vat_problem(*, country: str, category: str, rate: Decimal, reason: str) -> str | None:
    """Why this VAT category/rate is not allowed for a seller in `country`, or None."""
    rate = Decimal(rate)
    if category == VatCategory.STANDARD:
        allowed = STANDARD_RATES.get(country, ())
        if rate not in allowed:
            rates = ", ".join(f"{r}" for r in allowed)
            return _("Standard-rated VAT must be one of %(rates)s %%.") % {"rates": rates}
        return None
    if category in (VatCategory.ZERO, VatCategory.EXEMPT) and rate != 0:
        return _("Zero-rated and exempt lines have a VAT rate of 0 %.")
    if category == VatCategory.EXEMPT and not reason.strip():
        return _("Exempt lines need a VAT exemption reason.")
    if category not in (VatCategory.STANDARD, VatCategory.ZERO, VatCategory.EXEMPT):
        return _("This VAT category is not offered.")
    return None


def _log(invoice: Invoice, actor, action: str, **data) -> None:
    InvoiceEvent.objects.create(invoice=invoice, actor=actor, action=action, data=data)


def _refuse_released(invoice: Invoice) -> None:
    if invoice.is_released:
        raise InvoiceError(
            _("Invoice %(number)s is released and cannot be changed; create a credit note.")
            % {"number": invoice.number}
        )


def _check_lines(company: Company, lines: list[LineInput]) -> None:
    if not lines:
        raise InvoiceError(_("Add at least one line."))
    for index, line in enumerate(lines, start=1):
        for name in ("description", "exemption_reason"):
            if first_xml_illegal(getattr(line, name)):
                raise InvoiceError(
                    _("Line %(n)s: the %(field)s contains a character that cannot be sent.")
                    % {"n": index, "field": name.replace("_", " ")}
                )
        problem = vat_problem(
            country=company.country,
            category=line.vat_category,
            rate=line.vat_rate,
            reason=line.exemption_reason,
        )
        if problem:
            raise InvoiceError(_("Line %(n)s: %(problem)s") % {"n": index, "problem": problem})
        if line.quantity <= 0 or line.unit_price < 0:
            raise InvoiceError(
                _("Line %(n)s: quantity must be positive and the price not negative.")
                % {"n": index}
            )
    problem = totals_problem(lines)
    if problem:
        raise InvoiceError(problem)


def _write_lines(invoice: Invoice, lines: list[LineInput]) -> None:
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                vat_category=line.vat_category,
                vat_rate=Decimal(line.vat_rate) if line.vat_category == "S" else ZERO,
                exemption_reason=line.exemption_reason if line.vat_category == "E" else "",
                line_total=line_amount(line.quantity, line.unit_price),
            )
            for position, line in enumerate(lines, start=1)
        ]
    )
    _store_totals(invoice)


def _store_totals(invoice: Invoice) -> None:
    lines = list(invoice.lines.all())
    stale = []
    for line in lines:
        amount = line_amount(line.quantity, line.unit_price)
        if line.line_total != amount:
            line.line_total = amount
            stale.append(line)
    if stale:
        InvoiceLine.objects.bulk_update(stale, ["line_total"])
    totals = compute_totals(lines)
    invoice.total_excl_vat = totals.excl_vat
    invoice.total_vat = totals.vat
    invoice.total_incl_vat = totals.incl_vat
    invoice.save(update_fields=["total_excl_vat", "total_vat", "total_incl_vat", "updated_at"])


@transaction.atomic
def create_draft(
    *,
    company: Company,
    branch: Branch | None,
    customer: Customer,
    issue_date: date,
    due_date: date,
    lines: list[LineInput],
    acting_user,
    buyer_reference: str = "",
    note: str = "",
) -> Invoice:
    """Create a draft invoice with its lines; totals are computed here, never typed in."""
    if branch is None or customer.company_id != company.pk or branch.company_id != company.pk:
        raise InvoiceError(_("The customer and branch must belong to the current company."))
    if due_date < issue_date:
        raise InvoiceError(_("The due date cannot be before the invoice date."))
    _check_lines(company, lines)
    invoice = Invoice.objects.create(
        company=company,
        branch=branch,
        customer=customer,
        kind=InvoiceKind.INVOICE,
        issue_date=issue_date,
        due_date=due_date,
        currency=company.currency,
        buyer_reference=buyer_reference,
        note=note,
        created_by=acting_user,
    )
    _write_lines(invoice, lines)
    _log(invoice, acting_user, "created")
    return invoice


@transaction.atomic
def update_draft(
    *,
    invoice: Invoice,
    acting_user,
    customer: Customer,
    issue_date: date,
    due_date: date,
    lines: list[LineInput] | None,
    buyer_reference: str = "",
    note: str = "",
) -> Invoice:
    """Change a draft's header and (for invoices) replace its lines; released ones are refused."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _refuse_released(locked)
    if customer.company_id != locked.company_id:
        raise InvoiceError(_("The customer must belong to the current company."))
    if due_date < issue_date:
        raise InvoiceError(_("The due date cannot be before the invoice date."))
    if locked.is_credit_note and customer.pk != locked.customer_id:
        raise InvoiceError(_("A credit note goes to the customer of the credited invoice."))
    if lines is not None:
        if locked.is_credit_note:
            raise InvoiceError(_("Credit note lines come from the credited invoice."))
        _check_lines(locked.company, lines)
    locked.customer = customer
    locked.issue_date = issue_date
    locked.due_date = due_date
    locked.buyer_reference = buyer_reference
    locked.note = note
    locked.save()
    if lines is not None:
        _write_lines(locked, lines)
    _log(locked, acting_user, "updated")
    return locked


@transaction.atomic
def recompute_totals(*, invoice: Invoice, acting_user) -> Invoice:
    """Recompute a draft's line amounts and totals after its lines changed (e.g. in the admin)."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _refuse_released(locked)
    _store_totals(locked)
    _log(locked, acting_user, "updated", source="admin")
    return locked


@transaction.atomic
def delete_draft(*, invoice: Invoice, acting_user) -> None:
    """Delete a draft; released invoices and credit notes are never deleted."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _refuse_released(locked)
    locked.delete()


def _ensure_sequence(company: Company) -> None:
    # Created outside the release transaction: two first releases racing to create the row
    # must not abort the transaction that does the numbering.
    if InvoiceNumberSequence.objects.filter(company=company).exists():
        return
    try:
        with transaction.atomic():
            InvoiceNumberSequence.objects.create(company=company)
    except IntegrityError:
        pass


def payment_reference_for(*, invoice: Invoice, number: str) -> str:
    """KID (Norway, per ledger preferences) or OCR with Luhn and length digit (Sweden)."""
    from b2cportal.identifiers import make_kid, make_ocr

    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        raise InvoiceError(_("The invoice number has no digits for a payment reference."))
    if invoice.company.country == "SE":
        # Bankgirot allows 2-25 digits and sets no longer minimum, so invoice 1 gets the valid
        # 3-digit OCR "133" (reference, length digit, Luhn); no zero padding is invented.
        try:
            return make_ocr(digits, length_digit=True)
        except ValueError as exc:
            raise InvoiceError(_("No OCR could be made: %(reason)s") % {"reason": exc}) from exc
    prefs = ledger_preferences_of(company=invoice.company)
    customer_digits = "".join(ch for ch in invoice.customer.number if ch.isdigit())
    if not customer_digits:
        raise InvoiceError(_("The customer number has no digits for a KID."))
    try:
        return make_kid(
            customer_number=customer_digits,
            invoice_number=digits,
            length=prefs.kid_length,
            algorithm=prefs.kid_algorithm,
            customer_start=prefs.kid_customer_number_start,
            customer_end=prefs.kid_customer_number_end,
        )
    except ValueError as exc:
        raise InvoiceError(_("No KID could be made: %(reason)s") % {"reason": exc}) from exc


def _credited_quantities(
    original: Invoice, *, exclude_pk: int | None = None, released_only: bool = False
) -> dict[int, Decimal]:
    """Quantity already credited per original line id: by released credit notes only when
    `released_only`, else also reserved by draft credit notes."""
    credited: dict[int, Decimal] = {}
    rows = InvoiceLine.objects.filter(
        invoice__credited_invoice=original, credited_line__isnull=False
    )
    if released_only:
        rows = rows.filter(invoice__status__in=[InvoiceStatus.OPEN, InvoiceStatus.CLOSED])
    if exclude_pk:
        rows = rows.exclude(invoice_id=exclude_pk)
    for line_id, quantity in rows.values_list("credited_line_id", "quantity"):
        credited[line_id] = credited.get(line_id, ZERO) + quantity
    return credited


def remaining_quantities(original: Invoice, *, exclude_pk: int | None = None) -> dict[int, Decimal]:
    """What is still uncredited, per line id of the original invoice."""
    credited = _credited_quantities(original, exclude_pk=exclude_pk)
    return {line.pk: line.quantity - credited.get(line.pk, ZERO) for line in original.lines.all()}


@transaction.atomic
def release_invoice(*, invoice: Invoice, released_by, release_date: date | None = None) -> Invoice:
    """Validate, number (gap-free), reference and freeze a draft; a refusal changes nothing."""
    from .ubl import UblError, build_ubl_from_snapshot, snapshot, snapshot_to_json
    from .validation import validate_document

    locked = (
        Invoice.objects.select_for_update()
        .select_related("company", "customer", "branch")
        .get(pk=invoice.pk)
    )
    _refuse_released(locked)
    if not locked.lines.exists():
        raise InvoiceError(_("Add at least one line before releasing."))
    if locked.is_credit_note:
        original = Invoice.objects.select_for_update().get(pk=locked.credited_invoice_id)
        if original.status == InvoiceStatus.DRAFT:
            raise InvoiceError(_("Only released invoices can be credited."))
        remaining = remaining_quantities(original, exclude_pk=locked.pk)
        for line in locked.lines.all():
            if line.credited_line_id and line.quantity > remaining.get(line.credited_line_id, 0):
                raise InvoiceError(_("The credit note exceeds what remains uncredited."))
    _store_totals(locked)
    _ensure_sequence(locked.company)
    sequence = InvoiceNumberSequence.objects.select_for_update().get(company=locked.company)
    number = f"{sequence.prefix}{sequence.next_number}"
    sequence.next_number += 1
    sequence.save(update_fields=["next_number"])

    locked.number = number
    if not locked.is_credit_note:
        locked.payment_reference = payment_reference_for(invoice=locked, number=number)
    locked.issue_date = release_date or locked.issue_date
    if locked.due_date < locked.issue_date:
        raise InvoiceError(_("The due date cannot be before the invoice date."))
    try:
        frozen = snapshot(locked)
        xml = build_ubl_from_snapshot(frozen)
    except UblError as exc:
        raise InvoiceError(_("The document cannot be written: %(error)s") % {"error": exc}) from exc
    report = validate_document(xml, kind=locked.kind, consumer=locked.customer.is_consumer)
    if not report.is_valid:
        first = report.fatal[0]
        raise InvoiceError(
            _("Release refused: %(count)s error(s) in the document, first %(rule)s: %(message)s")
            % {"count": len(report.fatal), "rule": first.rule_id, "message": first.message}
        )
    locked.status = InvoiceStatus.OPEN
    locked.released_at = timezone.now()
    locked.released_by = released_by
    # Freeze: the validated document is the one that is sent, downloaded and printed from now on.
    locked.document_snapshot = snapshot_to_json(frozen)
    locked.document_xml = xml
    locked.save()
    if locked.is_credit_note:
        _close_if_fully_credited(locked.credited_invoice)
    _log(locked, released_by, "released", number=number)
    # The caller's instance reflects the release only once it succeeded.
    for name in (
        "number",
        "status",
        "payment_reference",
        "released_at",
        "released_by_id",
        "document_snapshot",
        "document_xml",
    ):
        setattr(invoice, name, getattr(locked, name))
    invoice.issue_date = locked.issue_date
    invoice.total_excl_vat, invoice.total_vat = locked.total_excl_vat, locked.total_vat
    invoice.total_incl_vat = locked.total_incl_vat
    return locked


def _close_if_fully_credited(original: Invoice) -> None:
    credited = _credited_quantities(original, released_only=True)
    if all(credited.get(line.pk, ZERO) >= line.quantity for line in original.lines.all()):
        Invoice.objects.filter(pk=original.pk).update(status=InvoiceStatus.CLOSED)


def ensure_creditable(*, invoice: Invoice) -> None:
    """Raise InvoiceError unless `invoice` is an open invoice (credit notes are not credited)."""
    if invoice.is_credit_note:
        raise InvoiceError(_("A credit note cannot be credited."))
    if invoice.status != InvoiceStatus.OPEN:
        raise InvoiceError(_("Only open invoices can be credited."))


@transaction.atomic
def create_credit_note(
    *,
    invoice: Invoice,
    acting_user,
    quantities: dict[int, Decimal] | None = None,
    issue_date: date | None = None,
    note: str = "",
) -> Invoice:
    """Draft credit note for a released invoice: all that remains (None) or chosen quantities."""
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    ensure_creditable(invoice=original)
    remaining = remaining_quantities(original)
    if quantities is None:
        quantities = {pk: qty for pk, qty in remaining.items() if qty > 0}
    chosen = {pk: Decimal(qty) for pk, qty in quantities.items() if qty and Decimal(qty) > 0}
    if not chosen:
        raise InvoiceError(_("Choose at least one line to credit."))
    for pk, qty in chosen.items():
        if pk not in remaining:
            raise InvoiceError(_("That line does not belong to the invoice."))
        if qty > remaining[pk]:
            raise InvoiceError(_("The credit note exceeds what remains uncredited."))
    if first_xml_illegal(note):
        raise InvoiceError(_("The description contains a character that cannot be sent."))
    today = issue_date or timezone.localdate()
    credit = Invoice.objects.create(
        company=original.company,
        branch=original.branch,
        customer=original.customer,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice=original,
        issue_date=today,
        due_date=today,
        currency=original.currency,
        buyer_reference=original.buyer_reference,
        note=note,
        created_by=acting_user,
    )
    lines = []
    for position, line in enumerate(original.lines.filter(pk__in=chosen), start=1):
        lines.append(
            InvoiceLine(
                invoice=credit,
                position=position,
                description=line.description,
                quantity=chosen[line.pk],
                unit=line.unit,
                unit_price=line.unit_price,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                exemption_reason=line.exemption_reason,
                line_total=line_amount(chosen[line.pk], line.unit_price),
                credited_line=line,
            )
        )
    InvoiceLine.objects.bulk_create(lines)
    _store_totals(credit)
    _log(credit, acting_user, "created", credited_invoice=original.number)
    return credit


def record_validation(*, invoice: Invoice, acting_user, fatal: int, warnings: int) -> None:
    """Remember that someone ran Validate on the invoice, with the outcome."""
    _log(invoice, acting_user, "validated", fatal=fatal, warnings=warnings)
