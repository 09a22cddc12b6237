"""Holds (Norway, *consumer route anyway*): release, re-route, expire — decided again each time.

A held delivery waits only while the consumer can still accept the agreement request (NEW,
REQUEST_SENT, ACCEPTED — see `routing.decision`), for three days counted from the send. The
agreement turning ACTIVE ends the wait, and so do REJECTED, DELETED (declined or blocked via
JTTA), ERROR or the three days running out. When a hold ends the route is decided again from the
data as it is then: a B2C service deactivated, the e-invoice option switched off or contact
data changed during the hold lead to the new decision, not to the bank chosen three days ago.

No network call inside a transaction: the held rows are read, their routes decided (directory
look-ups) outside any transaction, then the rows still held are locked and written briefly.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from agreements.models import AgreementStatus
from b2cportal.audit.models import AuditAction
from b2cportal.customers.models import Customer
from invoices.models import Invoice

from ..decision import NORWAY_PENDING_AGREEMENT, Outcome, RouteDecision, decide, decide_after_hold
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..selectors import invoices_for_routing, load_route_inputs_bulk, norway_agreement_statuses
from ._common import (
    INVOICE_STATUS_FOR,
    _emit,
    _event,
    _queue,
    _record_by_hand,
    _step,
    _sync_invoices,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


ACTIVE = AgreementStatus.ACTIVE
RELEASED = gettext_noop("Agreement active: released to the online bank")
RELEASED_REDECIDED = gettext_noop("Agreement active, but the route changed during the hold")
DECLINED = gettext_noop("Agreement declined, deleted or failed: not waiting any longer")
EXPIRED = gettext_noop("Hold expired after 3 days")


def _held(**filters: Any) -> list[Delivery]:
    """Held rows, read without a lock (the lock is taken when writing)."""
    return list(
        Delivery.objects.filter(status=DeliveryStatus.HELD, **filters).select_related("invoice")
    )


# Delivery id -> (trace steps, new decision, note) of each hold that ends.
Plans = dict[int, tuple[list[dict[str, Any]], RouteDecision, str]]


def _plan(held: list[Delivery], *, expired_ids: set[int]) -> Plans:
    """Delivery id -> (trace steps, new decision, note) for every hold that ends now.

    Calls the network's directories: never inside a transaction.
    """
    statuses = norway_agreement_statuses([d.invoice for d in held])
    ending = {}
    for d in held:
        status = statuses.get((d.invoice.customer_id, d.branch_id))
        if status == ACTIVE or status not in NORWAY_PENDING_AGREEMENT or d.pk in expired_ids:
            ending[d.pk] = (d, status)
    if not ending:
        return {}
    invoices = list(invoices_for_routing([d.invoice_id for d, _s in ending.values()]))
    inputs = load_route_inputs_bulk(invoices)
    plans = {}
    for pk, (d, status) in ending.items():
        route_inputs = inputs[d.invoice_id]
        if status == ACTIVE:
            steps = [_step("norway_hold_released", Outcome.PASSED, agreement_status=ACTIVE)]
            decision = decide(route_inputs)
            if decision.hold:
                continue  # cannot happen with an ACTIVE agreement; keep waiting if it does
            note = RELEASED if decision.channel == d.channel else RELEASED_REDECIDED
        else:
            steps = []
            expired = pk in expired_ids
            decision = decide_after_hold(route_inputs, expired=expired)
            note = EXPIRED if expired else DECLINED
        plans[pk] = ([*steps, *decision.trace_json()], decision, note)
    return plans


def _apply(
    plans: Plans,
    *,
    acting_user: User | None,
    now: datetime.datetime,
) -> int:
    """Write the planned ends of holds, for the rows still held (locked briefly)."""
    if not plans:
        return 0
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(plans), status=DeliveryStatus.HELD)
            .order_by("pk")
        )
        events = []
        for d in rows:
            steps, decision, note = plans[d.pk]
            d.trace = [*d.trace, *steps]
            d.hold_until = None
            d.updated_at = now
            if decision.is_deliverable:
                d.channel = decision.channel or ""  # set on every deliverable decision
                d.billing_action = (
                    decision.billing_action or ""
                )  # set on every deliverable decision
                d.document_format = (
                    decision.document_format or ""
                )  # set on every deliverable decision
                d.status = DeliveryStatus.QUEUED
            else:
                d.status = DeliveryStatus.FAILED
                d.error = decision.error
                d.completed_at = now
            events.append(_event(d, DeliveryStatus.HELD, note, acting_user))
        Delivery.objects.bulk_update(
            rows,
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
        _sync_invoices(rows)
        if acting_user is not None:  # ended by a person's agreement change: a few rows
            invoices = Invoice.objects.in_bulk([d.invoice_id for d in rows])
            for d in rows:
                _record_by_hand(
                    delivery=d,
                    invoice=invoices[d.invoice_id],
                    action=AuditAction.HOLD_ENDED,
                    acting_user=acting_user,
                    old_status=INVOICE_STATUS_FOR[DeliveryStatus.HELD],
                )
        _emit([d for d in rows if plans[d.pk][2] == RELEASED], queued_as="delivery.released")
        _emit([d for d in rows if plans[d.pk][2] != RELEASED], queued_as="delivery.rerouted")
        _queue([d.pk for d in rows if d.status == DeliveryStatus.QUEUED])
    return len(rows)


def settle_holds_for_customer(*, customer: Customer, acting_user: User | None = None) -> int:
    """The customer's agreement changed: their held invoices go on now if it is settled.

    ACTIVE sends them on (decided again: normally the online bank); REJECTED, DELETED or ERROR
    sends them by email or print; an open request leaves them waiting. Returns how many ended.
    """
    held = _held(invoice__customer=customer)
    if not held:
        return 0
    return _apply(_plan(held, expired_ids=set()), acting_user=acting_user, now=timezone.now())


def release_active_holds(*, now: datetime.datetime | None = None) -> int:
    """Settle holds whose agreement changed (periodic); returns how many holds ended."""
    held = _held()
    if not held:
        return 0
    return _apply(_plan(held, expired_ids=set()), acting_user=None, now=now or timezone.now())


def expire_holds(*, now: datetime.datetime | None = None) -> int:
    """Holds past three days (from the send) end: decided again, email or print without ACTIVE."""
    now = now or timezone.now()
    expired = _held(hold_until__lte=now)
    if not expired:
        return 0
    plans = _plan(expired, expired_ids={d.pk for d in expired})
    return _apply(plans, acting_user=None, now=now)
