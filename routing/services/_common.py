"""What the routing services share: the domain error, status mirroring, history, queueing."""

from __future__ import annotations

import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.queueing import publish_on_commit
from invoices.models import CHANNEL_DETAIL_PREFIX, Invoice
from invoices.models import DeliveryStatus as InvoiceDeliveryStatus

from ..decision import RouteDecision
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed

if TYPE_CHECKING:
    from django.contrib.auth.models import User


logger = logging.getLogger("routing.services")

CHUNK_SIZE = 50
# Older than this, a `queued` row was lost by the broker and a `claimed` row by its worker.
QUEUED_GRACE = datetime.timedelta(seconds=settings.ROUTING_QUEUED_GRACE_SECONDS)
CLAIM_STALE = datetime.timedelta(seconds=settings.ROUTING_CLAIM_STALE_SECONDS)
# Accepted but not final (SENT) deliveries are asked about again after this long.
SENT_POLL = datetime.timedelta(seconds=settings.ROUTING_SENT_POLL_SECONDS)
# Transient failures: retried with growing waits, at most this many attempts in all.
RETRY_BASE_SECONDS: int = settings.ROUTING_RETRY_BASE_SECONDS
RETRY_MAX_SECONDS = 3600
MAX_ATTEMPTS: int = settings.ROUTING_MAX_ATTEMPTS


class RoutingError(Exception):
    """A send was refused; the message says why, in the user's language."""


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
    if delivery.status == DeliveryStatus.HELD:
        # Worded at display time from `delivery_status_until` (Invoice.delivery_status_note).
        return ""
    if delivery.status == DeliveryStatus.FAILED:
        # A message id: Invoice.delivery_status_note translates it when shown.
        return delivery.error[:500]
    if delivery.channel:
        # A code, named in the reader's language when shown (Invoice.delivery_status_note).
        return CHANNEL_DETAIL_PREFIX + delivery.channel
    return ""


def _sync_invoices(deliveries: Iterable[Delivery]) -> None:
    """Mirror delivery states onto the invoices' delivery status (as the ERP shows it)."""
    deliveries = list(deliveries)
    if not deliveries:
        return
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for d in deliveries:
        until = d.hold_until if d.status == DeliveryStatus.HELD else None
        groups[(INVOICE_STATUS_FOR[DeliveryStatus(d.status)], _detail(d), until)].append(
            d.invoice_id
        )
    for (status, detail, until), ids in groups.items():
        Invoice.objects.filter(pk__in=ids).update(
            delivery_status=status, delivery_status_detail=detail, delivery_status_until=until
        )


def _record_by_hand(
    *,
    delivery: Delivery,
    action: AuditAction,
    acting_user: User | None,
    old_status: str,
    invoice: Invoice | None = None,
) -> None:
    """The audit row of what a person (or an API key) did to one invoice's delivery, on the
    invoice: its delivery status old -> new, and the delivery's own statuses in the details.

    The `DeliveryEvent` written with it carries the same actor; the invoice's History shows this
    row for it and leaves that event out (`routing.history`), so the happening is told once.
    """
    invoice = invoice or delivery.invoice
    new_status = INVOICE_STATUS_FOR[DeliveryStatus(delivery.status)]
    audit.record(
        actor=acting_user,
        obj=audit.Target(invoice, company_id=invoice.company_id, branch_id=invoice.branch_id),
        action=action,
        changes=[audit.Change("delivery_status", old_status, new_status)]
        if old_status != new_status
        else [],
        data={"delivery": delivery.pk, "delivery_status": delivery.status},
    )


_WEBHOOK_EVENT_FOR: dict[str, str] = {
    DeliveryStatus.SENT: "delivery.sent",
    DeliveryStatus.DELIVERED: "delivery.delivered",
    DeliveryStatus.FAILED: "delivery.failed",
    DeliveryStatus.HELD: "delivery.held",
}


def _emit(deliveries: Iterable[Delivery], *, queued_as: str | None = None) -> None:
    """Tell the companies' webhook endpoints, after commit, what these deliveries became.

    Call inside the transaction that changed them. `queued_as` names what a row now `queued`
    means (released from a hold, re-routed); other statuses map to their own event.
    """
    from b2cportal.webhooks.services import companies_listening, emit_many

    events: dict[int, list[tuple[str, Delivery]]] = defaultdict(list)
    for d in deliveries:
        kind = queued_as if d.status == DeliveryStatus.QUEUED else _WEBHOOK_EVENT_FOR.get(d.status)
        if kind:
            events[d.company_id].append((kind, d))
    listening = companies_listening(list(events))
    for company_id in listening:
        items = events[company_id]
        invoices = dict(
            Invoice.objects.filter(pk__in=[d.invoice_id for _kind, d in items]).values_list(
                "pk", "number"
            )
        )
        emit_many(
            company=company_id,
            events=[
                (
                    kind,
                    {
                        "delivery_id": d.pk,
                        "invoice_id": d.invoice_id,
                        "invoice_number": invoices.get(d.invoice_id, ""),
                        "document_uuid": str(d.external_id),
                        "status": d.status,
                        "channel": d.channel,
                        "billing_action": d.billing_action,
                        "reason": d.error,
                        "hold_until": d.hold_until.isoformat() if d.hold_until else None,
                    },
                )
                for kind, d in items
            ],
        )


def _event(
    delivery: Delivery, old: str, note: str = "", actor: User | None = None
) -> DeliveryEvent:
    return DeliveryEvent(
        delivery=delivery, from_status=old, to_status=delivery.status, note=note[:500], actor=actor
    )


def _queue(ids: list[int], *, countdown: float | None = None) -> None:
    """Queue work in chunks after commit; a broker outage is survivable (the sweeper retries)."""
    from ..tasks import process_deliveries_task

    for start in range(0, len(ids), CHUNK_SIZE):
        publish_on_commit(
            process_deliveries_task, ids[start : start + CHUNK_SIZE], countdown=countdown
        )


def due(now: datetime.datetime) -> Q:
    """Queued rows whose backoff (if any) has passed."""
    return Q(retry_at__isnull=True) | Q(retry_at__lte=now)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait before attempt `attempts + 1` after a transient failure: grows threefold."""
    seconds = RETRY_BASE_SECONDS * 3 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, RETRY_MAX_SECONDS))


def _step(rule: str, outcome: str, note: str = "", **inputs: Any) -> dict[str, Any]:
    return {"rule": rule, "inputs": inputs, "outcome": outcome, "note": note}


def _apply_decision(delivery: Delivery, decision: RouteDecision, now: datetime.datetime) -> None:
    delivery.trace = [*delivery.trace, *decision.trace_json()]
    if not decision.is_deliverable:
        delivery.status = DeliveryStatus.FAILED
        delivery.error = decision.error
        delivery.completed_at = now
        return
    delivery.channel = decision.channel or ""  # set on every deliverable decision
    delivery.billing_action = decision.billing_action or ""
    delivery.document_format = decision.document_format or ""
    if decision.hold and not operator_routed():  # the operator holds in operator-routed mode
        # The three days count from the send (the row's creation), not from the claim.
        delivery.status = DeliveryStatus.HELD
        delivery.hold_until = (delivery.created_at or now) + datetime.timedelta(
            days=decision.hold_days
        )


def _save(rows: list[Delivery], fields: list[str]) -> None:
    """Write the given fields of a chunk of rows in a few ORM statements.

    `bulk_update` alone builds a CASE per field and row, which measured about 0.7 s of Python
    for a chunk of 50 rows and a dozen fields, more than the delivery itself. Most fields hold
    the same value on every row of a chunk (status, times) or one of a few (channel), so those
    are written with one `update()` per distinct combination; only the per-row JSON documents
    (trace, receipt) that really differ go through `bulk_update`.
    """
    if not rows:
        return
    json_fields = [f for f in fields if f in ("trace", "receipt")]
    varying_json = [f for f in json_fields if len({_json_key(getattr(r, f)) for r in rows}) > 1]
    by_values: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    plain = [f for f in fields if f not in varying_json]
    for row in rows:
        by_values[tuple(_json_key(getattr(row, f)) for f in plain)].append(row.pk)
    for ids in by_values.values():
        sample = next(r for r in rows if r.pk == ids[0])
        Delivery.objects.filter(pk__in=ids).update(**{f: getattr(sample, f) for f in plain})
    if varying_json:
        Delivery.objects.bulk_update(rows, varying_json)


def _json_key(value: Any) -> Any:
    return (
        json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value
    )
