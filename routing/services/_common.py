"""What the routing services share: the domain error, status mirroring, history, queueing."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from invoices.models import Invoice

from ..decision import RouteDecision
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed

logger = logging.getLogger("routing.services")

CHUNK_SIZE = 50
# Older than this, a `queued` row was lost by the broker and a `claimed` row by its worker.
QUEUED_GRACE = datetime.timedelta(seconds=getattr(settings, "ROUTING_QUEUED_GRACE_SECONDS", 60))
CLAIM_STALE = datetime.timedelta(
    seconds=getattr(settings, "ROUTING_CLAIM_STALE_SECONDS", settings.CELERY_TASK_TIME_LIMIT + 60)
)


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
        return delivery.error[:500]
    if delivery.channel:
        return delivery.get_channel_display()
    return ""


def _sync_invoices(deliveries: Iterable[Delivery]) -> None:
    """Mirror delivery states onto the invoices' delivery status (as the ERP shows it)."""
    deliveries = list(deliveries)
    if not deliveries:
        return
    groups: dict[tuple, list[int]] = defaultdict(list)
    for d in deliveries:
        until = d.hold_until if d.status == DeliveryStatus.HELD else None
        groups[(INVOICE_STATUS_FOR[DeliveryStatus(d.status)], _detail(d), until)].append(
            d.invoice_id
        )
    for (status, detail, until), ids in groups.items():
        Invoice.objects.filter(pk__in=ids).update(
            delivery_status=status, delivery_status_detail=detail, delivery_status_until=until
        )


def _event(delivery: Delivery, old: str, note: str = "", actor=None) -> DeliveryEvent:
    return DeliveryEvent(
        delivery=delivery, from_status=old, to_status=delivery.status, note=note[:500], actor=actor
    )


def _queue(ids: list[int]) -> None:
    """Queue work in chunks after commit; a broker outage is survivable (the sweeper retries)."""
    from ..tasks import process_deliveries_task

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
    if decision.hold and not operator_routed():  # the operator holds in operator-routed mode
        delivery.status = DeliveryStatus.HELD
        delivery.hold_until = now + datetime.timedelta(days=decision.hold_days)


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
