"""*Re-route*: an accountant sends an invoice the network has not delivered by email or print.

What may be re-routed (`selectors.reroute_options`), always the invoice's latest delivery of an open
invoice, to a route whose data is present (an email address, a full postal address):
- operator-routed (DESIGN §5): a delivery the operator reported FAILED; its re-route
  (`PUT …/reroute/email|print`) is for failed invoices, and the operator then delivers it on the
  new route and reports the outcome (polled as usual). Its PENDING invoices (held by the
  operator) are the operator's to redirect after three days;
- self-routed: a held delivery (Norway, waiting for the agreement), a failed one (not to the
  route that just failed), and one the network accepted but has not delivered (SENT): the
  network withdraws that one, and our own email or print transport sends it.

The order keeps every network call outside a transaction: the operator's current status is
looked up first; then the row is locked and checked to be as the user saw it and written in a
short transaction; the outward call (`Network.reroute`) runs after commit in a Celery task that
calls `complete_reroute`, which records the network's answer in a second short transaction.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from b2cportal.audit.models import AuditAction
from b2cportal.network.adapter import (
    NetworkError,
    RerouteTo,
    TransientNetworkError,
    get_network,
)
from b2cportal.queueing import publish_on_commit
from invoices.models import Invoice

from ..decision import BILLING_FOR_CHANNEL, Channel, DocumentFormat, Outcome
from ..models import LIVE_STATUSES, Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed
from ..selectors import (
    PENDING_KEY,
    latest_delivery,
    network_holds_document,
    reroute_allowed_by_status,
    reroute_data,
    reroute_options,
)
from ..transports import NO_EMAIL, NO_POSTAL_ADDRESS
from ._common import (
    CLAIM_STALE,
    INVOICE_STATUS_FOR,
    RoutingError,
    _emit,
    _queue,
    _record_by_hand,
    _step,
    _sync_invoices,
)
from .operator import network_for

# History notes (message ids, translated when shown).
REROUTED_NOTE = {
    RerouteTo.EMAIL: gettext_noop("Re-routed by hand: by email"),
    RerouteTo.PRINT: gettext_noop("Re-routed by hand: on paper"),
}
REROUTED_ACTION = {
    RerouteTo.EMAIL: AuditAction.INVOICE_REROUTED_EMAIL,
    RerouteTo.PRINT: AuditAction.INVOICE_REROUTED_PRINT,
}
REROUTE_DONE = gettext_noop("The network took the re-route")
REROUTE_REFUSED = gettext_noop("The network refused the re-route.")
CLAIMED_KEY = "reroute_claimed_at"


def _changed(delivery: Delivery | None) -> RoutingError:
    status = delivery.get_status_display() if delivery else _("Not sent")
    return RoutingError(
        _(
            "The delivery changed meanwhile (now: %(status)s); nothing was re-routed. "
            "Look at its current status and try again."
        )
        % {"status": status}
    )


def _document_format(invoice: Invoice, route: RerouteTo) -> str:
    if route == RerouteTo.PRINT:
        return DocumentFormat.PDF
    settings_row = getattr(invoice.branch, "autoinvoice_settings", None)
    if settings_row is not None and settings_row.do_not_send_pdf_by_email:
        return DocumentFormat.UBL
    return DocumentFormat.PDF_AND_UBL


def _send_ourselves(d: Delivery, invoice: Invoice, route: RerouteTo) -> None:
    """Our email or print transport delivers it (self-routed): back to the outbox."""
    d.channel = Channel(route.value)
    d.billing_action = BILLING_FOR_CHANNEL[Channel(route.value)]
    d.document_format = _document_format(invoice, route)
    d.status = DeliveryStatus.QUEUED
    d.hold_until = None
    d.error, d.error_detail = "", ""
    d.retry_at = None
    d.completed_at = None


def reroute_invoice(
    *,
    invoice: Invoice,
    route: str,
    acting_user: User | None,
    seen_delivery_id: int | None = None,
    seen_status: str = "",
) -> Delivery:
    """Re-route the invoice's undelivered delivery by email or print, as the user asked.

    `seen_delivery_id` / `seen_status`: what the user's screen showed; if the delivery moved on
    since, nothing happens and RoutingError says so.
    """
    try:
        route = RerouteTo(route)
    except ValueError:
        raise RoutingError(_("Choose email or print.")) from None
    d = latest_delivery(invoice=invoice)
    if (
        d is None
        or (seen_delivery_id is not None and d.pk != seen_delivery_id)
        or (seen_status and d.status != seen_status)
        or not reroute_allowed_by_status(d)
        or invoice.status != "open"
    ):
        raise _changed(d)
    if route not in reroute_options(invoice=invoice, delivery=d):
        if reroute_data(invoice, route) is None:
            raise RoutingError(_(NO_EMAIL if route == RerouteTo.EMAIL else NO_POSTAL_ADDRESS))
        raise RoutingError(_("Delivery by this route has just failed: choose the other one."))
    at_network = network_holds_document(d)
    if at_network and operator_routed():
        # Look up first, no transaction open: the operator re-routes only what it calls FAILED.
        network = network_for(invoice.company)
        try:
            outcome = network.outcome(str(d.receipt["network_id"]))
        except NetworkError as exc:
            raise RoutingError(
                _("The operator cannot be asked now (%(reason)s); try again later.")
                % {"reason": exc}
            ) from exc
        finally:
            network.close()
        if outcome.status != "FAILED":
            raise RoutingError(
                _(
                    "The operator's status of this invoice is now %(status)s; nothing was "
                    "re-routed. Poll the invoice status to see it."
                )
                % {"status": outcome.status}
            )
    with transaction.atomic():
        # The invoice first, as every send locks it: a concurrent *Send* waits, then sees ours.
        Invoice.objects.select_for_update().get(pk=invoice.pk)
        row = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("invoice__branch__autoinvoice_settings")
            .get(pk=d.pk)
        )
        other_live = (
            Delivery.objects.filter(invoice_id=invoice.pk, status__in=LIVE_STATUSES)
            .exclude(pk=row.pk)
            .exists()
        )
        if (row.status, row.updated_at, row.receipt) != (d.status, d.updated_at, d.receipt) or (
            other_live
        ):
            raise _changed(row)
        old = row.status
        row.trace = [
            *row.trace,
            _step("manual_reroute", Outcome.CHOSEN, route=route.value, from_status=old),
        ]
        if at_network:
            row.receipt = {**(row.receipt or {}), PENDING_KEY: route.value, "rerouted": route.value}
            if old == DeliveryStatus.FAILED:  # the operator's: it delivers on the new route
                row.status = DeliveryStatus.SENT
                row.error, row.error_detail = "", ""
                row.completed_at = None
        else:
            _send_ourselves(row, row.invoice, route)
        row.save()
        DeliveryEvent.objects.create(
            delivery=row,
            from_status=old,
            to_status=row.status,
            note=REROUTED_NOTE[route],
            actor=acting_user,
        )
        _sync_invoices([row])
        _record_by_hand(
            delivery=row,
            action=REROUTED_ACTION[route],
            acting_user=acting_user,
            old_status=INVOICE_STATUS_FOR[DeliveryStatus(old)],
        )
        _emit([row], queued_as="delivery.rerouted")
        if at_network:
            from ..tasks import complete_reroute_task

            publish_on_commit(complete_reroute_task, row.pk)
        else:
            _queue([row.pk])
    return row


def _claim_reroute(delivery_id: int, *, now: datetime.datetime) -> Delivery | None:
    """Take the pending re-route for this run (short transaction); None: nothing to do, or
    another run holds it. The claim keeps a slow task and the sweeper from calling twice."""
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("invoice__customer", "invoice__company", "company")
            .get(pk=delivery_id)
        )
        receipt = dict(row.receipt or {})
        if not receipt.get(PENDING_KEY):
            return None
        claimed = receipt.get(CLAIMED_KEY)
        if claimed and datetime.datetime.fromisoformat(claimed) > now - CLAIM_STALE:
            return None
        receipt[CLAIMED_KEY] = now.isoformat()
        row.receipt = receipt
        row.save(update_fields=["receipt", "updated_at"])
        return row


def _release_claim(delivery_id: int) -> None:
    with transaction.atomic():
        row = Delivery.objects.select_for_update(of=("self",)).get(pk=delivery_id)
        receipt = dict(row.receipt or {})
        if receipt.pop(CLAIMED_KEY, None) is not None:
            row.receipt = receipt
            row.save(update_fields=["receipt", "updated_at"])


def complete_reroute(*, delivery_id: int) -> None:
    """Hand a requested re-route to the network (no transaction open) and record its answer.

    Safe to run twice and alongside the sweeper: the pending re-route is claimed first, and a
    delivery without one is left alone. A transient error releases the claim and is raised for
    the task to retry.
    """
    d = _claim_reroute(delivery_id, now=timezone.now())
    if d is None:
        return
    route = RerouteTo(d.receipt[PENDING_KEY])
    data = reroute_data(d.invoice, route)
    refused = ""
    network = None
    if data is None:
        refused = _(NO_EMAIL if route == RerouteTo.EMAIL else NO_POSTAL_ADDRESS)
    else:
        try:
            network = get_network(d.company)
            network.reroute(
                str(d.receipt.get("network_id")), route=route, email=data[0], address=data[1]
            )
        except TransientNetworkError:
            _release_claim(delivery_id)
            raise
        except NetworkError as exc:
            refused = str(exc) or type(exc).__name__
        finally:
            if network is not None and hasattr(network, "close"):
                network.close()
    routes_itself = operator_routed()
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("invoice__branch__autoinvoice_settings")
            .get(pk=delivery_id)
        )
        receipt = dict(row.receipt or {})
        receipt.pop(CLAIMED_KEY, None)
        if receipt.pop(PENDING_KEY, None) is None:
            return
        old = row.status
        now = timezone.now()
        if refused:
            receipt.pop("rerouted", None)
            row.error, row.error_detail = REROUTE_REFUSED, refused[:500]
            if routes_itself:
                row.status = DeliveryStatus.FAILED
                row.completed_at = now
            note = REROUTE_REFUSED
        elif routes_itself:
            note = REROUTE_DONE  # the operator delivers it; polling reads the outcome
        else:
            _send_ourselves(row, row.invoice, route)  # withdrawn at the network: ours to send
            note = REROUTE_DONE
        row.receipt = receipt
        row.save()
        DeliveryEvent.objects.create(delivery=row, from_status=old, to_status=row.status, note=note)
        _sync_invoices([row])
        if row.status != old:
            _emit([row], queued_as="delivery.rerouted")
        if row.status == DeliveryStatus.QUEUED:
            _queue([row.pk])


def pending_reroutes(*, older_than: datetime.datetime) -> list[int]:
    """Re-routes asked by hand whose task the broker lost (for the sweeper)."""
    return list(
        Delivery.objects.filter(receipt__has_key=PENDING_KEY, updated_at__lt=older_than)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:200]
    )
