"""Reconciliation of unknown and stale rows, the sweeper, *Poll invoice status*."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices.models import Invoice

from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed
from ..selectors import latest_delivery
from ..transports import TransportError, transport_for
from ._common import CLAIM_STALE, QUEUED_GRACE, _queue, _sync_invoices


def reconcile(*, delivery: Delivery, acting_user=None) -> Delivery:
    """Ask the transport what happened to an unknown or stale claimed delivery. Never resends."""
    doubtful = (DeliveryStatus.UNKNOWN, DeliveryStatus.CLAIMED, DeliveryStatus.SENT)
    current = Delivery.objects.get(pk=delivery.pk)
    if current.status not in doubtful:
        return current
    # Ask first, with no transaction open; then lock and write only if nothing moved meanwhile.
    try:
        receipt = (
            transport_for(current.channel).status(str(current.external_id))
            if current.channel
            else None
        )
    except TransportError:
        return current  # the network cannot answer now: the next sweep asks again
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if d.status != current.status:
            return d
        old = d.status
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
    d = latest_delivery(invoice=invoice)
    if d is None:
        return None
    if d.status == DeliveryStatus.SENT and operator_routed():
        # The operator routes: ask it for the outcome (channel used, delivered or failed).
        from .operator import poll_delivery

        poll_delivery(d)
        return Delivery.objects.get(pk=d.pk)
    if d.status in (DeliveryStatus.UNKNOWN, DeliveryStatus.SENT, DeliveryStatus.CLAIMED):
        return reconcile(delivery=d, acting_user=acting_user)
    return d
