"""Sending: the route decision for one invoice, one send, the bulk send."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypedDict

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from b2cportal.audit import services as audit
from b2cportal.audit.models import AuditAction
from b2cportal.companies.models import Branch, Company
from b2cportal.companies.wording import operator_name
from b2cportal.db import new_rows
from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from invoices.models import Invoice, InvoiceStatus

from ..decision import RouteDecision, decide
from ..history import BULK_NOTE
from ..models import LIVE_STATUSES, BulkSend, Delivery, DeliveryEvent, DeliveryStatus
from ..selectors import load_route_inputs
from ._common import RoutingError, _queue, _record_by_hand, _sync_invoices

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Rows per INSERT of a bulk send (PostgreSQL gets each column as one array: few round trips).
BULK_BATCH = 2000


class SkippedInvoice(TypedDict):
    """An invoice a bulk send did not queue, as `BulkSend.skipped` stores it (JSON)."""

    invoice: int
    number: str
    reason: str


def decide_route(invoice: Invoice) -> RouteDecision:
    """Channel, billing action, format and trace for one invoice, from the data as it is now."""
    return decide(load_route_inputs(invoice))


def preview_route(*, invoice: Invoice) -> RouteDecision:
    """The route the invoice would take now (the *Sending method* before sending)."""
    return decide_route(invoice)


@transaction.atomic
def send_invoice(*, invoice: Invoice, acting_user: User | None) -> Delivery:
    """Queue one open invoice for delivery; a second click finds the live delivery and stops."""
    # Lock the invoice so concurrent clicks serialise; the partial unique index is the backstop.
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.OPEN:
        raise RoutingError(_("Only open (released) invoices can be sent."))
    live = Delivery.objects.filter(invoice=locked, status__in=LIVE_STATUSES).first()
    if live is not None:
        raise RoutingError(
            _("This invoice has already been sent to %(operator)s (%(status)s).")
            % {"status": live.get_status_display(), "operator": operator_name(locked.company)}
        )
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                company_id=locked.company_id,
                branch_id=locked.branch_id,
                invoice=locked,
                external_id=locked.document_uuid,
                created_by=acting_user,
            )
    except IntegrityError as exc:
        raise RoutingError(
            _("This invoice has already been sent to %(operator)s.")
            % {"operator": operator_name(locked.company)}
        ) from exc
    DeliveryEvent.objects.create(
        delivery=delivery, to_status=delivery.status, actor=acting_user, note="send"
    )
    _sync_invoices([delivery])
    _record_by_hand(
        delivery=delivery,
        invoice=locked,
        action=AuditAction.INVOICE_SENT,
        acting_user=acting_user,
        old_status=locked.delivery_status,
    )
    _queue([delivery.pk])
    return delivery


@transaction.atomic
def send_invoices(
    *,
    company: Company,
    invoice_ids: list[int],
    acting_user: User | None,
    branch: Branch | None = None,
) -> BulkSend:
    """Queue many invoices at once (the bulk send); already-sent ones are reported, not resent.

    The invoices are locked in id order first, the order every send locks in (a single send
    locks its one invoice), so a single send racing a bulk send of the same invoices waits
    instead of deadlocking, and each invoice gets one delivery. Constant number of queries
    (the inserts in batches): one to lock and read the invoices, one for those with a live
    delivery, one INSERT per batch for the deliveries and one for their history, one UPDATE
    for the invoices' delivery status.
    """
    bulk = BulkSend.objects.create(company=company, branch=branch, created_by=acting_user)
    ids = sorted({int(i) for i in invoice_ids})
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(company=company, pk__in=ids)
        .order_by("pk")
        .values_list("pk", "status", "number", "branch_id", "document_uuid")
    )
    # Read in a statement of its own, after the lock: a single send that held one of these
    # invoices has committed its delivery by then, and only a snapshot taken after the wait
    # sees it (the locking statement's own snapshot predates it).
    live = set(
        Delivery.objects.filter(
            invoice_id__in=[row[0] for row in invoices], status__in=LIVE_STATUSES
        ).values_list("invoice_id", flat=True)
    )
    rows: list[tuple[int, int, uuid.UUID]] = []
    skipped: list[SkippedInvoice] = []
    for pk, status, number, branch_id, document_uuid in invoices:
        if status == InvoiceStatus.OPEN and pk not in live:
            rows.append((pk, branch_id, document_uuid))
        else:
            reason = _("Not open") if status != InvoiceStatus.OPEN else _("Already sent")
            skipped.append(SkippedInvoice(invoice=pk, number=number, reason=reason))
    # The invoices are locked, so nothing else adds a live delivery for them meanwhile.
    created = Delivery.objects.bulk_create(
        new_rows(
            Delivery,
            {"company_id": company.pk, "bulk_send": bulk, "created_by": acting_user},
            ["invoice_id", "branch_id", "external_id"],
            rows,
        ),
        batch_size=BULK_BATCH,
    )
    DeliveryEvent.objects.bulk_create(
        new_rows(
            DeliveryEvent,
            {"to_status": DeliveryStatus.QUEUED, "actor": acting_user, "note": BULK_NOTE},
            ["delivery_id"],
            ((d.pk,) for d in created),
        ),
        batch_size=BULK_BATCH,
    )
    bulk.total = len(created)
    bulk.skipped = skipped
    bulk.save(update_fields=["total", "skipped"])
    Invoice.objects.filter(deliveries__bulk_send=bulk).update(
        delivery_status=InvoiceDeliveryStatus.SENT_TO_AUTOINVOICE,
        delivery_status_detail="",
        delivery_status_until=None,
    )
    # One audit row for the bulk, with its counts (not one per invoice: the click stays fast;
    # each invoice's History shows its `bulk send` delivery event).
    audit.record(
        actor=acting_user,
        obj=audit.Target(bulk, company_id=company.pk, branch_id=branch.pk if branch else None),
        action=AuditAction.BULK_SEND_STARTED,
        data={"asked": len(ids), "queued": len(created), "skipped": len(skipped)},
    )
    _queue(sorted(d.pk for d in created))
    return bulk
