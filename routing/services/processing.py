"""Processing the outbox: look up, claim, commit, then call the transports and record.

No network call happens inside a database transaction: route lookups (directories) run before
the claim's short transaction, transports after it, and the outcome is written in a second short
transaction. Outcomes:

- delivered / accepted receipts → DELIVERED / SENT (SENT is polled by the sweeper until final);
- a `rejected` receipt or a permanent error → on a consumer channel (eFaktura, bank, Billo,
  Kivra) the next channel the rules allow (seed 004: "If delivery through digital mail solutions
  fails, the invoice is sent via the next available fallback channel"), else FAILED;
- a transient error (429/5xx, connection refused, our database connection lost) → queued again
  with a growing wait and the same document UUID, FAILED after `MAX_ATTEMPTS`;
- a timeout → UNKNOWN, reconciled through the transport's `status()`, never resent blindly.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from b2cportal.network.adapter import Receipt, ReceiptStatus
from invoices.models import Invoice

from ..decision import Channel, Outcome, RouteDecision, decide
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed
from ..selectors import invoices_for_routing, load_route_inputs_bulk
from ..transports import (
    DATABASE_UNAVAILABLE,
    DOCUMENT_FAILED,
    NETWORK_REJECTED,
    TRANSPORT_FAILED,
    Prepared,
    TransientTransportError,
    TransportError,
    TransportTimeout,
    prepare,
    transport_for,
)
from ._common import (
    MAX_ATTEMPTS,
    _apply_decision,
    _emit,
    _event,
    _queue,
    _save,
    _step,
    _sync_invoices,
    backoff,
    due,
    logger,
)

# A failed delivery on one of these moves on to the next channel the rules allow.
FALLBACK_FROM = frozenset({Channel.EFAKTURA_NO, Channel.BANK_SE, Channel.BILLO, Channel.KIVRA})
GAVE_UP = gettext_noop("The network stayed unavailable; no more automatic attempts. Send again.")
MOVED_ON = gettext_noop("Delivery failed on this channel; moved on to the next one")
RETRYING = gettext_noop("Temporary failure; trying again later")

OUTCOME_FIELDS = [
    "status",
    "channel",
    "billing_action",
    "document_format",
    "trace",
    "error",
    "error_detail",
    "retry_at",
    "receipt",
    "completed_at",
    "updated_at",
]


def _decisions_for(rows: list[tuple[int, int]]) -> dict[int, RouteDecision]:
    """(delivery id, invoice id) -> route decision; directory lookups, so never in a transaction."""
    if not rows:
        return {}
    invoices = list(invoices_for_routing([invoice_id for _pk, invoice_id in rows]))
    inputs = load_route_inputs_bulk(invoices)
    return {pk: decide(inputs[invoice_id]) for pk, invoice_id in rows if invoice_id in inputs}


def _claim(ids: list[int]) -> list[Delivery]:
    """Decide routes (look up first), then claim queued rows in one short transaction.

    Rows someone else holds are skipped; a row whose route was not looked up (it changed in the
    meantime) stays queued for the next message or the sweeper.
    """
    now = timezone.now()
    candidates = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.QUEUED).filter(due(now))
    decisions = _decisions_for(list(candidates.filter(channel="").values_list("pk", "invoice_id")))
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, status=DeliveryStatus.QUEUED)
            .filter(due(now))
            .order_by("pk")
        )
        rows = [d for d in rows if d.channel or d.pk in decisions]
        if not rows:
            return []
        events = []
        for d in rows:
            old = d.status
            d.updated_at = now
            if not d.channel:
                _apply_decision(d, decisions[d.pk], now)
            if d.status == DeliveryStatus.QUEUED:
                d.status = DeliveryStatus.CLAIMED
                d.claimed_at = now
                d.retry_at = None
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
                "retry_at",
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
        _emit(rows)
    return [d for d in rows if d.status == DeliveryStatus.CLAIMED]


def _call_transports(claimed: list[Delivery]) -> dict[int, Receipt | Exception]:
    """Delivery id -> receipt or TransportError. No transaction is open here."""
    invoices = {
        i.pk: i
        for i in Invoice.objects.filter(pk__in=[d.invoice_id for d in claimed])
        .select_related("customer", "company", "branch", "branch__b2cse", "credited_invoice")
        .prefetch_related("lines")
    }
    results: dict[int, Receipt | Exception] = {}
    by_channel: dict[str, list[tuple[Delivery, Invoice, Prepared]]] = defaultdict(list)
    for d in claimed:
        invoice = invoices[d.invoice_id]
        try:
            by_channel[d.channel].append((d, invoice, prepare(d, invoice)))
        except (OperationalError, InterfaceError) as exc:
            results[d.pk] = TransientTransportError(DATABASE_UNAVAILABLE, str(exc))
        except Exception as exc:  # a document that cannot be built fails alone
            logger.exception("Delivery %s: document could not be built", d.pk)
            results[d.pk] = TransportError(DOCUMENT_FAILED, f"{type(exc).__name__}: {exc}")
    for channel, batch in by_channel.items():
        try:
            answers = transport_for(channel).deliver_many(batch)
        except (OperationalError, InterfaceError) as exc:
            # Our own database went away mid-call (e.g. the connection was terminated).
            logger.warning("Transport %s: database connection lost: %s", channel, exc)
            answers = [TransientTransportError(DATABASE_UNAVAILABLE, str(exc))] * len(batch)
        except Exception as exc:  # a transport bug must not strand the rows as claimed
            logger.exception("Transport %s failed", channel)
            answers = [TransportError(TRANSPORT_FAILED, f"{type(exc).__name__}: {exc}")] * len(
                batch
            )
        for (d, _invoice, _docs), answer in zip(batch, answers, strict=True):
            results[d.pk] = answer
    return results


def _failure_of(result: Receipt | Exception) -> TransportError | None:
    """The result as a failure: errors as they are, a `rejected` receipt as a permanent one."""
    if isinstance(result, TransportError):
        return result
    if isinstance(result, Exception):
        return TransportError(TRANSPORT_FAILED, f"{type(result).__name__}: {result}")
    if result.status == ReceiptStatus.REJECTED:
        return TransportError(NETWORK_REJECTED, result.detail)
    return None


def failed_channels(delivery: Delivery) -> set[str]:
    """Channels this delivery already failed on (recorded in its trace)."""
    return {
        step["inputs"].get("channel", "")
        for step in delivery.trace
        if step.get("rule") == "transport_failed"
    }


def fallback_decisions(deliveries: list[Delivery]) -> dict[int, RouteDecision]:
    """The next channel for deliveries that failed on a consumer channel (look-ups: no txn)."""
    if not deliveries:
        return {}
    invoices = list(invoices_for_routing([d.invoice_id for d in deliveries]))
    inputs = load_route_inputs_bulk(invoices)
    decisions = {}
    for d in deliveries:
        excluded = frozenset({*failed_channels(d), d.channel})
        decisions[d.pk] = decide(
            dataclasses.replace(inputs[d.invoice_id], excluded_channels=excluded)
        )
    return decisions


def record_failure(
    d: Delivery, failure: TransportError, now: datetime.datetime, fallback: RouteDecision | None
) -> str:
    """Fail `d`, or move it to the next channel; returns the history note."""
    d.updated_at = now
    d.error, d.error_detail = failure.message, failure.detail
    if fallback is not None:
        d.trace = [
            *d.trace,
            _step("transport_failed", Outcome.FAILED, channel=d.channel, reason=failure.message),
        ]
        if fallback.is_deliverable and not fallback.hold:
            d.trace = [*d.trace, *fallback.trace_json()]
            d.channel = fallback.channel or ""
            d.billing_action = fallback.billing_action or ""
            d.document_format = fallback.document_format or ""
            d.status = DeliveryStatus.QUEUED
            d.retry_at = None
            return MOVED_ON
        d.trace = [*d.trace, *fallback.trace_json()]
    d.status = DeliveryStatus.FAILED
    d.completed_at = now
    return failure.message


def _record(
    d: Delivery, result: Receipt | Exception, now: datetime.datetime, fallback: RouteDecision | None
) -> str:
    """Apply one transport outcome to `d`; returns the history note."""
    d.updated_at = now
    failure = _failure_of(result)
    if isinstance(failure, TransportTimeout):
        d.status, d.error, d.error_detail = DeliveryStatus.UNKNOWN, failure.message, failure.detail
        return failure.message
    if failure is not None and failure.transient:
        if d.attempts >= MAX_ATTEMPTS:
            d.status, d.completed_at = DeliveryStatus.FAILED, now
            d.error, d.error_detail = GAVE_UP, failure.detail
            return GAVE_UP
        d.status = DeliveryStatus.QUEUED
        d.error, d.error_detail = failure.message, failure.detail
        # Never sooner than the network asked (Retry-After), whatever our own backoff says.
        wait = max(
            backoff(d.attempts),
            datetime.timedelta(seconds=getattr(failure, "retry_after", None) or 0),
        )
        d.retry_at = now + wait
        return RETRYING
    if failure is not None:
        return record_failure(d, failure, now, fallback)
    assert isinstance(result, Receipt)  # every other outcome is a failure
    d.status = (
        DeliveryStatus.DELIVERED
        if result.status == ReceiptStatus.DELIVERED
        else DeliveryStatus.SENT
    )
    d.receipt = {"status": result.status, "detail": result.detail, "network_id": result.network_id}
    d.error, d.error_detail, d.retry_at = "", "", None
    d.completed_at = now
    return ""


def _usable_connection() -> None:
    """After a lost connection, start the next transaction on a fresh one."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _transmit(claimed: list[Delivery]) -> None:
    """Call the transports (no transaction open), then record every outcome in one short one."""
    if not claimed:
        return
    results = _call_transports(claimed)
    _usable_connection()
    failing = [
        d
        for d in claimed
        if d.channel in FALLBACK_FROM
        and (f := _failure_of(results[d.pk])) is not None
        and not f.transient
        and not operator_routed()  # the operator's fallbacks, not ours (DESIGN §5)
    ]
    fallbacks = fallback_decisions(failing)
    now = timezone.now()
    events = []
    for d in claimed:
        note = _record(d, results[d.pk], now, fallbacks.get(d.pk))
        events.append(_event(d, DeliveryStatus.CLAIMED, note))
    with transaction.atomic():
        _save(claimed, OUTCOME_FIELDS)
        DeliveryEvent.objects.bulk_create(events)
        _sync_invoices(claimed)
        _emit(
            [d for d, e in zip(claimed, events, strict=True) if e.note != RETRYING],
            queued_as="delivery.rerouted",
        )
        waits: dict[float, list[int]] = defaultdict(list)
        for d in claimed:
            if d.status == DeliveryStatus.QUEUED:
                waits[(d.retry_at - now).total_seconds() if d.retry_at else 0.0].append(d.pk)
        for wait, ids in waits.items():
            _queue(ids, countdown=wait or None)


def process_deliveries(*, delivery_ids: list[int]) -> int:
    """Claim, route and transmit the given queued deliveries; returns how many were claimed."""
    claimed = _claim(list(delivery_ids))
    _transmit(claimed)
    return len(claimed)
