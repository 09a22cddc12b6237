"""Processing the outbox: claim queued rows, decide, commit, then call the transports."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from invoices.models import Invoice

from ..decision import decide
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..selectors import invoices_for_routing, load_route_inputs_bulk
from ..transports import (
    TransportDeferred,
    TransportError,
    TransportTimeout,
    prepare,
    transport_for,
)
from ._common import _apply_decision, _event, _save, _sync_invoices, logger
from .operator import schedule_retry


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
                _apply_decision(d, decide(inputs[d.invoice_id]), now)
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
    schedule_retry([d for d in claimed if d.status == DeliveryStatus.QUEUED])


def _record(d: Delivery, result) -> None:
    now = timezone.now()
    d.updated_at = now
    if isinstance(result, TransportTimeout):
        d.status, d.error = DeliveryStatus.UNKNOWN, str(result)
    elif isinstance(result, TransportDeferred):
        # Not sent (the network is busy or down): queued again, same UUID, after Retry-After.
        d.status, d.error = DeliveryStatus.QUEUED, str(result)
        d._retry_after = result.retry_after
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


def process_deliveries(*, delivery_ids: list[int]) -> int:
    """Claim, route and transmit the given queued deliveries; returns how many were claimed."""
    claimed = _claim(list(delivery_ids))
    _transmit(claimed)
    return len(claimed)
