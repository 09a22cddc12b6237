"""Sending: the route decision for one invoice, one send, the bulk send."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from b2cportal.companies.models import Branch, Company
from b2cportal.companies.wording import operator_name
from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from invoices.models import Invoice, InvoiceStatus

from ..decision import RouteDecision, decide
from ..models import LIVE_STATUSES, BulkSend, Delivery, DeliveryEvent, DeliveryStatus
from ..selectors import load_route_inputs
from ._common import RoutingError, _queue, _sync_invoices


def decide_route(invoice: Invoice) -> RouteDecision:
    """Channel, billing action, format and trace for one invoice, from the data as it is now."""
    return decide(load_route_inputs(invoice))


def preview_route(*, invoice: Invoice) -> RouteDecision:
    """The route the invoice would take now (the *Sending method* before sending)."""
    return decide_route(invoice)


@transaction.atomic
def send_invoice(*, invoice: Invoice, acting_user) -> Delivery:
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
    _queue([delivery.pk])
    return delivery


@transaction.atomic
def send_invoices(
    *, company: Company, invoice_ids: list[int], acting_user, branch: Branch | None = None
) -> BulkSend:
    """Queue many invoices at once (the bulk send); already-sent ones are reported, not resent."""
    bulk = BulkSend.objects.create(company=company, branch=branch, created_by=acting_user)
    ids = sorted({int(i) for i in invoice_ids})
    if connection.vendor == "postgresql":
        created = _insert_bulk_rows_pg(bulk=bulk, ids=ids, acting_user=acting_user)
    else:
        created = _insert_bulk_rows(bulk=bulk, ids=ids, acting_user=acting_user)
    done = set(created)
    skipped = []
    for pk, status, number in (
        Invoice.objects.filter(company=company, pk__in=ids)
        .exclude(pk__in=done)
        .values_list("pk", "status", "number")
        .iterator()
    ):
        reason = _("Not open") if status != InvoiceStatus.OPEN else _("Already sent")
        skipped.append({"invoice": pk, "number": number, "reason": reason})
    bulk.total = len(created)
    bulk.skipped = skipped
    bulk.save(update_fields=["total", "skipped"])
    Invoice.objects.filter(deliveries__bulk_send=bulk).update(
        delivery_status=InvoiceDeliveryStatus.SENT_TO_AUTOINVOICE,
        delivery_status_detail="",
        delivery_status_until=None,
    )
    _queue(sorted(created.values()))
    return bulk


def _insert_bulk_rows(*, bulk: BulkSend, ids: list[int], acting_user) -> dict[int, int]:
    """Portable path: invoice id -> new delivery id."""
    candidates = Invoice.objects.filter(
        company_id=bulk.company_id, pk__in=ids, status=InvoiceStatus.OPEN
    ).exclude(deliveries__status__in=LIVE_STATUSES)
    rows = [
        Delivery(
            company_id=bulk.company_id,
            branch_id=branch_id,
            invoice_id=pk,
            external_id=uuid,
            bulk_send=bulk,
            created_by=acting_user,
        )
        for pk, branch_id, uuid in candidates.values_list("pk", "branch_id", "document_uuid")
    ]
    # A concurrent single send may win a row: the partial unique index drops ours silently.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = dict(Delivery.objects.filter(bulk_send=bulk).values_list("invoice_id", "pk"))
    DeliveryEvent.objects.bulk_create(
        [
            DeliveryEvent(
                delivery_id=pk, to_status=DeliveryStatus.QUEUED, actor=acting_user, note="bulk send"
            )
            for pk in created.values()
        ],
        batch_size=1000,
    )
    return created


def _insert_bulk_rows_pg(*, bulk: BulkSend, ids: list[int], acting_user) -> dict[int, int]:
    """PostgreSQL: the rows and their history are written by the database in two statements.

    Building ten thousand model instances costs far more than sending them; INSERT ... SELECT
    keeps a month's billing run click under a second. ON CONFLICT DO NOTHING lets the partial
    unique index drop invoices a concurrent send already took.
    """
    now = timezone.now()
    actor = acting_user.pk if acting_user is not None else None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO routing_delivery (
                company_id, branch_id, invoice_id, bulk_send_id, status, channel,
                billing_action, document_format, trace, attempts, external_id, receipt, error,
                created_by_id, created_at, updated_at
            )
            SELECT i.company_id, i.branch_id, i.id, %s, 'queued', '', '', '', '[]'::jsonb, 0,
                   i.document_uuid, '{}'::jsonb, '', %s, %s, %s
            FROM invoices_invoice i
            WHERE i.company_id = %s AND i.id = ANY(%s) AND i.status = 'open'
              AND NOT EXISTS (
                SELECT 1 FROM routing_delivery d
                WHERE d.invoice_id = i.id AND d.status = ANY(%s)
              )
            ORDER BY i.id
            ON CONFLICT DO NOTHING
            RETURNING invoice_id, id
            """,
            [bulk.pk, actor, now, now, bulk.company_id, ids, [str(s) for s in LIVE_STATUSES]],
        )
        created = dict(cursor.fetchall())
        cursor.execute(
            """
            INSERT INTO routing_deliveryevent
                (delivery_id, from_status, to_status, note, actor_id, created_at)
            SELECT id, '', 'queued', 'bulk send', %s, %s FROM routing_delivery
            WHERE bulk_send_id = %s
            """,
            [actor, now, bulk.pk],
        )
    return created
