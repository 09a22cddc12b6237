"""Holds (Norway, *consumer route anyway*): release to the bank, re-route, expire.

A held delivery waits only while the consumer can still accept the agreement request (NEW,
REQUEST_SENT, ACCEPTED — see `routing.decision`). The agreement turning ACTIVE releases it to
the bank at once; turning REJECTED, DELETED (declined or blocked via JTTA) or ERROR ends the wait
at once with email or print; three days without either ends it the same way.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.customers.models import Customer

from ..decision import NO_PENDING_AGREEMENT, Outcome, decide_after_hold
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..selectors import invoices_for_routing, load_route_inputs_bulk, no_agreement_statuses
from ._common import _emit, _event, _queue, _step, _sync_invoices

ACTIVE = "ACTIVE"


def _release(deliveries: list[Delivery], acting_user, note: str) -> int:
    now = timezone.now()
    for d in deliveries:
        d.trace = [
            *d.trace,
            _step("no_hold_released", Outcome.PASSED, agreement_status=ACTIVE),
        ]
        d.status = DeliveryStatus.QUEUED
        d.hold_until = None
        d.updated_at = now
    Delivery.objects.bulk_update(deliveries, ["trace", "status", "hold_until", "updated_at"])
    DeliveryEvent.objects.bulk_create(
        [_event(d, DeliveryStatus.HELD, note, acting_user) for d in deliveries]
    )
    _sync_invoices(deliveries)
    _emit(deliveries, queued_as="delivery.released")
    _queue([d.pk for d in deliveries])
    return len(deliveries)


def _reroute(deliveries: list[Delivery], *, now: datetime.datetime, expired: bool) -> int:
    """End holds without the bank: email if there is an address, else print (or fail)."""
    if not deliveries:
        return 0
    invoices = list(invoices_for_routing([d.invoice_id for d in deliveries]))
    inputs = load_route_inputs_bulk(invoices)
    note = (
        _("Hold expired after 3 days")
        if expired
        else _("Agreement declined, deleted or failed: not waiting any longer")
    )
    events = []
    for d in deliveries:
        decision = decide_after_hold(inputs[d.invoice_id], expired=expired)
        d.trace = [*d.trace, *decision.trace_json()]
        d.hold_until = None
        d.updated_at = now
        if decision.is_deliverable:
            d.channel = decision.channel
            d.billing_action = decision.billing_action
            d.document_format = decision.document_format
            d.status = DeliveryStatus.QUEUED
        else:
            d.status = DeliveryStatus.FAILED
            d.error = decision.error
            d.completed_at = now
        events.append(_event(d, DeliveryStatus.HELD, note))
    Delivery.objects.bulk_update(
        deliveries,
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
    _sync_invoices(deliveries)
    _emit(deliveries, queued_as="delivery.rerouted")
    _queue([d.pk for d in deliveries if d.status == DeliveryStatus.QUEUED])
    return len(deliveries)


def _held(**filters) -> list[Delivery]:
    return list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=DeliveryStatus.HELD, **filters)
        .select_related("invoice")
    )


def _settle(held: list[Delivery], *, acting_user, now: datetime.datetime) -> int:
    """End the holds whose agreement is settled: ACTIVE → bank; declined or failed → fallback.

    Holds whose agreement request is still open keep waiting (until `expire_holds`).
    """
    statuses = no_agreement_statuses([d.invoice for d in held])
    ready, ended = [], []
    for d in held:
        status = statuses.get((d.invoice.customer_id, d.branch_id))
        if status == ACTIVE:
            ready.append(d)
        elif status not in NO_PENDING_AGREEMENT:
            ended.append(d)
    released = _release(ready, acting_user, _("Agreement active: released to the online bank"))
    return released + _reroute(ended, now=now, expired=False)


@transaction.atomic
def settle_holds_for_customer(*, customer: Customer, acting_user=None) -> int:
    """The customer's agreement changed: their held invoices go on now if it is settled.

    ACTIVE sends them to the online bank; REJECTED, DELETED or ERROR sends them by email or
    print; an open request leaves them waiting. Returns how many holds ended.
    """
    held = _held(invoice__customer=customer)
    if not held:
        return 0
    return _settle(held, acting_user=acting_user, now=timezone.now())


@transaction.atomic
def release_active_holds(*, now: datetime.datetime | None = None) -> int:
    """Settle holds whose agreement changed (periodic): ACTIVE → bank; declined/failed → fallback.

    Returns how many holds ended (released plus re-routed).
    """
    held = _held()
    if not held:
        return 0
    return _settle(held, acting_user=None, now=now or timezone.now())


@transaction.atomic
def expire_holds(*, now: datetime.datetime | None = None) -> int:
    """Holds past three days go by email if there is an address, else by print."""
    now = now or timezone.now()
    expired = _held(hold_until__lte=now)
    if not expired:
        return 0
    statuses = no_agreement_statuses([d.invoice for d in expired])
    active = [d for d in expired if statuses.get((d.invoice.customer_id, d.branch_id)) == ACTIVE]
    rest = [d for d in expired if d not in active]
    _reroute(rest, now=now, expired=True)
    if active:
        _release(active, None, _("Agreement active: released to the online bank"))
    return len(expired)
