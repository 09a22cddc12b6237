"""Reads for routing: the inputs of the route decision, deliveries, bulk progress, billing, and
the *Sending method* block the invoice screen shows (`sending_panel`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.models import AgreementNetwork, AgreementStatus, ConsumerAgreement
from b2cportal.companies.models import (
    Company,
    Country,
    NorwayActivationStatus,
    SwedenActivationStatus,
)
from b2cportal.customers.models import CustomerKind
from b2cportal.identifiers import (
    SUPPORTED_COUNTRIES,
    clean_national_id,
    sole_trader_personnummer,
)
from b2cportal.network.adapter import PostalAddress, RerouteTo, get_network
from invoices.models import Invoice, InvoiceStatus

from .decision import Channel, RouteDecision, RouteInputs, decide, rule_label
from .models import DONE_STATUSES, LIVE_STATUSES, BulkSend, Delivery, DeliveryEvent, DeliveryStatus
from .operator_mode import UnknownDirectory, operator_routed
from .trace_text import step_sentence


def _related(obj, name: str):
    """A one-to-one row that may not exist (activation, settings), or None."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _ssn(customer) -> str:
    """The customer's valid national ID in canonical form, or ''.

    The same cleaner the customer form uses, so every ID the form accepts (samordningsnummer
    and D-numbers included) is one routing can use.
    """
    if not customer.national_id or customer.country not in SUPPORTED_COUNTRIES:
        return ""
    try:
        return clean_national_id(customer.national_id, customer.country)
    except ValidationError:
        return ""


def _sole_trader_ssn(customer) -> str:
    """A Swedish business customer's organisation number when it is a personnummer (a sole
    trader, enskild firma), as the 12-digit SSN; '' for companies and everyone else."""
    if customer.kind != CustomerKind.BUSINESS or customer.country != Country.SWEDEN:
        return ""
    return sole_trader_personnummer(customer.organisation_number)


def _endpoint(customer, ssn: str) -> str:
    if customer.kind == CustomerKind.BUSINESS:
        return (customer.organisation_number or "").replace(" ", "")
    return ssn


def norway_agreement_statuses(invoices: list[Invoice]) -> dict[tuple[int, int], str]:
    """(customer id, branch id) -> status of the live Norwegian eFaktura agreement."""
    customer_ids = {i.customer_id for i in invoices}
    if not customer_ids:
        return {}
    rows = ConsumerAgreement.objects.filter(
        customer_id__in=customer_ids, network=AgreementNetwork.NO_EFAKTURA
    )
    found: dict[tuple[int, int], str] = {}
    # Oldest first so the latest agreement wins; an ACTIVE one always wins.
    for customer_id, branch_id, status in rows.order_by("pk").values_list(
        "customer_id", "branch_id", "status"
    ):
        key = (customer_id, branch_id)
        if found.get(key) != AgreementStatus.ACTIVE:
            found[key] = status
    return found


def invoices_for_routing(ids: Iterable[int]) -> QuerySet[Invoice]:
    return Invoice.objects.filter(pk__in=list(ids)).select_related(
        "customer",
        "company",
        "company__ledger_preferences",
        "branch",
        "branch__b2cno",
        "branch__b2cse",
        "branch__autoinvoice_settings",
    )


def load_route_inputs_bulk(
    invoices: list[Invoice], *, today: datetime.date | None = None
) -> dict[int, RouteInputs]:
    """Route inputs for many invoices in a constant number of queries (directories batched)."""
    today = today or timezone.localdate()
    network = UnknownDirectory() if operator_routed() else get_network()
    ssns = {i.pk: _ssn(i.customer) for i in invoices}
    endpoints = {i.pk: _endpoint(i.customer, ssns[i.pk]) for i in invoices}
    sole_traders = {i.pk for i in invoices if _sole_trader_ssn(i.customer)}
    for invoice in invoices:
        if invoice.pk in sole_traders:
            # Seed 004: a company can have an SSN as its organisation number; the B2C lookups
            # (FMI, Billo, Kivra) use that number, the directories the organisation number.
            ssns[invoice.pk] = _sole_trader_ssn(invoice.customer)
    participants = network.lookup_participants(sorted({e for e in endpoints.values() if e}))
    se_ssns = sorted(
        {ssns[i.pk] for i in invoices if i.company.country == Country.SWEDEN and ssns[i.pk]}
    )
    # FMIs are per issuer: always asked for this sender's FUI; without an FUI there is none.
    fuis = {(_related(i.branch, "b2cse") and i.branch.b2cse.fui) or "" for i in invoices} - {""}
    fmi: set[tuple[str, str]] = set()
    for fui in fuis:
        fmi |= {(s, fui) for s in network.lookup_fmi(se_ssns, fui)} if se_ssns else set()
    mailboxes = network.lookup_mailboxes(se_ssns) if se_ssns else {}
    agreements = norway_agreement_statuses(
        [i for i in invoices if i.company.country == Country.NORWAY]
    )

    result: dict[int, RouteInputs] = {}
    for invoice in invoices:
        customer, branch = invoice.customer, invoice.branch
        settings_row = _related(branch, "autoinvoice_settings")
        prefs = _related(invoice.company, "ledger_preferences")
        b2cno, b2cse = _related(branch, "b2cno"), _related(branch, "b2cse")
        ssn, endpoint = ssns[invoice.pk], endpoints[invoice.pk]
        kinds = participants.get(endpoint, set())
        fui = (b2cse.fui if b2cse else "") or ""
        result[invoice.pk] = RouteInputs(
            country=invoice.company.country,
            customer_kind=customer.kind,
            customer_country=customer.country,
            endpoint_id=endpoint,
            has_national_id=bool(ssn),
            is_credit_note=invoice.is_credit_note,
            days_until_due=(invoice.due_date - today).days if invoice.due_date else None,
            delivery_method=customer.delivery_method,
            b2cno_active=bool(b2cno and b2cno.status == NorwayActivationStatus.ACTIVE),
            b2cse_active=bool(b2cse and b2cse.status == SwedenActivationStatus.ACTIVE),
            einvoice_norway=customer.einvoice_norway,
            norway_agreement_status=agreements.get((customer.pk, branch.pk)),
            consumer_route_anyway=bool(prefs and prefs.consumer_route_anyway),
            prevent_routing_through_inexchange=(
                settings_row.prevent_routing_through_inexchange if settings_row else True
            ),
            is_inexchange_customer=bool(settings_row and settings_row.is_inexchange_customer),
            sole_trader=invoice.pk in sole_traders,
            internal_participant="internal" in kinds,
            peppol_participant="peppol" in kinds,
            operator_participant="operator" in kinds,
            fmi_active=bool(fui) and (ssn, fui) in fmi,
            billo_account="billo" in mailboxes.get(ssn, set()),
            kivra_account="kivra" in mailboxes.get(ssn, set()),
            fallback_order=settings_row.fallback_order if settings_row else "email_then_print",
            email=customer.email,
            has_postal_address=bool(customer.address_line1 and customer.postcode and customer.city),
            do_not_send_pdf_by_email=bool(settings_row and settings_row.do_not_send_pdf_by_email),
        )
    return result


def load_route_inputs(invoice: Invoice) -> RouteInputs:
    """The route inputs of one invoice (constant number of queries)."""
    fresh = invoices_for_routing([invoice.pk]).get()
    return load_route_inputs_bulk([fresh])[fresh.pk]


def sendable_invoices(*, company: Company) -> QuerySet[Invoice]:
    """The company's invoices that may be sent: OPEN and without a live delivery."""
    return (
        Invoice.objects.filter(company=company, status=InvoiceStatus.OPEN)
        .exclude(deliveries__status__in=LIVE_STATUSES)
        .select_related("customer", "branch")
        .order_by("issue_date", "number")
    )


def filter_sendable_invoices(
    *,
    company: Company,
    branch=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    customer: str = "",
    kind: str = "",
) -> QuerySet[Invoice]:
    """The bulk send's list: sendable invoices narrowed by the filter form's fields."""
    rows = sendable_invoices(company=company)
    if branch is not None:
        rows = rows.filter(branch=branch)
    if date_from:
        rows = rows.filter(issue_date__gte=date_from)
    if date_to:
        rows = rows.filter(issue_date__lte=date_to)
    if customer:
        rows = rows.filter(Q(customer__number=customer) | Q(customer__name__icontains=customer))
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def bulk_deliveries(*, bulk: BulkSend) -> QuerySet[Delivery]:
    """One bulk send's rows with what its summary shows, in invoice number order."""
    return (
        Delivery.objects.filter(bulk_send=bulk)
        .select_related("invoice", "invoice__customer")
        .order_by("invoice__number")
    )


def deliveries_of(*, company: Company) -> QuerySet[Delivery]:
    return Delivery.objects.filter(company=company).select_related("invoice", "branch")


def latest_delivery(*, invoice: Invoice) -> Delivery | None:
    return Delivery.objects.filter(invoice=invoice).order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class TraceRow:
    """One step of a route trace, named and worded in the reader's language."""

    label: str
    outcome: str
    sentence: str


@dataclass(frozen=True)
class SendingPanel:
    """The invoice screen's *Sending method* block and *Actions* menu: the latest delivery with
    its events and trace, or (an open invoice not sent yet) the route it would take now."""

    delivery: Delivery | None
    events: list[DeliveryEvent]
    preview: RouteDecision | None
    trace: list[TraceRow]
    # The routes the delivery may be re-routed to now (no button that would be refused).
    reroute_routes: list[RerouteTo]


def trace_rows(trace: list[dict], company_country: str = "NO") -> list[TraceRow]:
    """Each step named and written as a sentence now, in the reader's language."""
    return [
        TraceRow(
            label=rule_label(step["rule"]),
            outcome=step["outcome"],
            sentence=step_sentence(step, company_country=company_country),
        )
        for step in trace
    ]


# Notes the services store as codes.
NOTE_LABELS = {"send": _("Sent from the invoice"), "bulk send": _("Bulk send")}


def _labelled(events) -> list[DeliveryEvent]:
    """Delivery events with their status codes and notes worded in the reader's language."""
    labels = dict(DeliveryStatus.choices)
    rows = list(events)
    for event in rows:
        event.from_label = labels.get(event.from_status, event.from_status)
        event.to_label = labels.get(event.to_status, event.to_status)
        # Other notes were stored in English by a worker; a catalogued one is translated now.
        note = event.note
        event.note_label = NOTE_LABELS.get(note) or (gettext(note) if note else "")
    return rows


# A re-route on its way: the delivery's receipt names the route until the network answers.
PENDING_KEY = "reroute_pending"


def postal_address(customer, country: str) -> PostalAddress | None:
    """The customer's postal address for a printed copy, or None when it is incomplete."""
    if not (customer.address_line1 and customer.postcode and customer.city):
        return None
    return PostalAddress(
        name=customer.name,
        line1=customer.address_line1,
        line2=customer.address_line2,
        postcode=customer.postcode,
        city=customer.city,
        country=customer.country or country,
    )


def network_holds_document(delivery: Delivery) -> bool:
    """The document is at the network, which must re-route (or withdraw) it."""
    network_id = str((delivery.receipt or {}).get("network_id") or "")
    if not network_id:
        return False
    if operator_routed():
        return delivery.status == DeliveryStatus.FAILED
    return delivery.status == DeliveryStatus.SENT and delivery.channel not in (
        Channel.EMAIL,
        Channel.PRINT,
    )


def reroute_allowed_by_status(delivery: Delivery) -> bool:
    if (delivery.receipt or {}).get(PENDING_KEY):
        return False  # a re-route is already on its way
    if network_holds_document(delivery):
        return True
    return not operator_routed() and delivery.status in (
        DeliveryStatus.HELD,
        DeliveryStatus.FAILED,
    )


def reroute_data(invoice: Invoice, route: RerouteTo) -> tuple[str, PostalAddress | None] | None:
    """(email, address) the route needs from the customer, or None when it is missing."""
    customer = invoice.customer
    if route == RerouteTo.EMAIL:
        return (customer.email, None) if customer.email else None
    address = postal_address(customer, invoice.company.country)
    return ("", address) if address is not None else None


def reroute_options(*, invoice: Invoice, delivery: Delivery | None) -> list[RerouteTo]:
    """The routes an accountant may re-route this delivery to now (empty: no button)."""
    if (
        delivery is None
        or invoice.status != InvoiceStatus.OPEN
        or not reroute_allowed_by_status(delivery)
    ):
        return []
    failed_on = delivery.channel if delivery.status == DeliveryStatus.FAILED else ""
    return [
        route
        for route in RerouteTo
        if not (failed_on == route and not operator_routed())
        and reroute_data(invoice, route) is not None
    ]


def sending_panel(*, invoice: Invoice) -> SendingPanel:
    """What routing shows on the invoice screen, read once per page (one delivery lookup).

    Previewing the route looks the receiver up on the network (outside any transaction): the
    view calls this before rendering, never a template.
    """
    delivery = latest_delivery(invoice=invoice)
    country = invoice.company.country
    preview = _preview(invoice) if delivery is None or not delivery.is_live else None
    delivery_trace = trace_rows(delivery.trace, country) if delivery else []
    return SendingPanel(
        delivery=delivery,
        events=_labelled(delivery.events.all()) if delivery else [],
        preview=preview,
        trace=delivery_trace or (trace_rows(preview.trace_json(), country) if preview else []),
        reroute_routes=reroute_options(invoice=invoice, delivery=delivery),
    )


def _preview(invoice: Invoice) -> RouteDecision | None:
    """The route an open invoice would take now (the *Sending method* before sending)."""
    if invoice.status != InvoiceStatus.OPEN:
        return None
    return decide(load_route_inputs(invoice))


def bulk_progress(*, bulk: BulkSend) -> dict:
    counts = dict(
        Delivery.objects.filter(bulk_send=bulk)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    done = sum(counts.get(s, 0) for s in (*DONE_STATUSES, "failed", "held"))
    return {
        "total": bulk.total,
        "done": done,
        "counts": counts,
        "finished": done >= bulk.total,
        "percent": int(100 * done / bulk.total) if bulk.total else 100,
    }


def billing_report(
    *, company: Company, year: int, month: int, branch_id: int | None = None
) -> list[dict]:
    """Billable deliveries in one month, per branch and billing action."""
    start = datetime.datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
    end = datetime.datetime(
        year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.get_current_timezone()
    )
    rows = Delivery.objects.filter(
        company=company,
        status__in=DONE_STATUSES,
        completed_at__gte=start,
        completed_at__lt=end,
    )
    if branch_id:
        rows = rows.filter(branch_id=branch_id)
    # Operator-routed mode: the operator bills what it actually did, not what we predicted.
    billed = Coalesce(NullIf("operator_billing_action", Value("")), "billing_action")
    grouped = (
        rows.annotate(billed=billed)
        .values("branch__branch_id", "branch__name", "billed")
        .annotate(count=Count("id"))
        .order_by("branch__branch_id", "billed")
    )
    return [
        {
            "branch__branch_id": row["branch__branch_id"],
            "branch__name": row["branch__name"],
            "billing_action": row["billed"],
            "count": row["count"],
        }
        for row in grouped
    ]
