"""Operator-routed mode (DESIGN §5 "Who routes"): the operator routes, holds and bills.

With `NETWORK_ADAPTER=maventa` every delivery, whatever channel we predicted, goes to the
operator (`OperatorTransport`) with the constraints of our decision (recipient type, route order,
disabled routes, recipient identifiers). Our decision stays on the delivery as the explained
*prediction*; the channel the operator actually used and its billing action are read back from
its invoice actions (`poll_operator_deliveries`) and stored beside it. Our holds and fallbacks
are off: the operator holds and redirects itself; a FAILED invoice is re-routed at the operator
(`PUT …/reroute/email|print`) by the branch's fallback order, once.

Every operator call is made with no transaction open; the outcome is written afterwards in a
short transaction that re-checks the row. A webhook only triggers a poll; the beat polls
SENT deliveries every minute and a daily reconciliation lists the operator's SENT invoices.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections import defaultdict
from typing import Any, TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import Company, Country, FallbackOrder, OperatorConnection
from b2cportal.customers.models import CustomerKind
from b2cportal.network.adapter import NetworkError, PostalAddress, Receipt, ReceiptStatus, RerouteTo
from b2cportal.network.maventa.adapter import MaventaNetwork, OperatorOutcome, OperatorSend
from b2cportal.network.maventa.client import (
    OperatorError,
    OperatorTimeout,
    OperatorTransientError,
)
from invoices.models import Invoice
from invoices.pdf import build_pdf
from invoices.ubl import build_ubl

from ..decision import BILLING_FOR_CHANNEL, Channel
from ..models import Delivery, DeliveryEvent, DeliveryStatus
from ..operator_mode import operator_routed
from ..selectors import postal_address
from ..transports import (
    Prepared,
    TransientTransportError,
    Transport,
    TransportError,
    TransportTimeout,
)
from ._common import INVOICE_STATUS_FOR, _record_by_hand, _sync_invoices

logger = logging.getLogger("routing.operator")

FALLBACK_ROUTES = {
    "email_then_print": ["email", "print"],
    "email_only": ["email"],
    "print_only": ["print"],
}
LANG = {"nb": "NO", "no": "NO", "sv": "SE", "en": "EN"}
EIA_SCHEME = {"NO": "0192", "SE": "0007"}
OPERATOR_TIMEOUT = gettext_noop(
    "The operator did not answer in time; it is asked before any resend."
)
OPERATOR_BUSY = gettext_noop("The operator is busy or unavailable; sending again later.")
OPERATOR_REFUSED = gettext_noop("The operator refused the invoice.")
OPERATOR_FAILED = gettext_noop("The operator could not deliver the invoice.")
OPERATOR_UNREACHABLE = gettext_noop("The operator cannot be asked now; asking again later.")


def network_for(company: Company) -> MaventaNetwork:
    return MaventaNetwork.for_company(company)


# --- sending ----------------------------------------------------------------------------------


def _fallback_routes(invoice: Invoice) -> list[str]:
    settings_row = getattr(invoice.branch, "autoinvoice_settings", None)
    order = getattr(settings_row, "fallback_order", FallbackOrder.EMAIL_THEN_PRINT)
    return FALLBACK_ROUTES.get(order, ["email", "print"])


def operator_send_for(delivery: Delivery, invoice: Invoice, docs: Prepared) -> OperatorSend:
    """Our decision as the operator's constraints. `delivery.channel` is the prediction."""
    customer = invoice.customer
    company = invoice.company
    consumer = customer.kind == CustomerKind.CONSUMER
    fallback = _fallback_routes(invoice)
    disabled: list[str] = []
    if customer.delivery_method == "email":
        disabled = ["einvoice", "print"]
    elif customer.delivery_method == "print":
        disabled = ["einvoice", "email"]
    else:
        disabled = [route for route in ("email", "print") if route not in fallback]
    route_order: list[str] = []
    if consumer and company.country == Country.NORWAY:
        # The operator knows who said "Ja takk til alle": the online bank is always tried
        # first (unless the customer asked for email or paper), then the branch's fallbacks.
        candidates = ["netbank", *fallback] if "einvoice" not in disabled else list(fallback)
        route_order = [r for r in candidates if r not in disabled] or ["print"]
    eia = ""
    if not consumer and customer.organisation_number:
        eia = f"{EIA_SCHEME.get(customer.country or company.country, '0192')}:"
        eia += customer.organisation_number
    ubl = docs.ubl or build_ubl(invoice)
    pdf = (docs.pdf or build_pdf(invoice)) if consumer else None
    return OperatorSend(
        uuid=str(delivery.external_id),
        number=invoice.number,
        ubl=ubl,
        pdf=pdf,
        recipient_type="consumer" if consumer else "b2b",
        route_order=route_order,
        disabled_routes=disabled,
        recipient_ssn=customer.national_id if consumer else "",
        recipient_email=customer.email,
        recipient_eia=eia,
        b2cno_document_type=(
            ("CREDIT_NOTE" if invoice.is_credit_note else "INVOICE")
            if consumer and company.country == Country.NORWAY
            else ""
        ),
        lang=LANG.get(customer.language, ""),
    )


class OperatorTransport(Transport):
    """Every channel goes to the operator in operator-routed mode."""

    def __init__(self) -> None:
        self._networks: dict[int, MaventaNetwork] = {}

    def _network(self, company: Company) -> MaventaNetwork:
        """One adapter (one HTTP connection pool) per company for the whole chunk."""
        if company.pk not in self._networks:
            self._networks[company.pk] = network_for(company)
        return self._networks[company.pk]

    def close(self) -> None:
        for network in self._networks.values():
            network.close()
        self._networks.clear()

    def deliver(self, delivery: Delivery, invoice: Invoice, docs: Prepared) -> Receipt:
        try:
            network = self._network(invoice.company)
            operator_id = network.send(operator_send_for(delivery, invoice, docs))
        except OperatorTimeout as exc:
            raise TransportTimeout(OPERATOR_TIMEOUT, str(exc)) from exc
        except OperatorTransientError as exc:
            raise TransientTransportError(
                OPERATOR_BUSY, str(exc), retry_after=exc.retry_after
            ) from exc
        except OperatorError as exc:
            raise TransportError(OPERATOR_REFUSED, str(exc)) from exc
        except NetworkError as exc:
            raise TransportError(OPERATOR_REFUSED, str(exc)) from exc
        return Receipt(
            external_id=str(delivery.external_id),
            status=ReceiptStatus.ACCEPTED,
            detail=_("Accepted by the operator"),
            network_id=operator_id,
        )

    def deliver_many(self, batch: list[tuple[Delivery, Invoice, Prepared]]) -> list[Any]:
        """One POST per invoice; after a transient answer the rest of the chunk waits too."""
        results: list[Any] = []
        busy: TransientTransportError | None = None
        try:
            for delivery, invoice, docs in batch:
                if busy is not None:
                    results.append(busy)
                    continue
                try:
                    results.append(self.deliver(delivery, invoice, docs))
                except TransientTransportError as exc:
                    busy = exc
                    results.append(exc)
                except TransportError as exc:
                    results.append(exc)
        finally:
            self.close()
        return results

    def status(self, external_id: str) -> Receipt | None:
        """Is a delivery we are unsure of at the operator? Looked up by our invoice number."""
        delivery = Delivery.objects.select_related("invoice", "company").get(
            external_id=external_id
        )
        try:
            operator_id = self._network(delivery.company).find_sent(
                number=delivery.invoice.number,
                operator_id=str((delivery.receipt or {}).get("network_id") or ""),
                since=delivery.created_at - datetime.timedelta(days=1),
            )
        except (OperatorError, NetworkError) as exc:
            raise TransportTimeout(OPERATOR_UNREACHABLE, str(exc)) from exc
        finally:
            self.close()
        if not operator_id:
            return None
        return Receipt(
            external_id=external_id,
            status=ReceiptStatus.ACCEPTED,
            detail=_("Accepted by the operator"),
            network_id=operator_id,
        )


# --- reading the operator's outcome ----------------------------------------------------------


def operator_channel(outcome: OperatorOutcome, delivery: Delivery) -> str:
    """The operator's channel (EINVOICE/EMAIL/PRINT/SCAN) in our vocabulary.

    The operator's actions name only EINVOICE for every electronic route, so which e-invoice
    channel it was is read from the customer and, for Swedish mailboxes, the action's words.
    """
    if outcome.channel == "EMAIL":
        return Channel.EMAIL
    if outcome.channel in ("PRINT", "SCAN"):
        return Channel.PRINT
    words = outcome.message.lower()
    if "kivra" in words:
        return Channel.KIVRA
    if "billo" in words:
        return Channel.BILLO
    customer = delivery.invoice.customer
    if customer.kind == CustomerKind.CONSUMER:
        return (
            Channel.EFAKTURA_NO if delivery.company.country == Country.NORWAY else Channel.BANK_SE
        )
    if delivery.channel in (Channel.INTERNAL, Channel.PEPPOL, Channel.OPERATOR_SE):
        return delivery.channel
    return Channel.PEPPOL


def _reroute_target(delivery: Delivery) -> tuple[RerouteTo, str, PostalAddress | None] | None:
    """(route, email, print address) by the branch's fallback order and the data present."""
    invoice = delivery.invoice
    customer = invoice.customer
    for route in _fallback_routes(invoice):
        if route == delivery.channel:
            continue  # what the operator was asked first is not tried again
        if route == "email" and customer.email:
            return (RerouteTo.EMAIL, customer.email, None)
        if route == "print":
            address = postal_address(customer, delivery.company.country)
            if address is not None:
                return (RerouteTo.PRINT, "", address)
    return None


def _record_outcome(
    delivery_id: int,
    outcome: OperatorOutcome,
    rerouted: str = "",
    acting_user: User | None = None,
) -> None:
    """Write what the operator said, in a short transaction that re-checks the row;
    `acting_user`: the person who asked (*Poll invoice status*), recorded in the audit trail."""
    with transaction.atomic():
        d = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("invoice__customer", "company")
            .get(pk=delivery_id)
        )
        if d.status not in (DeliveryStatus.SENT, DeliveryStatus.UNKNOWN):
            return
        if (d.receipt or {}).get("reroute_pending") and outcome.status == "FAILED":
            return  # a re-route asked by hand is on its way to the operator
        old = d.status
        now = timezone.now()
        receipt = dict(d.receipt or {})
        receipt.update(network_id=outcome.operator_id, operator_status=outcome.status)
        if outcome.message:
            receipt["operator_message"] = outcome.message
        if rerouted:
            receipt["rerouted"] = rerouted
            note = _("The operator could not deliver (%(reason)s); re-routed to %(route)s.") % {
                "reason": outcome.message or "-",
                "route": rerouted,
            }
            d.status = DeliveryStatus.SENT
        elif outcome.status == "DELIVERED":
            channel = operator_channel(outcome, d)
            d.operator_channel = channel
            d.operator_billing_action = BILLING_FOR_CHANNEL[Channel(channel)]
            d.status = DeliveryStatus.DELIVERED
            d.completed_at = now
            d.error = ""
            note = _("The operator delivered it: %(channel)s") % {"channel": Channel(channel).label}
        elif outcome.status == "FAILED":
            d.status = DeliveryStatus.FAILED
            d.error = OPERATOR_FAILED
            d.error_detail = (outcome.message or outcome.status)[:500]
            d.completed_at = now
            note = _("The operator could not deliver the invoice: %(reason)s") % {
                "reason": outcome.message or outcome.status
            }
        else:
            if old == DeliveryStatus.UNKNOWN:
                d.status = DeliveryStatus.SENT
            else:
                d.receipt = receipt
                d.save(update_fields=["receipt", "updated_at"])
                return
            note = _("Found at the operator")
        d.receipt = receipt
        d.save()
        DeliveryEvent.objects.create(
            delivery=d, from_status=old, to_status=d.status, note=note, actor=acting_user
        )
        _sync_invoices([d])
        if acting_user is not None:
            _record_by_hand(
                delivery=d,
                action=AuditAction.DELIVERY_POLLED,
                acting_user=acting_user,
                old_status=INVOICE_STATUS_FOR[DeliveryStatus(old)],
            )


def poll_delivery(
    delivery: Delivery, network: MaventaNetwork | None = None, acting_user: User | None = None
) -> None:
    """Ask the operator about one delivery (no transaction open) and record the answer."""
    operator_id = str((delivery.receipt or {}).get("network_id") or "")
    if not operator_id:
        return
    network = network or network_for(delivery.company)
    outcome = network.outcome(operator_id)
    rerouted = ""
    if outcome.status == "FAILED" and not (delivery.receipt or {}).get("rerouted"):
        target = _reroute_target(delivery)
        if target is not None:
            route, email, address = target
            network.reroute(operator_id, route=route, email=email, address=address)
            rerouted = route
    _record_outcome(delivery.pk, outcome, rerouted=rerouted, acting_user=acting_user)


class PollCounts(TypedDict):
    """What one polling run did (the beat task's result)."""

    polled: int
    errors: int


class ReconcileCounts(TypedDict):
    """What the daily reconciliation did (the beat task's result)."""

    checked: int
    updated: int


def poll_operator_deliveries(
    *, company_id: int | None = None, operator_ids: list[str] | None = None, limit: int = 500
) -> PollCounts:
    """Poll SENT operator deliveries (all, one company's, or the ones a webhook named)."""
    if not operator_routed():
        return {"polled": 0, "errors": 0}
    rows = Delivery.objects.filter(status=DeliveryStatus.SENT).select_related(
        "company", "invoice__customer", "invoice__branch__autoinvoice_settings"
    )
    if company_id is not None:
        rows = rows.filter(company_id=company_id)
    if operator_ids:
        rows = rows.filter(receipt__network_id__in=operator_ids)
    polled = errors = 0
    networks: dict[int, MaventaNetwork] = {}
    for delivery in rows.order_by("updated_at")[:limit]:
        try:
            if delivery.company_id not in networks:
                networks[delivery.company_id] = network_for(delivery.company)
            poll_delivery(delivery, networks[delivery.company_id])
            polled += 1
        except OperatorTransientError:
            errors += 1
            break  # the operator is busy: the next poll carries on
        except (OperatorError, NetworkError) as exc:
            errors += 1
            logger.warning("Polling delivery %s at the operator failed: %s", delivery.pk, exc)
    for network in networks.values():
        network.close()
    return {"polled": polled, "errors": errors}


def reconcile_operator_invoices(*, days: int = 2) -> ReconcileCounts:
    """Daily backstop: list the operator's SENT invoices and settle our rows that differ."""
    if not operator_routed():
        return {"checked": 0, "updated": 0}
    since = timezone.now() - datetime.timedelta(days=days)
    open_rows = Delivery.objects.filter(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.UNKNOWN], created_at__gte=since
    ).select_related("company", "invoice__customer", "invoice__branch__autoinvoice_settings")
    by_company: dict[int, list[Delivery]] = defaultdict(list)
    for d in open_rows:
        by_company[d.company_id].append(d)
    checked = updated = 0
    for rows in by_company.values():
        network = network_for(rows[0].company)
        listed: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            batch = network.sent_since(since, page=page)
            for entry in batch:
                listed[str(entry.get("number"))] = entry
            if len(batch) < 100:
                break
            page += 1
        for d in rows:
            checked += 1
            row = listed.get(d.invoice.number)
            if row is None:
                continue
            if d.status == DeliveryStatus.UNKNOWN or row.get("status") != "PENDING":
                d.receipt = {**(d.receipt or {}), "network_id": str(row.get("id"))}
                poll_delivery(d, network)
                updated += 1
        network.close()
    return {"checked": checked, "updated": updated}


def operator_webhook_hint(*, webhook_token: str, body: bytes) -> bool:
    """A notification arrived: find the company by its token; poll (on commit) what it names.

    The payload's shape and signature are not public, so nothing in it is trusted: at most an
    invoice id is read to narrow the poll. Returns False for an unknown token.
    """
    connection = OperatorConnection.objects.filter(webhook_token=webhook_token).first()
    if connection is None:
        return False
    ids: list[str] = []
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {}
    if isinstance(payload, dict):
        for key in ("invoice_id", "id", "document_id", "object_id"):
            value = payload.get(key)
            if isinstance(value, str) and 0 < len(value) <= 64:
                ids.append(value)
                break
    from ..tasks import poll_operator_deliveries_task

    company_id = connection.company_id
    transaction.on_commit(lambda: poll_operator_deliveries_task.delay(company_id, ids or None))
    return True
