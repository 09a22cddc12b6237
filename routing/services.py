"""Every write of routing: sending, processing the outbox, holds, reconciliation.

The flow (DESIGN §5): `send_invoice` / `send_invoices` write `queued` rows in the caller's
transaction and queue `process_deliveries` on commit, in chunks. The task claims rows with
`select_for_update(skip_locked=True)`, decides the route, commits the claim, and only then calls
the transport, outside any transaction, with the document UUID as the idempotency key. A
timeout becomes `unknown` and is reconciled through `status()`; the sweeper re-queues rows the
broker lost and reconciles rows a dead worker left `claimed`.

Holds (Norway, *consumer route anyway*) and the agreements app: agreements must not import
routing, so nothing there calls us. Instead the beat task `routing.tasks.release_active_holds`
(every 60 s, `CELERY_BEAT_SCHEDULE["routing-release-active-holds"]`) scans held deliveries and
releases those whose customer's NO_EFAKTURA `ConsumerAgreement` is ACTIVE now. A caller that
may import routing (a view composing both apps) can release at once with
`release_holds_for_customer(customer=..., acting_user=...)`. `expire_holds` (beat, 5 min)
re-routes holds past three days to email or print.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from b2cportal.companies.models import Branch, Company
from b2cportal.customers.models import Customer
from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from invoices.models import Invoice, InvoiceStatus

from .decision import (
    Outcome,
    RouteDecision,
    TraceStep,
    decide_after_hold,
    decide_route,
)
from .models import LIVE_STATUSES, BulkSend, Delivery, DeliveryEvent, DeliveryStatus
from .selectors import (
    _no_agreement_statuses,
    invoices_for_routing,
    load_route_inputs,
    load_route_inputs_bulk,
)
from .transports import TransportError, TransportTimeout, prepare, transport_for

logger = logging.getLogger(__name__)

CHUNK_SIZE = 50
# Older than this, a `queued` row was lost by the broker and a `claimed` row by its worker.
QUEUED_GRACE = datetime.timedelta(seconds=getattr(settings, "ROUTING_QUEUED_GRACE_SECONDS", 60))
CLAIM_STALE = datetime.timedelta(
    seconds=getattr(settings, "ROUTING_CLAIM_STALE_SECONDS", settings.CELERY_TASK_TIME_LIMIT + 60)
)
HOLD = datetime.timedelta(days=3)


class RoutingError(Exception):
    """A send was refused; the message says why, in the user's language."""


# --- helpers -------------------------------------------------------------------------------

INVOICE_STATUS_FOR = {
    DeliveryStatus.QUEUED: InvoiceDeliveryStatus.SENT_TO_AUTOINVOICE,
    DeliveryStatus.CLAIMED: InvoiceDeliveryStatus.SENT_TO_AUTOINVOICE,
    DeliveryStatus.SENT: InvoiceDeliveryStatus.PENDING,
    DeliveryStatus.UNKNOWN: InvoiceDeliveryStatus.PENDING,
    DeliveryStatus.DELIVERED: InvoiceDeliveryStatus.SENT,
    DeliveryStatus.FAILED: InvoiceDeliveryStatus.ERROR,
    DeliveryStatus.HELD: InvoiceDeliveryStatus.AWAITING_AGREEMENT,
}


def _detail(delivery: Delivery) -> str:
    if delivery.status == DeliveryStatus.HELD and delivery.hold_until:
        until = formats.date_format(timezone.localtime(delivery.hold_until), "DATETIME_FORMAT")
        return _("Awaiting agreement until %(until)s") % {"until": until}
    if delivery.status == DeliveryStatus.FAILED:
        return delivery.error[:500]
    if delivery.channel:
        return delivery.get_channel_display()
    return ""


def _sync_invoices(deliveries: Iterable[Delivery]) -> None:
    """Mirror delivery states onto the invoices' delivery status (as the ERP shows it)."""
    deliveries = list(deliveries)
    if not deliveries:
        return
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for d in deliveries:
        groups[(INVOICE_STATUS_FOR[DeliveryStatus(d.status)], _detail(d))].append(d.invoice_id)
    for (status, detail), ids in groups.items():
        Invoice.objects.filter(pk__in=ids).update(
            delivery_status=status, delivery_status_detail=detail
        )


def _event(delivery: Delivery, old: str, note: str = "", actor=None) -> DeliveryEvent:
    return DeliveryEvent(
        delivery=delivery, from_status=old, to_status=delivery.status, note=note[:500], actor=actor
    )


def _queue(ids: list[int]) -> None:
    """Queue work in chunks after commit; a broker outage is survivable (the sweeper retries)."""
    from .tasks import process_deliveries_task

    def publish(chunk: list[int]) -> None:
        try:
            process_deliveries_task.apply_async((chunk,), retry=False)
        except Exception:  # the broker is down: rows stay queued and the sweeper re-queues
            logger.warning("Broker unavailable; %d deliveries stay queued", len(chunk))

    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        transaction.on_commit(lambda chunk=chunk: publish(chunk))


def _step(rule: str, outcome: str, note: str = "", **inputs) -> dict:
    return {"rule": rule, "inputs": inputs, "outcome": outcome, "note": note}


def _apply_decision(delivery: Delivery, decision: RouteDecision, now) -> None:
    delivery.trace = [*delivery.trace, *decision.trace_json()]
    if not decision.is_deliverable:
        delivery.status = DeliveryStatus.FAILED
        delivery.error = decision.error
        delivery.completed_at = now
        return
    delivery.channel = decision.channel
    delivery.billing_action = decision.billing_action
    delivery.document_format = decision.document_format
    if decision.hold:
        delivery.status = DeliveryStatus.HELD
        delivery.hold_until = now + datetime.timedelta(days=decision.hold_days)


# --- reads that need no transaction ------------------------------------------------------


def preview_route(*, invoice: Invoice) -> RouteDecision:
    """The route the invoice would take now (the *Sending method* before sending)."""
    return decide_route(load_route_inputs(invoice))


# --- sending -------------------------------------------------------------------------------


@transaction.atomic
def send_invoice(*, invoice: Invoice, acting_user) -> Delivery:
    """Queue one open invoice for delivery; a second click finds the live delivery and stops."""
    # Lock the invoice so concurrent clicks serialise; the partial unique index is the backstop.
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.OPEN:
        raise RoutingError(_("Only open (released) invoices can be sent."))
    live = Delivery.objects.filter(invoice=locked, status__in=LIVE_STATUSES).first()
    if live is not None:
        raise RoutingError(
            _("This invoice has already been sent to AutoInvoice (%(status)s).")
            % {"status": live.get_status_display()}
        )
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                company_id=locked.company_id,
                branch_id=locked.branch_id,
                invoice=locked,
                external_id=locked.document_uuid,
                created_by=acting_user,
            )
    except IntegrityError as exc:
        raise RoutingError(_("This invoice has already been sent to AutoInvoice.")) from exc
    DeliveryEvent.objects.create(
        delivery=delivery, to_status=delivery.status, actor=acting_user, note="send"
    )
    _sync_invoices([delivery])
    _queue([delivery.pk])
    return delivery


@transaction.atomic
def send_invoices(
    *, company: Company, invoice_ids: list[int], acting_user, branch: Branch | None = None
) -> BulkSend:
    """Queue many invoices at once (the bulk send); already-sent ones are reported, not resent."""
    bulk = BulkSend.objects.create(company=company, branch=branch, created_by=acting_user)
    ids = sorted({int(i) for i in invoice_ids})
    if connection.vendor == "postgresql":
        created = _insert_bulk_rows_pg(bulk=bulk, ids=ids, acting_user=acting_user)
    else:
        created = _insert_bulk_rows(bulk=bulk, ids=ids, acting_user=acting_user)
    done = set(created)
    skipped = []
    for pk, status, number in (
        Invoice.objects.filter(company=company, pk__in=ids)
        .exclude(pk__in=done)
        .values_list("pk", "status", "number")
        .iterator()
    ):
        reason = _("Not open") if status != InvoiceStatus.OPEN else _("Already sent")
        skipped.append({"invoice": pk, "number": number, "reason": reason})
    bulk.total = len(created)
    bulk.skipped = skipped
    bulk.save(update_fields=["total", "skipped"])
    Invoice.objects.filter(deliveries__bulk_send=bulk).update(
        delivery_status=InvoiceDeliveryStatus.SENT_TO_AUTOINVOICE, delivery_status_detail=""
    )
    _queue(sorted(created.values()))
    return bulk


def _insert_bulk_rows(*, bulk: BulkSend, ids: list[int], acting_user) -> dict[int, int]:
    """Portable path: invoice id -> new delivery id."""
    candidates = Invoice.objects.filter(
        company_id=bulk.company_id, pk__in=ids, status=InvoiceStatus.OPEN
    ).exclude(deliveries__status__in=LIVE_STATUSES)
    rows = [
        Delivery(
            company_id=bulk.company_id,
            branch_id=branch_id,
            invoice_id=pk,
            external_id=uuid,
            bulk_send=bulk,
            created_by=acting_user,
        )
        for pk, branch_id, uuid in candidates.values_list("pk", "branch_id", "document_uuid")
    ]
    # A concurrent single send may win a row: the partial unique index drops ours silently.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = dict(Delivery.objects.filter(bulk_send=bulk).values_list("invoice_id", "pk"))
    DeliveryEvent.objects.bulk_create(
        [
            DeliveryEvent(
                delivery_id=pk, to_status=DeliveryStatus.QUEUED, actor=acting_user, note="bulk send"
            )
            for pk in created.values()
        ],
        batch_size=1000,
    )
    return created


def _insert_bulk_rows_pg(*, bulk: BulkSend, ids: list[int], acting_user) -> dict[int, int]:
    """PostgreSQL: the rows and their history are written by the database in two statements.

    Building ten thousand model instances costs far more than sending them; INSERT ... SELECT
    keeps a month's billing run click under a second. ON CONFLICT DO NOTHING lets the partial
    unique index drop invoices a concurrent send already took.
    """
    now = timezone.now()
    actor = acting_user.pk if acting_user is not None else None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO routing_delivery (
                company_id, branch_id, invoice_id, bulk_send_id, status, channel,
                billing_action, document_format, trace, attempts, external_id, receipt, error,
                created_by_id, created_at, updated_at
            )
            SELECT i.company_id, i.branch_id, i.id, %s, 'queued', '', '', '', '[]'::jsonb, 0,
                   i.document_uuid, '{}'::jsonb, '', %s, %s, %s
            FROM invoices_invoice i
            WHERE i.company_id = %s AND i.id = ANY(%s) AND i.status = 'open'
              AND NOT EXISTS (
                SELECT 1 FROM routing_delivery d
                WHERE d.invoice_id = i.id AND d.status = ANY(%s)
              )
            ORDER BY i.id
            ON CONFLICT DO NOTHING
            RETURNING invoice_id, id
            """,
            [bulk.pk, actor, now, now, bulk.company_id, ids, [str(s) for s in LIVE_STATUSES]],
        )
        created = dict(cursor.fetchall())
        cursor.execute(
            """
            INSERT INTO routing_deliveryevent
                (delivery_id, from_status, to_status, note, actor_id, created_at)
            SELECT id, '', 'queued', 'bulk send', %s, %s FROM routing_delivery
            WHERE bulk_send_id = %s
            """,
            [actor, now, bulk.pk],
        )
    return created


# --- processing ------------------------------------------------------------------------------


def _claim(ids: list[int]) -> list[Delivery]:
    """Claim queued rows, decide their routes, commit. Rows someone else holds are skipped."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, status=DeliveryStatus.QUEUED)
            .order_by("pk")
        )
        if not rows:
            return []
        needs_route = [d for d in rows if not d.channel]
        if needs_route:
            invoices = list(invoices_for_routing([d.invoice_id for d in needs_route]))
            inputs = load_route_inputs_bulk(invoices)
        events = []
        for d in rows:
            old = d.status
            d.updated_at = now
            if not d.channel:
                _apply_decision(d, decide_route(inputs[d.invoice_id]), now)
            if d.status == DeliveryStatus.QUEUED:
                d.status = DeliveryStatus.CLAIMED
                d.claimed_at = now
                d.attempts += 1
            events.append(_event(d, old, d.error or d.get_channel_display()))
        _save(
            rows,
            [
                "status",
                "channel",
                "billing_action",
                "document_format",
                "trace",
                "hold_until",
                "claimed_at",
                "attempts",
                "error",
                "completed_at",
                "updated_at",
            ],
        )
        DeliveryEvent.objects.bulk_create(events)
        # Claimed shows as "Sent to AutoInvoice" like queued: only holds and failures change
        # what the invoice says at this point.
        _sync_invoices([d for d in rows if d.status != DeliveryStatus.CLAIMED])
    return [d for d in rows if d.status == DeliveryStatus.CLAIMED]


def _transmit(claimed: list[Delivery]) -> None:
    """Call the transports (no transaction open), a chunk at a time, and record each outcome."""
    if not claimed:
        return
    invoices = {
        i.pk: i
        for i in Invoice.objects.filter(pk__in=[d.invoice_id for d in claimed])
        .select_related("customer", "company", "branch", "branch__b2cse", "credited_invoice")
        .prefetch_related("lines")
    }
    by_channel: dict[str, list[tuple[Delivery, Invoice, object]]] = defaultdict(list)
    for d in claimed:
        invoice = invoices[d.invoice_id]
        try:
            by_channel[d.channel].append((d, invoice, prepare(d, invoice)))
        except Exception as exc:  # a document that cannot be built fails alone
            logger.exception("Delivery %s: document could not be built", d.pk)
            _record(d, TransportError(f"{type(exc).__name__}: {exc}"))
    for channel, batch in by_channel.items():
        try:
            results = transport_for(channel).deliver_many(batch)
        except Exception as exc:  # a transport bug must not strand the rows as claimed
            logger.exception("Transport %s failed", channel)
            results = [TransportError(f"{type(exc).__name__}: {exc}")] * len(batch)
        for (d, _invoice, _docs), result in zip(batch, results, strict=True):
            _record(d, result)
    with transaction.atomic():
        _save(claimed, ["status", "error", "receipt", "completed_at", "updated_at"])
        DeliveryEvent.objects.bulk_create(
            [_event(d, DeliveryStatus.CLAIMED, d.error) for d in claimed]
        )
        _sync_invoices(claimed)


def _record(d: Delivery, result) -> None:
    now = timezone.now()
    d.updated_at = now
    if isinstance(result, TransportTimeout):
        d.status, d.error = DeliveryStatus.UNKNOWN, str(result)
    elif isinstance(result, Exception):
        d.status, d.error, d.completed_at = DeliveryStatus.FAILED, str(result), now
    else:
        d.status = DeliveryStatus.DELIVERED if result.status == "delivered" else DeliveryStatus.SENT
        d.receipt = {
            "status": result.status,
            "detail": result.detail,
            "network_id": result.network_id,
        }
        d.error = ""
        d.completed_at = now


def _save(rows: list[Delivery], fields: list[str]) -> None:
    """bulk_update, but as one UPDATE ... FROM (VALUES ...) on PostgreSQL.

    Django's bulk_update builds a CASE per field and row, which costs more CPU than the whole
    delivery; this keeps a chunk's write to one cheap statement.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(rows, fields)
        return
    meta = Delivery._meta
    columns = [meta.get_field(f) for f in fields]
    casts = ", ".join(["%s::bigint", *(f"%s::{c.db_type(connection)}" for c in columns)])
    values = ", ".join([f"({casts})"] * len(rows))
    params: list = []
    for row in rows:
        params.append(row.pk)
        params.extend(c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns)
    assignments = ", ".join(f'"{c.column}" = v."{c.column}"' for c in columns)
    names = ", ".join(['"id"', *(f'"{c.column}"' for c in columns)])
    sql = (
        f'UPDATE "{meta.db_table}" AS d SET {assignments} '
        f'FROM (VALUES {values}) AS v({names}) WHERE d."id" = v."id"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def process_deliveries(*, delivery_ids: list[int]) -> int:
    """Claim, route and transmit the given queued deliveries; returns how many were claimed."""
    claimed = _claim(list(delivery_ids))
    _transmit(claimed)
    return len(claimed)


# --- reconciliation, sweeping --------------------------------------------------------------


def reconcile(*, delivery: Delivery, acting_user=None) -> Delivery:
    """Ask the transport what happened to an unknown or stale claimed delivery. Never resends."""
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if d.status not in (DeliveryStatus.UNKNOWN, DeliveryStatus.CLAIMED, DeliveryStatus.SENT):
            return d
        old = d.status
        receipt = transport_for(d.channel).status(str(d.external_id)) if d.channel else None
        if receipt is not None:
            d.status = (
                DeliveryStatus.DELIVERED if receipt.status == "delivered" else DeliveryStatus.SENT
            )
            d.receipt = {
                "status": receipt.status,
                "detail": receipt.detail,
                "network_id": receipt.network_id,
            }
            d.error = ""
            d.completed_at = d.completed_at or timezone.now()
            note = _("Reconciled with the transport")
        elif old == DeliveryStatus.SENT:
            return d
        else:
            # The transport never got it: sending again is safe (and uses the same UUID).
            d.status = DeliveryStatus.QUEUED
            note = _("Not found at the transport; queued again")
        d.save()
        DeliveryEvent.objects.create(
            delivery=d, from_status=old, to_status=d.status, note=note, actor=acting_user
        )
        _sync_invoices([d])
        if d.status == DeliveryStatus.QUEUED:
            _queue([d.pk])
    return d


def sweep(*, now: datetime.datetime | None = None, stale_after=None, queued_after=None) -> dict:
    """Re-queue rows the broker lost; reconcile rows left claimed or unknown."""
    now = now or timezone.now()
    stale_after = CLAIM_STALE if stale_after is None else stale_after
    queued_after = QUEUED_GRACE if queued_after is None else queued_after
    stuck = list(
        Delivery.objects.filter(
            status=DeliveryStatus.QUEUED, updated_at__lt=now - queued_after
        ).values_list("pk", flat=True)[:5000]
    )
    with transaction.atomic():
        # Touch them so the next sweep does not queue them again while they wait in the broker.
        Delivery.objects.filter(pk__in=stuck).update(updated_at=now)
        _queue(stuck)
    doubtful = list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.UNKNOWN)
            | Q(status=DeliveryStatus.CLAIMED, claimed_at__lt=now - stale_after)
        )[:1000]
    )
    for d in doubtful:
        reconcile(delivery=d)
    return {"requeued": len(stuck), "reconciled": len(doubtful)}


def poll_invoice_status(*, invoice: Invoice, acting_user) -> Delivery | None:
    """*Poll invoice status*: refresh the latest delivery from its transport."""
    d = Delivery.objects.filter(invoice=invoice).order_by("-created_at", "-id").first()
    if d is None:
        return None
    if d.status in (DeliveryStatus.UNKNOWN, DeliveryStatus.SENT, DeliveryStatus.CLAIMED):
        return reconcile(delivery=d, acting_user=acting_user)
    return d


# --- holds -----------------------------------------------------------------------------------


def _release(deliveries: list[Delivery], acting_user, note: str) -> int:
    now = timezone.now()
    for d in deliveries:
        d.trace = [
            *d.trace,
            _step("no_hold_released", Outcome.PASSED, agreement_status="ACTIVE"),
        ]
        d.status = DeliveryStatus.QUEUED
        d.hold_until = None
        d.updated_at = now
    Delivery.objects.bulk_update(deliveries, ["trace", "status", "hold_until", "updated_at"])
    DeliveryEvent.objects.bulk_create(
        [_event(d, DeliveryStatus.HELD, note, acting_user) for d in deliveries]
    )
    _sync_invoices(deliveries)
    _queue([d.pk for d in deliveries])
    return len(deliveries)


@transaction.atomic
def release_holds_for_customer(*, customer: Customer, acting_user=None) -> int:
    """The customer's agreement became ACTIVE: send their held invoices to the bank now."""
    held = list(
        Delivery.objects.select_for_update(skip_locked=True).filter(
            status=DeliveryStatus.HELD, invoice__customer=customer
        )
    )
    return _release(held, acting_user, _("Agreement active: released to the online bank"))


@transaction.atomic
def release_active_holds() -> int:
    """Release every held delivery whose customer's agreement is ACTIVE now (periodic)."""
    held = list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=DeliveryStatus.HELD)
        .select_related("invoice")
    )
    if not held:
        return 0
    statuses = _no_agreement_statuses([d.invoice for d in held])
    ready = [d for d in held if statuses.get((d.invoice.customer_id, d.branch_id)) == "ACTIVE"]
    return _release(ready, None, _("Agreement active: released to the online bank"))


@transaction.atomic
def expire_holds(*, now: datetime.datetime | None = None) -> int:
    """Holds past three days go by email if there is an address, else by print."""
    now = now or timezone.now()
    expired = list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=DeliveryStatus.HELD, hold_until__lte=now
        )
    )
    if not expired:
        return 0
    invoices = list(invoices_for_routing([d.invoice_id for d in expired]))
    inputs = load_route_inputs_bulk(invoices)
    statuses = _no_agreement_statuses(invoices)
    by_pk = {i.pk: i for i in invoices}
    to_release, rerouted, events = [], [], []
    for d in expired:
        inv = by_pk[d.invoice_id]
        if statuses.get((inv.customer_id, d.branch_id)) == "ACTIVE":
            to_release.append(d)
            continue
        decision = decide_after_hold(inputs[d.invoice_id])
        d.trace = [*d.trace, *decision.trace_json()]
        d.hold_until = None
        if decision.is_deliverable:
            d.channel = decision.channel
            d.billing_action = decision.billing_action
            d.document_format = decision.document_format
            d.status = DeliveryStatus.QUEUED
        else:
            d.status = DeliveryStatus.FAILED
            d.error = decision.error
            d.completed_at = now
        events.append(_event(d, DeliveryStatus.HELD, _("Hold expired after 3 days")))
        rerouted.append(d)
    if rerouted:
        Delivery.objects.bulk_update(
            rerouted,
            [
                "trace",
                "hold_until",
                "channel",
                "billing_action",
                "document_format",
                "status",
                "error",
                "completed_at",
                "updated_at",
            ],
        )
        DeliveryEvent.objects.bulk_create(events)
        _sync_invoices(rerouted)
        _queue([d.pk for d in rerouted if d.status == DeliveryStatus.QUEUED])
    if to_release:
        _release(to_release, None, _("Agreement active: released to the online bank"))
    return len(expired)


__all__ = [
    "RoutingError",
    "TraceStep",
    "expire_holds",
    "poll_invoice_status",
    "preview_route",
    "process_deliveries",
    "reconcile",
    "release_active_holds",
    "release_holds_for_customer",
    "send_invoice",
    "send_invoices",
    "sweep",
]
