"""Every write on invoices: drafts, release (numbering, payment reference, freeze), credit notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.audit.services import Change
from b2cportal.companies.models import Branch, Company, CustomerLedgerPreferences
from b2cportal.companies.selectors import ledger_preferences_of
from b2cportal.customers.models import Customer
from b2cportal.db import update_rows
from b2cportal.validators import first_xml_illegal

from .calc import (
    STANDARD_RATES,
    ZERO,
    amount_of,
    compute_totals,
    group_key,
    line_amount,
    money,
    totals_problem,
)
from .models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceStatus,
    VatCategory,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .ubl.snapshot import DocumentSnapshot


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


def vat_problem(
    *, country: str, category: str, rate: Decimal, reason: str, vat_registered: bool = True
) -> str | None:
    """Why this VAT category/rate is not allowed for a seller in `country`, or None.

    A seller that is not VAT-registered charges no VAT: its lines are "outside the scope of VAT"
    (category O, EN 16931 BR-O-*), and only theirs are.
    """
    rate = Decimal(rate)
    if not vat_registered:
        if category != VatCategory.OUTSIDE_SCOPE:
            return _(
                "The company is not registered for VAT: its lines are outside the scope of VAT."
            )
        return None
    if category == VatCategory.OUTSIDE_SCOPE:
        return _("Only a company that is not registered for VAT invoices outside the scope of VAT.")
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


def _log(
    invoice: Invoice,
    actor: User | None,
    action: AuditAction,
    changes: list[Change] | None = None,
    **data: Any,
) -> None:
    audit.record(actor=actor, obj=invoice, action=action, changes=changes or (), data=data)


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
            vat_registered=company.vat_registered,
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
        [_line_row(invoice, position, line) for position, line in enumerate(lines, start=1)]
    )
    _store_totals(invoice)


# BR-O-10: a breakdown "outside the scope of VAT" states why; a seller that is not VAT-registered
# gets this text when the line gives none (in the seller's language, like the register names).
NOT_VAT_REGISTERED_REASON = {
    "NO": "Selger er ikke registrert i Merverdiavgiftsregisteret",
    "SE": "Säljaren är inte registrerad för mervärdesskatt",
}


def _line_row(invoice: Invoice, position: int, line: LineInput) -> InvoiceLine:
    """One unsaved invoice line: the single place drafts from forms, the API and batches are
    turned into rows, so every path words exemption reasons the same way."""
    return InvoiceLine(
        invoice=invoice,
        position=position,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        vat_category=line.vat_category,
        vat_rate=Decimal(line.vat_rate) if line.vat_category == "S" else ZERO,
        exemption_reason=_exemption_reason(invoice.company, line),
        line_total=line_amount(line.quantity, line.unit_price),
    )


def _exemption_reason(company: Company, line: LineInput) -> str:
    if line.vat_category == VatCategory.EXEMPT:
        return line.exemption_reason
    if line.vat_category == VatCategory.OUTSIDE_SCOPE:
        return line.exemption_reason or NOT_VAT_REGISTERED_REASON.get(company.country, "")
    return ""


def _store_totals(invoice: Invoice, lines: list[InvoiceLine] | None = None) -> None:
    if lines is None:
        lines = list(invoice.lines.all())
    stale = []
    for line in lines:
        amount = amount_of(line)
        if line.line_total != amount:
            line.line_total = amount
            stale.append(line)
    if stale:
        InvoiceLine.objects.bulk_update(stale, ["line_total"])
    totals = compute_totals(lines, invoice.vat_overrides)
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
    acting_user: User | None,
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
    _log(invoice, acting_user, AuditAction.INVOICE_CREATED)
    return invoice


@dataclass(frozen=True, slots=True)
class DraftInput:
    """One draft for `create_drafts` (what `create_draft` takes, as a value)."""

    customer: Customer
    issue_date: date
    due_date: date
    lines: list[LineInput]
    buyer_reference: str = ""
    note: str = ""


def check_draft(*, company: Company, draft: DraftInput) -> None:
    """Raise InvoiceError when `create_draft` would refuse this draft (the same checks)."""
    if draft.customer.company_id != company.pk:
        raise InvoiceError(_("The customer and branch must belong to the current company."))
    if draft.due_date < draft.issue_date:
        raise InvoiceError(_("The due date cannot be before the invoice date."))
    _check_lines(company, draft.lines)
    for name in ("buyer_reference", "note"):
        if first_xml_illegal(getattr(draft, name)):
            raise InvoiceError(
                _("The %(field)s contains a character that cannot be sent.")
                % {"field": name.replace("_", " ")}
            )


@transaction.atomic
def create_drafts(
    *, company: Company, branch: Branch | None, drafts: list[DraftInput], acting_user: User | None
) -> list[Invoice]:
    """Create many drafts at once (a batch chunk): the checks of `create_draft` for each, then
    one INSERT for the invoices, one for their lines and one for their history."""
    if branch is None or branch.company_id != company.pk:
        raise InvoiceError(_("The customer and branch must belong to the current company."))
    for draft in drafts:
        check_draft(company=company, draft=draft)
    invoices = []
    for draft in drafts:
        totals = compute_totals(draft.lines)
        invoices.append(
            Invoice(
                company=company,
                branch=branch,
                customer=draft.customer,
                kind=InvoiceKind.INVOICE,
                issue_date=draft.issue_date,
                due_date=draft.due_date,
                currency=company.currency,
                buyer_reference=draft.buyer_reference,
                note=draft.note,
                created_by=acting_user,
                total_excl_vat=totals.excl_vat,
                total_vat=totals.vat,
                total_incl_vat=totals.incl_vat,
            )
        )
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        [
            _line_row(invoice, position, line)
            for invoice, draft in zip(invoices, drafts, strict=True)
            for position, line in enumerate(draft.lines, start=1)
        ]
    )
    audit.record_many(actor=acting_user, objs=invoices, action=AuditAction.INVOICE_CREATED)
    return invoices


@transaction.atomic
def update_draft(
    *,
    invoice: Invoice,
    acting_user: User | None,
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
    header = {
        "customer": customer,
        "issue_date": issue_date,
        "due_date": due_date,
        "buyer_reference": buyer_reference,
        "note": note,
    }
    changes = audit.diff(locked, header)
    for name, value in header.items():
        setattr(locked, name, value)
    locked.save()
    if lines is not None:
        _write_lines(locked, lines)
    _log(locked, acting_user, AuditAction.INVOICE_UPDATED, changes, lines=lines is not None)
    return locked


@transaction.atomic
def recompute_totals(*, invoice: Invoice, acting_user: User | None) -> Invoice:
    """Recompute a draft's line amounts and totals after its lines changed (e.g. in the admin)."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _refuse_released(locked)
    _store_totals(locked)
    _log(locked, acting_user, AuditAction.INVOICE_UPDATED, totals_recomputed=True)
    return locked


@transaction.atomic
def delete_draft(*, invoice: Invoice, acting_user: User | None) -> None:
    """Delete a draft; released invoices and credit notes are never deleted."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _refuse_released(locked)
    # Recorded before the row goes: the trail keeps its id, customer and total.
    _log(
        locked,
        acting_user,
        AuditAction.INVOICE_DELETED,
        customer=locked.customer_id,
        total=locked.total_incl_vat,
    )
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


def payment_reference_for(
    *, invoice: Invoice, number: str, prefs: CustomerLedgerPreferences | None = None
) -> str:
    """KID (Norway, per ledger preferences) or OCR with Luhn and length digit (Sweden).

    `prefs`: the company's ledger preferences when the caller has read them already.
    """
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
    prefs = prefs or ledger_preferences_of(company=invoice.company)
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


def remaining_quantities(
    original: Invoice, *, exclude_pk: int | None = None, lines: list[InvoiceLine] | None = None
) -> dict[int, Decimal]:
    """What is still uncredited, per line id of the original invoice (`lines`: already read)."""
    credited = _credited_quantities(original, exclude_pk=exclude_pk)
    if lines is None:
        lines = list(original.lines.all())
    return {line.pk: line.quantity - credited.get(line.pk, ZERO) for line in lines}


@transaction.atomic
def release_invoice(
    *, invoice: Invoice, released_by: User | None, release_date: date | None = None
) -> Invoice:
    """Validate, number (gap-free), reference and freeze a draft; a refusal changes nothing."""
    locked = (
        Invoice.objects.select_for_update()
        .select_related("company", "customer", "branch")
        .get(pk=invoice.pk)
    )
    _refuse_released(locked)
    _ensure_sequence(locked.company)
    sequence = InvoiceNumberSequence.objects.select_for_update().get(company=locked.company)
    _release_locked(locked, sequence, released_by, release_date)
    sequence.save(update_fields=["next_number"])
    _copy_release(locked, invoice)
    return locked


def release_invoices(
    *,
    invoices: list[Invoice],
    released_by: User | None,
    release_date: date | None = None,
) -> dict[int, InvoiceError | None]:
    """Release many drafts of one company (a batch chunk); the number sequence is locked only
    for numbering and the writes, not while the documents are validated.

    Runs in the caller's transaction, which must be open: the sequence stays locked until it
    commits, so numbers stay gap-free and in order. Two passes:

    1. Without the sequence: each draft is checked, its document built with the number it is
       expected to get (the sequence's next number as read now, plus its place among the
       chunk's accepted drafts) and validated in full (XSD, CEN, Peppol). A refused draft takes
       no number.
    2. With the sequence locked (waiting for another release's short hold): the numbers are
       assigned in order. A document whose number is the expected one is released with the
       very bytes that were validated. When another release took numbers meanwhile, the
       document is rebuilt with its real number and payment reference; it is released when
       these have the form of the validated ones (`same_form`: digits for digits, the same
       length: no rule reads more of them), else validated again in full here. A document
       refused at this point (no payment reference for its number, or the new validation
       fails) takes no number either: the next document gets it.

    Credit notes touch the invoice they credit and are released one by one under the lock.
    The writes are batched (one UPDATE for the invoices, one INSERT for the events).
    Returns invoice id -> None (released) or the refusal.
    """
    results: dict[int, InvoiceError | None] = {}
    if not invoices:
        return results
    company = invoices[0].company
    if any(invoice.company_id != company.pk for invoice in invoices):
        raise InvoiceError(_("The invoices must belong to one company."))
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("release_invoices runs inside the caller's transaction")
    _ensure_sequence(company)
    with transaction.atomic():
        locked_by_pk = {
            row.pk: row
            for row in Invoice.objects.select_for_update(of=("self",))
            .select_related("company", "customer", "branch", "branch__b2cse")
            .prefetch_related("lines")
            .filter(pk__in=[invoice.pk for invoice in invoices])
        }
        prefs = ledger_preferences_of(company=company) if company.country != "SE" else None
        # Pass 1: build and validate outside the sequence lock.
        prefix, expected = InvoiceNumberSequence.objects.values_list("prefix", "next_number").get(
            company=company
        )
        prepared: dict[int, _Prepared] = {}
        for invoice in invoices:
            locked = locked_by_pk[invoice.pk]
            if locked.is_credit_note:
                continue
            try:
                _refuse_released(locked)
                ready = _Prepared(locked, *_check_release(locked, release_date))
            except InvoiceError as exc:
                results[invoice.pk] = exc
                continue
            prepared[invoice.pk] = ready
            try:
                xml = ready.build(f"{prefix}{expected}", prefs)
            except InvoiceError:
                continue  # e.g. no KID for that number: tried again with its real number
            try:
                _validate(xml, locked)
            except InvoiceError as exc:
                del prepared[invoice.pk]
                results[invoice.pk] = exc
                continue
            expected += 1
        # Pass 2: number in order under the lock, then write.
        sequence = InvoiceNumberSequence.objects.select_for_update().get(company=company)
        released: list[Invoice] = []
        stale_lines: list[InvoiceLine] = []
        for invoice in invoices:
            locked = locked_by_pk[invoice.pk]
            if invoice.pk in results:
                continue
            next_number = sequence.next_number
            try:
                if locked.is_credit_note:  # touches the credited invoice: written one by one
                    _refuse_released(locked)
                    with transaction.atomic():
                        _release_locked(locked, sequence, released_by, release_date)
                else:
                    ready = prepared[invoice.pk]
                    ready.number(sequence, prefs)
                    ready.freeze(released_by)
                    stale_lines += ready.stale
                    released.append(locked)
            except InvoiceError as exc:
                sequence.next_number = next_number
                results[invoice.pk] = exc
                continue
            _copy_release(locked, invoice)
            results[invoice.pk] = None
        if stale_lines:
            InvoiceLine.objects.bulk_update(stale_lines, ["line_total"])
        now = timezone.now()
        for invoice in released:
            invoice.updated_at = now
        update_rows(released, _RELEASE_FIELDS)
        audit.record_many(
            actor=released_by,
            objs=[audit.Target(i, extra={"number": i.number}) for i in released],
            action=AuditAction.INVOICE_RELEASED,
        )
        sequence.save(update_fields=["next_number"])
    return results


_RELEASE_FIELDS = [
    "number",
    "status",
    "payment_reference",
    "issue_date",
    "released_at",
    "released_by",
    "document_snapshot",
    "document_xml",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "updated_at",
]


def same_form(a: str, b: str) -> bool:
    """Whether two invoice numbers (or payment references) have the same form: the same
    length, digits where the other has digits, and the same other characters.

    The UBL schema and the CEN and Peppol rules read the invoice number (BT-1) and the
    payment reference (BT-83) only for their presence, length and non-digit characters (a
    prefix such as "04#"), never for the value of a digit, so a document whose number and
    reference change to ones of the same form stays valid.
    """
    return len(a) == len(b) and all(
        x == y or (x.isdigit() and y.isdigit()) for x, y in zip(a, b, strict=True)
    )


class _Prepared:
    """One draft on its way to release: checked, then built and validated with an expected
    number (pass 1), then numbered for good under the sequence lock (pass 2)."""

    __slots__ = ("frozen", "invoice", "lines", "stale", "xml")

    def __init__(
        self, invoice: Invoice, lines: list[InvoiceLine], stale: list[InvoiceLine]
    ) -> None:
        self.invoice, self.lines, self.stale = invoice, lines, stale
        self.frozen: DocumentSnapshot | None = None
        self.xml: bytes | None = None

    def build(self, number: str, prefs: CustomerLedgerPreferences | None) -> bytes:
        self.frozen, xml = _document(self.invoice, self.lines, number, prefs)
        self.xml = xml
        return xml

    def number(
        self, sequence: InvoiceNumberSequence, prefs: CustomerLedgerPreferences | None
    ) -> None:
        """Take the sequence's next number; raises InvoiceError (and takes none) when the
        document cannot be released with it."""
        invoice = self.invoice
        number = f"{sequence.prefix}{sequence.next_number}"
        if self.xml is None or number != invoice.number:
            checked = (invoice.number, invoice.payment_reference) if self.xml else None
            xml = self.build(number, prefs)
            if checked is None or not (
                same_form(checked[0], invoice.number)
                and same_form(checked[1], invoice.payment_reference)
            ):
                _validate(xml, invoice)
        sequence.next_number += 1

    def freeze(self, released_by: User | None) -> None:
        from .ubl import snapshot_to_json

        assert self.frozen is not None, "built before frozen"
        assert self.xml is not None, "built before frozen"
        invoice = self.invoice
        invoice.status = InvoiceStatus.OPEN
        invoice.released_at = timezone.now()
        invoice.released_by = released_by
        # Freeze: the validated document is the one sent, downloaded and printed from now on.
        invoice.document_snapshot = snapshot_to_json(self.frozen)
        invoice.document_xml = self.xml


def _check_release(
    locked: Invoice, release_date: date | None
) -> tuple[list[InvoiceLine], list[InvoiceLine]]:
    """What release checks before the number: lines, an account to pay into, the dates; sets
    the totals. Returns the lines and those whose stored amount was stale (the caller writes
    them). Raises InvoiceError."""
    from .ubl import payment_snapshot

    lines = list(locked.lines.all())
    if not lines:
        raise InvoiceError(_("Add at least one line before releasing."))
    if not locked.is_credit_note and payment_snapshot(locked) is None:
        # Every invoice carries a KID/OCR: without an account to pay into it cannot be paid.
        raise InvoiceError(
            _(
                "The company has no bank account to pay into (Settings → Documents and account); "
                "an invoice with a payment reference cannot be released without one."
            )
        )
    stale = []
    for line in lines:
        amount = amount_of(line)
        if line.line_total != amount:
            line.line_total = amount
            stale.append(line)
    totals = compute_totals(lines, locked.vat_overrides)
    locked.total_excl_vat, locked.total_vat = totals.excl_vat, totals.vat
    locked.total_incl_vat = totals.incl_vat
    locked.issue_date = release_date or locked.issue_date
    if locked.due_date < locked.issue_date:
        raise InvoiceError(_("The due date cannot be before the invoice date."))
    return lines, stale


def _document(
    locked: Invoice,
    lines: list[InvoiceLine],
    number: str,
    prefs: CustomerLedgerPreferences | None = None,
) -> tuple[DocumentSnapshot, bytes]:
    """Number and reference the invoice in memory and build its document: (snapshot, XML)."""
    from .ubl import UblError, build_ubl_from_snapshot, snapshot

    locked.number = number
    if not locked.is_credit_note:
        locked.payment_reference = payment_reference_for(invoice=locked, number=number, prefs=prefs)
    try:
        frozen = snapshot(locked, lines=lines)
        return frozen, build_ubl_from_snapshot(frozen)
    except UblError as exc:
        raise InvoiceError(_("The document cannot be written: %(error)s") % {"error": exc}) from exc


def _validate(xml: bytes, locked: Invoice) -> None:
    """Raise InvoiceError unless the document passes XSD, CEN and Peppol (fail closed)."""
    from .validation import validate_document

    report = validate_document(xml, kind=locked.kind, consumer=locked.customer.is_consumer)
    if not report.rules_run and not settings.EINVOICE_ALLOW_XSD_ONLY:
        # Fail closed: a document checked against the schema only may break a rule every
        # receiver applies. EINVOICE_ALLOW_XSD_ONLY opts out (check --deploy warns about it).
        raise InvoiceError(
            _(
                "Release refused: the EN 16931 and Peppol rules are not configured "
                "(EINVOICE_RULES_DIR), so the document cannot be checked as receivers check it."
            )
        )
    if not report.is_valid:
        first = report.fatal[0]
        raise InvoiceError(
            _("Release refused: %(count)s error(s) in the document, first %(rule)s: %(message)s")
            % {"count": len(report.fatal), "rule": first.rule_id, "message": first.message}
        )


def _prepare_release(
    locked: Invoice,
    sequence: InvoiceNumberSequence,
    released_by: User | None,
    release_date: date | None,
    *,
    prefs: CustomerLedgerPreferences | None = None,
) -> list[InvoiceLine]:
    """Number, reference, build and validate a locked invoice in memory, writing nothing
    (one release with the sequence locked throughout).

    Returns the lines whose stored amount was stale (the caller writes them). Raises
    InvoiceError (and the caller takes the number back) when anything refuses it.
    """
    ready = _Prepared(locked, *_check_release(locked, release_date))
    ready.number(sequence, prefs)
    ready.freeze(released_by)
    return ready.stale


def _release_locked(
    locked: Invoice,
    sequence: InvoiceNumberSequence,
    released_by: User | None,
    release_date: date | None,
) -> None:
    """The release of one locked draft with the company's sequence locked, written at once."""
    if locked.is_credit_note:
        assert locked.credited_invoice_id is not None  # a credit note always credits one
        original = Invoice.objects.select_for_update().get(pk=locked.credited_invoice_id)
        if original.status == InvoiceStatus.DRAFT:
            raise InvoiceError(_("Only released invoices can be credited."))
        remaining = remaining_quantities(original, exclude_pk=locked.pk)
        for line in locked.lines.all():
            if line.credited_line_id and line.quantity > remaining.get(line.credited_line_id, 0):
                raise InvoiceError(_("The credit note exceeds what remains uncredited."))
        # Released credit notes may have changed since the draft was made: settle again.
        _settle_closing_credit(locked, original)
    stale = _prepare_release(locked, sequence, released_by, release_date)
    if stale:
        InvoiceLine.objects.bulk_update(stale, ["line_total"])
    locked.save()
    if locked.is_credit_note:
        assert locked.credited_invoice is not None
        _close_if_fully_credited(locked.credited_invoice)
    _log(locked, released_by, AuditAction.INVOICE_RELEASED, number=locked.number)


def _copy_release(locked: Invoice, invoice: Invoice) -> None:
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
    acting_user: User | None,
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
    _settle_closing_credit(credit, original)
    _store_totals(credit)
    _log(credit, acting_user, AuditAction.INVOICE_CREATED, credited_invoice=original.number)
    return credit


def _settle_closing_credit(credit: Invoice, original: Invoice) -> None:
    """The last credit of a line takes what remains of its amount, and the last credit of a VAT
    group what remains of its VAT, so the released credits add up to the invoice exactly.

    Crediting 1 x 0.05 as 0.5 + 0.5 would otherwise give 0.03 + 0.03. "Last" is counted against
    released credit notes; release settles again under the invoice's lock.
    """
    released = [InvoiceStatus.OPEN, InvoiceStatus.CLOSED]
    originals = list(original.lines.all())
    prior_lines = list(
        InvoiceLine.objects.filter(
            invoice__credited_invoice=original,
            invoice__status__in=released,
            credited_line__isnull=False,
        ).exclude(invoice=credit)
    )
    prior_qty: dict[int, Decimal] = {}
    prior_amount: dict[int, Decimal] = {}
    prior_by_note: dict[int, list[InvoiceLine]] = {}
    for prior in prior_lines:
        source_id = prior.credited_line_id
        assert source_id is not None  # filtered on credited_line
        prior_qty[source_id] = prior_qty.get(source_id, ZERO) + prior.quantity
        prior_amount[source_id] = prior_amount.get(source_id, ZERO) + amount_of(prior)
        prior_by_note.setdefault(prior.invoice_id, []).append(prior)

    lines = list(credit.lines.all())
    mine = {line.credited_line_id: line for line in lines if line.credited_line_id}
    closed: set[int] = set()
    changed = []
    for source in originals:
        line = mine.get(source.pk)
        credited = prior_qty.get(source.pk, ZERO) + (line.quantity if line else ZERO)
        if credited >= source.quantity:
            closed.add(source.pk)
        if line is None:
            continue
        fixed = None
        if source.pk in closed:
            rest = money(amount_of(source) - prior_amount.get(source.pk, ZERO))
            fixed = rest if rest != line_amount(line.quantity, line.unit_price) else None
        if line.fixed_amount != fixed:
            line.fixed_amount = fixed
            changed.append(line)
    if changed:
        InvoiceLine.objects.bulk_update(changed, ["fixed_amount"])

    # A VAT group closes when every invoice line in it is fully credited after this note.
    groups: dict[str, list[InvoiceLine]] = {}
    for source in originals:
        groups.setdefault(group_key(source.vat_category, source.vat_rate), []).append(source)
    invoiced = {group_key(g.category, g.rate): g.tax for g in compute_totals(originals).groups}
    notes = dict(Invoice.objects.filter(pk__in=prior_by_note).values_list("pk", "vat_overrides"))
    credited_tax: dict[str, Decimal] = {}
    for note_id, note_lines in prior_by_note.items():
        for g in compute_totals(note_lines, notes.get(note_id)).groups:
            key = group_key(g.category, g.rate)
            credited_tax[key] = credited_tax.get(key, ZERO) + g.tax
    natural = {group_key(g.category, g.rate): g.tax for g in compute_totals(lines).groups}
    overrides = {}
    for key, tax in natural.items():
        if all(source.pk in closed for source in groups.get(key, [])):
            rest = invoiced.get(key, ZERO) - credited_tax.get(key, ZERO)
            if rest != tax:
                overrides[key] = str(rest)
    if credit.vat_overrides != overrides:
        credit.vat_overrides = overrides
        credit.save(update_fields=["vat_overrides", "updated_at"])


def record_validation(
    *, invoice: Invoice, acting_user: User | None, fatal: int, warnings: int
) -> None:
    """Remember that someone ran Validate on the invoice, with the outcome."""
    _log(invoice, acting_user, AuditAction.INVOICE_VALIDATED, fatal=fatal, warnings=warnings)


# Document import lives in its own module (it is long); it is part of this app's services.
from .importing import DocumentRefused as DocumentRefused  # noqa: E402
from .importing import FieldProblem as FieldProblem  # noqa: E402
from .importing import import_ubl_document as import_ubl_document  # noqa: E402
