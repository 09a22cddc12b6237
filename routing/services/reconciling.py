"""Reconciliation of unknown, stale and accepted rows, the sweeper, *Poll invoice status*.

The transport is asked first, outside any transaction; the answer is then written in a short
transaction that locks the row and checks it did not move in the meantime.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from b2cportal.audit.models import AuditAction
from invoices.models import Invoice

from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed
from ..selectors import latest_delivery
from ..transports import NETWORK_REJECTED, TransportError, transport_for
from ._common import (
    CLAIM_STALE,
    INVOICE_STATUS_FOR,
    QUEUED_GRACE,
    SENT_POLL,
    _emit,
    _queue,
    _record_by_hand,
    _sync_invoices,
    due,
    logger,
)
from .processing import FALLBACK_FROM, MOVED_ON, fallback_decisions, record_failure

if TYPE_CHECKING:
    from django.contrib.auth.models import User


RECONCILED = gettext_noop("Reconciled with the transport")
NOT_FOUND_QUEUED = gettext_noop("Not found at the transport; queued again")
WORKER_STOPPED = gettext_noop(
    "The worker stopped while sending and the transport has no record of it yet; "
    "it will be sent again with the same document UUID"
)


def reconcile(*, delivery: Delivery, acting_user: User | None = None) -> Delivery:
    """Ask the transport what happened to an unknown, stale claimed or accepted delivery.

    Never resends blindly: a stale claimed row the transport does not know becomes UNKNOWN
    (visible), and only an UNKNOWN row the transport does not know is queued again (same UUID).
    """
    d = Delivery.objects.get(pk=delivery.pk)
    if d.status not in (DeliveryStatus.UNKNOWN, DeliveryStatus.CLAIMED, DeliveryStatus.SENT):
        return d
    if (d.receipt or {}).get("reroute_pending"):
        return d  # re-routed by hand: `complete_reroute` records what the network says
    seen = (d.status, d.updated_at)
    # The network call: outside any transaction.
    try:
        receipt = transport_for(d.channel).status(str(d.external_id)) if d.channel else None
    except TransportError:
        return d  # the network cannot answer now: the next sweep asks again
    fallback = None
    if receipt is not None and receipt.status == "rejected" and d.channel in FALLBACK_FROM:
        fallback = fallback_decisions([d]).get(d.pk)
    now = timezone.now()
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=d.pk)
        if (d.status, d.updated_at) != seen:
            return d  # someone else moved it meanwhile
        old = d.status
        d.updated_at = now
        if receipt is not None and receipt.status == "rejected":
            note = record_failure(
                d, TransportError(NETWORK_REJECTED, receipt.detail), now, fallback
            )
        elif receipt is not None:
            d.status = (
                DeliveryStatus.DELIVERED if receipt.status == "delivered" else DeliveryStatus.SENT
            )
            d.receipt = {
                "status": receipt.status,
                "detail": receipt.detail,
                "network_id": receipt.network_id,
            }
            d.error, d.error_detail = "", ""
            d.completed_at = d.completed_at or now
            note = RECONCILED
        elif old == DeliveryStatus.SENT:
            note = ""  # accepted before; the network will answer later
        elif old == DeliveryStatus.CLAIMED:
            d.status = DeliveryStatus.UNKNOWN
            d.error = WORKER_STOPPED
            note = WORKER_STOPPED
        else:
            # The transport never got it: sending again is safe (and uses the same UUID).
            d.status = DeliveryStatus.QUEUED
            d.retry_at = None
            note = NOT_FOUND_QUEUED
        d.save()
        if d.status != old:
            DeliveryEvent.objects.create(
                delivery=d, from_status=old, to_status=d.status, note=note, actor=acting_user
            )
            _sync_invoices([d])
            if acting_user is not None:  # *Poll invoice status*: a person asked
                _record_by_hand(
                    delivery=d,
                    action=AuditAction.DELIVERY_POLLED,
                    acting_user=acting_user,
                    old_status=INVOICE_STATUS_FOR[DeliveryStatus(old)],
                )
            _emit(
                [d] if d.status != DeliveryStatus.QUEUED or note == MOVED_ON else [],
                queued_as="delivery.rerouted",
            )
        if d.status == DeliveryStatus.QUEUED:
            _queue([d.pk])
    return d


class SweepCounts(TypedDict):
    """What one sweep did (the beat task's result)."""

    requeued: int
    reconciled: int
    errors: int


def sweep(
    *,
    now: datetime.datetime | None = None,
    stale_after: datetime.timedelta | None = None,
    queued_after: datetime.timedelta | None = None,
    sent_after: datetime.timedelta | None = None,
) -> SweepCounts:
    """Re-queue rows the broker lost; reconcile rows left claimed, unknown or accepted.

    Each row is handled on its own: an error on one is logged and counted, never stops the sweep.
    """
    now = now or timezone.now()
    stale_after = CLAIM_STALE if stale_after is None else stale_after
    queued_after = QUEUED_GRACE if queued_after is None else queued_after
    sent_after = SENT_POLL if sent_after is None else sent_after
    stuck = list(
        Delivery.objects.filter(status=DeliveryStatus.QUEUED, updated_at__lt=now - queued_after)
        .filter(due(now))
        .values_list("pk", flat=True)[:5000]
    )
    with transaction.atomic():
        # Touch them so the next sweep does not queue them again while they wait in the broker.
        Delivery.objects.filter(pk__in=stuck).update(updated_at=now)
        _queue(stuck)
    doubtful_rows = Q(status=DeliveryStatus.UNKNOWN) | Q(
        status=DeliveryStatus.CLAIMED, claimed_at__lt=now - stale_after
    )
    if not operator_routed():  # the operator's SENT rows are polled by routing.services.operator
        doubtful_rows |= Q(status=DeliveryStatus.SENT, updated_at__lt=now - sent_after)
    doubtful = list(Delivery.objects.filter(doubtful_rows).order_by("updated_at")[:1000])
    errors = 0
    # Re-routes asked by hand whose task the broker lost: handed to the network here (claimed
    # first, so a late task and the sweep never both call it).
    from .rerouting import complete_reroute, pending_reroutes

    for pk in pending_reroutes(older_than=now - queued_after):
        try:
            complete_reroute(delivery_id=pk)
        except Exception:
            errors += 1
            logger.exception("Sweep: re-route of delivery %s could not be handed over", pk)
    for d in doubtful:
        try:
            # A SENT row still only accepted is saved again, so it is asked after `sent_after`.
            reconcile(delivery=d)
        except Exception:
            errors += 1
            logger.exception("Sweep: delivery %s could not be reconciled", d.pk)
    return {"requeued": len(stuck), "reconciled": len(doubtful), "errors": errors}


def poll_invoice_status(*, invoice: Invoice, acting_user: User | None) -> Delivery | None:
    """*Poll invoice status*: refresh the latest delivery from its transport.

    A row a worker is sending right now is left alone (only a stale claim is reconciled).
    """
    d = latest_delivery(invoice=invoice)
    if d is None:
        return None
    if d.status == DeliveryStatus.SENT and operator_routed():
        # The operator routes: ask it for the outcome (channel used, delivered or failed).
        from .operator import poll_delivery

        poll_delivery(d, acting_user=acting_user)
        return Delivery.objects.get(pk=d.pk)
    stale = d.claimed_at is not None and d.claimed_at < timezone.now() - CLAIM_STALE
    if d.status in (DeliveryStatus.UNKNOWN, DeliveryStatus.SENT) or (
        d.status == DeliveryStatus.CLAIMED and stale
    ):
        return reconcile(delivery=d, acting_user=acting_user)
    return d
