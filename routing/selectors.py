"""Reads for routing: the inputs of the route decision, deliveries, bulk progress, billing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

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
from b2cportal.network.adapter import get_network
from invoices.models import Invoice, InvoiceStatus

from .decision import RouteInputs
from .models import DONE_STATUSES, LIVE_STATUSES, BulkSend, Delivery
from .operator_mode import UnknownDirectory, operator_routed


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
