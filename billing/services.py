"""Every write of billing: creating a batch, processing its rows in chunks, the sweeper.

Flow (DESIGN §5): `create_batch` stores the rows in the caller's transaction and queues one
task per chunk of `CHUNK_SIZE` rows on commit. `process_chunk` locks the chunk's pending rows
with `select_for_update(skip_locked=True)`, creates the drafts (a bad row never fails the others),
releases them (`invoices.services.release_invoices`: every document validated before the number
sequence is locked, then numbered under one short lock), queues the sends
(`routing.services.send_invoices`) and writes every row's result in the same transaction. A
chunk that runs twice (a worker died, the broker delivered twice) finds its rows done and creates
nothing twice; `sweep_batches` re-queues chunks the broker lost.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import Branch, Company
from b2cportal.csv_export import FORMULA_PREFIXES
from b2cportal.customers.models import Customer
from b2cportal.db import update_rows
from b2cportal.validators import first_xml_illegal
from invoices.importing import DocumentRefused, FieldProblem, import_ubl_document
from invoices.models import Invoice, Unit, VatCategory
from invoices.services import (
    DraftInput,
    InvoiceError,
    LineInput,
    check_draft,
    create_drafts,
    delete_draft,
    release_invoices,
    vat_problem,
)

from .models import MAX_ROWS, BatchFormat, InvoiceBatch, InvoiceBatchRow, RowStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User


logger = logging.getLogger("billing.services")

CHUNK_SIZE = 50
# A pending row older than this was lost by the broker (or its worker); the sweeper re-queues.
STALE_AFTER = datetime.timedelta(minutes=2)

# The CSV column set (README, "Batches"): one line per invoice line; lines with the same
# invoice_ref form one invoice, whose header columns are read from its first line.
CSV_COLUMNS = [
    "invoice_ref",
    "customer_number",
    "issue_date",
    "due_date",
    "buyer_reference",
    "note",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "vat_category",
    "vat_rate",
    "exemption_reason",
]
CSV_REQUIRED = {"invoice_ref", "customer_number", "issue_date", "due_date", "description"}
_UNITS = {choice.value for choice in Unit}


class BatchError(Exception):
    """The batch as a whole is refused (too many rows, unreadable file); says why."""


class BatchConflict(BatchError):
    """The Idempotency-Key was used before with a different batch."""


class RowRefused(Exception):
    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


# --- Reading the input ----------------------------------------------------------------------


def _cell(value: str | None) -> str:
    text = (value or "").strip()
    # Our own error exports neutralise formula characters with a leading quote; take it off.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


def parse_csv(content: bytes) -> list[dict[str, Any]]:
    """Rows (one per invoice) from a CSV file with the documented columns.

    Accepts UTF-8 with or without BOM, `;` or `,` as separator (Nordic Excel writes `;`) and
    decimal commas. Raises BatchError when the file cannot be read or lacks required columns.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchError(_("The file is not UTF-8 text; save it as CSV UTF-8.")) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = {(name or "").strip() for name in reader.fieldnames or []}
    missing = sorted(CSV_REQUIRED - header)
    if missing:
        raise BatchError(
            _("The file lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)}
        )
    rows: dict[str, dict[str, Any]] = {}
    for line_no, raw in enumerate(reader, start=2):
        record = {(k or "").strip(): _cell(v) for k, v in raw.items() if k}
        if not any(record.values()):
            continue
        ref = record.get("invoice_ref", "") or f"line {line_no}"
        row = rows.get(ref)
        if row is None:
            row = rows[ref] = {
                "reference": ref,
                "customer_number": record.get("customer_number", ""),
                "issue_date": record.get("issue_date", ""),
                "due_date": record.get("due_date", ""),
                "buyer_reference": record.get("buyer_reference", ""),
                "note": record.get("note", ""),
                "lines": [],
                "csv": [],
            }
        row["lines"].append(
            {
                "description": record.get("description", ""),
                "quantity": record.get("quantity", "") or "1",
                "unit": record.get("unit", "") or Unit.EACH,
                "unit_price": record.get("unit_price", ""),
                "vat_category": record.get("vat_category", "") or VatCategory.STANDARD,
                "vat_rate": record.get("vat_rate", ""),
                "exemption_reason": record.get("exemption_reason", ""),
            }
        )
        row["csv"].append({name: record.get(name, "") for name in CSV_COLUMNS})
        if len(rows) > MAX_ROWS:
            break
    return list(rows.values())


def request_hash(payload: Any) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


# --- Creating the batch ---------------------------------------------------------------------


@transaction.atomic
def create_batch(
    *,
    company: Company,
    branch: Branch,
    rows: list[dict[str, Any]],
    format: str,
    source: str,
    acting_user: User | None,
    release: bool = False,
    send: bool = False,
    idempotency_key: str = "",
    filename: str = "",
) -> InvoiceBatch:
    """Store a batch of up to 10,000 rows and queue its chunks on commit.

    With an `idempotency_key` already used by this company: the same rows return the first
    batch (nothing is created twice); different rows raise BatchConflict.
    """
    if branch is None or branch.company_id != company.pk:
        raise BatchError(_("The branch must belong to the current company."))
    if not rows:
        raise BatchError(_("The batch has no rows."))
    if len(rows) > MAX_ROWS:
        raise BatchError(
            _("A batch holds at most %(max)s invoices; this one has %(count)s.")
            % {"max": f"{MAX_ROWS:,}".replace(",", " "), "count": len(rows)}
        )
    if send and not release:
        raise BatchError(_("Only released invoices can be sent: choose release as well."))
    digest = request_hash({"rows": rows, "release": release, "send": send, "format": format})
    if idempotency_key:
        existing = (
            InvoiceBatch.objects.select_for_update()
            .filter(company=company, idempotency_key=idempotency_key)
            .first()
        )
        if existing is not None:
            if existing.request_hash != digest:
                raise BatchConflict(_("This Idempotency-Key was used for a different batch."))
            return existing
    batch = InvoiceBatch.objects.create(
        company=company,
        branch=branch,
        source=source,
        format=format,
        filename=filename[:255],
        release=release,
        send=send,
        total=len(rows),
        idempotency_key=idempotency_key,
        request_hash=digest,
        created_by=acting_user,
        language=translation.get_language() or "en",
    )
    InvoiceBatchRow.objects.bulk_create(
        [
            InvoiceBatchRow(
                batch=batch,
                index=index,
                reference=str(row.get("reference") or row.get("filename") or "")[:255],
                data=row,
            )
            for index, row in enumerate(rows)
        ],
        batch_size=1000,
    )
    # Who started it, from the import screen or the API (the audit context says which).
    audit.record(
        actor=acting_user,
        obj=audit.Target(batch, company_id=company.pk, branch_id=branch.pk),
        action=AuditAction.BATCH_CREATED,
        data={
            "rows": len(rows),
            "format": format,
            "release": release,
            "send": send,
            "filename": filename[:255],
        },
    )
    _queue(batch.pk, len(rows))
    return batch


def _queue(batch_id: int, total: int, starts: list[int] | None = None) -> None:
    from .tasks import process_batch_chunk_task

    def publish(start: int) -> None:
        try:
            process_batch_chunk_task.apply_async((batch_id, start, start + CHUNK_SIZE), retry=False)
        except (OSError, KombuOperationalError):  # broker down: the sweeper re-queues the rows
            logger.warning("Broker unavailable; batch %s chunk %s stays pending", batch_id, start)

    for start in starts if starts is not None else range(0, total, CHUNK_SIZE):
        transaction.on_commit(partial(publish, start))


# --- Processing -----------------------------------------------------------------------------


def _decimal(value: Any, field: str, problems: list[FieldProblem]) -> Decimal | None:
    text = str(value).strip().replace("\u00a0", "").replace(" ", "") if value is not None else ""
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        problems.append(FieldProblem(field, _("Enter a number.")))
        return None


def _date(value: Any, field: str, problems: list[FieldProblem]) -> datetime.date | None:
    text = str(value or "").strip()
    for parse in (
        datetime.date.fromisoformat,
        lambda t: datetime.datetime.strptime(t, "%d.%m.%Y").date(),  # noqa: DTZ007 - a date
    ):
        try:
            return parse(text)
        except ValueError:
            continue
    problems.append(FieldProblem(field, _("Enter a date as YYYY-MM-DD.")))
    return None


def _text(value: Any, field: str, problems: list[FieldProblem], *, max_length: int) -> str:
    text = str(value or "").strip()
    if len(text) > max_length:
        problems.append(
            FieldProblem(field, _("At most %(max)s characters, please.") % {"max": max_length})
        )
    return text


def _read_row(
    data: dict[str, Any], customers: dict[str, Customer], country: str
) -> tuple[Customer, dict[str, Any]]:
    """The draft's inputs from a JSON/CSV row, or RowRefused listing every problem."""
    problems: list[FieldProblem] = []
    if not isinstance(data, dict):
        raise RowRefused([FieldProblem("row", _("Each row must be an object."))])
    number = str(data.get("customer_number") or "").strip()
    customer = customers.get(number)
    if not number:
        problems.append(FieldProblem("customer_number", _("This field is required.")))
    elif customer is None:
        problems.append(
            FieldProblem("customer_number", _("No customer %(number)s.") % {"number": number})
        )
    issue = _date(data.get("issue_date"), "issue_date", problems)
    due = _date(data.get("due_date"), "due_date", problems)
    if issue and due and due < issue:
        problems.append(
            FieldProblem("due_date", _("The due date cannot be before the invoice date."))
        )
    buyer_reference = _text(
        data.get("buyer_reference"), "buyer_reference", problems, max_length=100
    )
    note = _text(data.get("note"), "note", problems, max_length=5000)
    raw_lines = data.get("lines")
    lines: list[LineInput] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append(FieldProblem("lines", _("Add at least one line.")))
        raw_lines = []
    for i, raw in enumerate(raw_lines):
        path = f"lines[{i}]"
        if not isinstance(raw, dict):
            problems.append(FieldProblem(path, _("Each line must be an object.")))
            continue
        before = len(problems)
        description = _text(raw.get("description"), f"{path}.description", problems, max_length=500)
        if not description:
            problems.append(FieldProblem(f"{path}.description", _("This field is required.")))
        quantity = _decimal(raw.get("quantity", "1"), f"{path}.quantity", problems)
        price = _decimal(raw.get("unit_price"), f"{path}.unit_price", problems)
        unit = str(raw.get("unit") or Unit.EACH).strip()
        if unit not in _UNITS:
            problems.append(
                FieldProblem(
                    f"{path}.unit", _("The unit code %(unit)s is not offered.") % {"unit": unit}
                )
            )
        category = str(raw.get("vat_category") or VatCategory.STANDARD).strip().upper()
        rate_raw = raw.get("vat_rate")
        if rate_raw in (None, ""):
            rate_raw = "25" if category == VatCategory.STANDARD else "0"
        rate = _decimal(rate_raw, f"{path}.vat_rate", problems)
        reason = str(raw.get("exemption_reason") or "").strip()
        if len(problems) > before:
            continue
        # Each refused above when it could not be read.
        assert quantity is not None
        assert price is not None
        assert rate is not None
        if quantity <= 0:
            problems.append(FieldProblem(f"{path}.quantity", _("Enter a positive quantity.")))
        if price < 0:
            problems.append(FieldProblem(f"{path}.unit_price", _("The price cannot be negative.")))
        problem = vat_problem(country=country, category=category, rate=rate, reason=reason)
        if problem:
            problems.append(FieldProblem(f"{path}.vat_rate", problem))
        for name, value in (("description", description), ("exemption_reason", reason)):
            if first_xml_illegal(value):
                problems.append(
                    FieldProblem(
                        f"{path}.{name}", _("This text contains a character that cannot be sent.")
                    )
                )
        if len(problems) > before:
            continue
        lines.append(
            LineInput(
                description=description,
                quantity=quantity,
                unit_price=price,
                unit=unit,
                vat_category=category,
                vat_rate=rate,
                exemption_reason=reason,
            )
        )
    if problems:
        raise RowRefused(problems)
    assert customer is not None  # refused above otherwise
    return customer, {
        "issue_date": issue,
        "due_date": due,
        "lines": lines,
        "buyer_reference": buyer_reference,
        "note": note,
    }


def _import_document(batch: InvoiceBatch, row: InvoiceBatchRow) -> Invoice:
    xml = str(row.data.get("xml") or "").encode("utf-8")
    try:
        return import_ubl_document(
            company=batch.company, branch=batch.branch, xml_bytes=xml, acting_user=batch.created_by
        )
    except DocumentRefused as exc:
        raise RowRefused(exc.problems) from exc


def _create_invoices(
    batch: InvoiceBatch, rows: list[InvoiceBatchRow], now: datetime.datetime
) -> list[tuple[InvoiceBatchRow, Invoice]]:
    """Drafts for the chunk's rows; a row that is refused is marked failed, the others go on."""
    created: list[tuple[InvoiceBatchRow, Invoice]] = []
    if batch.format == BatchFormat.UBL:
        for row in rows:
            try:
                with transaction.atomic():
                    created.append((row, _import_document(batch, row)))
            except RowRefused as exc:
                _fail(row, exc.problems, now)
        return created
    customers = _customers_for(batch, rows)
    valid: list[tuple[InvoiceBatchRow, DraftInput]] = []
    for row in rows:
        try:
            customer, fields = _read_row(row.data, customers, batch.company.country)
            draft = DraftInput(customer=customer, **fields)
            check_draft(company=batch.company, draft=draft)
        except RowRefused as exc:
            _fail(row, exc.problems, now)
            continue
        except InvoiceError as exc:
            _fail(row, [FieldProblem("invoice", str(exc))], now)
            continue
        valid.append((row, draft))
    invoices = create_drafts(
        company=batch.company,
        branch=batch.branch,
        drafts=[draft for _row, draft in valid],
        acting_user=batch.created_by,
    )
    return [(row, invoice) for (row, _draft), invoice in zip(valid, invoices, strict=True)]


def _customers_for(batch: InvoiceBatch, rows: list[InvoiceBatchRow]) -> dict[str, Customer]:
    numbers = {
        str(row.data.get("customer_number") or "").strip()
        for row in rows
        if isinstance(row.data, dict)
    }
    numbers.discard("")
    if not numbers:
        return {}
    return {
        c.number: c
        for c in Customer.objects.filter(company_id=batch.company_id, number__in=numbers)
    }


def _fail(row: InvoiceBatchRow, problems: list[FieldProblem], now: datetime.datetime) -> None:
    row.status = RowStatus.FAILED
    row.errors = [p.as_dict() for p in problems]
    row.invoice = None
    row.processed_at = now


def process_chunk(*, batch_id: int, start: int, end: int) -> int:
    """Create (and release, and send) the rows with start <= index < end that are not done;
    returns how many rows this run finished (0 when another run already did them).

    The documents are validated before the company's number sequence is locked
    (`release_invoices`), so chunks of one company validate in parallel and queue only for
    the numbering and the writes.
    """
    batch = (
        InvoiceBatch.objects.select_related("company", "branch", "created_by")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        return 0
    with translation.override(batch.language), transaction.atomic():
        rows = list(
            InvoiceBatchRow.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                batch=batch,
                status__in=[RowStatus.PENDING, RowStatus.DRAFTED],
                index__gte=start,
                index__lt=end,
            )
            .select_related("invoice")
            .order_by("index")
        )
        if not rows:
            return 0
        now = timezone.now()
        # DRAFTED: drafts an earlier version committed while waiting for the sequence.
        created = [
            (row, cast(Invoice, row.invoice)) for row in rows if row.status == RowStatus.DRAFTED
        ]
        created += _create_invoices(batch, [r for r in rows if r.status == RowStatus.PENDING], now)
        created.sort(key=lambda pair: pair[0].index)
        for row, invoice in _release_and_send(batch, created, now):
            row.status = RowStatus.CREATED
            row.invoice = invoice
            row.errors = []
            row.processed_at = now
        update_rows(rows, ["status", "invoice", "errors", "processed_at"])
    _finish_if_done(batch)
    return len(rows)


def _release_and_send(
    batch: InvoiceBatch, created: list[tuple[InvoiceBatchRow, Invoice]], now: datetime.datetime
) -> list[tuple[InvoiceBatchRow, Invoice]]:
    if batch.release and created:
        outcome = release_invoices(
            invoices=[invoice for _row, invoice in created],
            released_by=batch.created_by,
        )
        kept = []
        for row, invoice in created:
            error = outcome[invoice.pk]
            if error is None:
                kept.append((row, invoice))
                continue
            delete_draft(invoice=invoice, acting_user=batch.created_by)
            _fail(row, [FieldProblem("release", str(error))], now)
        created = kept
    if batch.send and created:
        from routing.services import send_invoices

        send_invoices(
            company=batch.company,
            invoice_ids=[invoice.pk for _row, invoice in created],
            acting_user=batch.created_by,
            branch=batch.branch,
        )
    return created


def _finish_if_done(batch: InvoiceBatch) -> None:
    unfinished = [RowStatus.PENDING, RowStatus.DRAFTED]
    if InvoiceBatchRow.objects.filter(batch=batch, status__in=unfinished).exists():
        return
    InvoiceBatch.objects.filter(pk=batch.pk, finished_at__isnull=True).update(
        finished_at=timezone.now()
    )


def sweep_batches() -> int:
    """Re-queue chunks whose rows stayed pending too long (the broker lost the task)."""
    cutoff = timezone.now() - STALE_AFTER
    queued = 0
    for batch in InvoiceBatch.objects.filter(finished_at__isnull=True, created_at__lt=cutoff):
        indexes = (
            InvoiceBatchRow.objects.filter(
                batch=batch, status__in=[RowStatus.PENDING, RowStatus.DRAFTED]
            )
            .values_list("index", flat=True)
            .iterator()
        )
        starts = sorted({index - index % CHUNK_SIZE for index in indexes})
        if not starts:
            _finish_if_done(batch)
            continue
        with transaction.atomic():
            _queue(batch.pk, batch.total, starts)
        queued += len(starts)
    return queued
