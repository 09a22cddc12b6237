"""Reads about agreements: which branches offer consumer e-invoice, the support list, panels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from b2cportal.companies.models import (
    Branch,
    Company,
    Country,
    NorwayActivationStatus,
)
from b2cportal.companies.selectors import active_b2c_branches, ledger_preferences_of
from b2cportal.customers.models import Customer
from b2cportal.identifiers import clean_national_id, clean_phone_number

from .models import (
    AgreementEvent,
    AgreementNetwork,
    AgreementRequest,
    AgreementStatus,
    ConsumerAgreement,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def network_for(*, company: Company) -> str:
    return AgreementNetwork.NO_EFAKTURA if company.is_norwegian else AgreementNetwork.SE_BANK


# --- Support list --------------------------------------------------------------------------

_DIGITS = re.compile(r"\D")


@dataclass
class SupportFilters:
    q: str = ""
    status: str = ""
    branch: int | None = None
    network: str = ""
    source: str = ""
    wanted_without_active: bool = False


def _search(queryset: QuerySet[ConsumerAgreement], q: str, company: Company) -> QuerySet:
    q = q.strip()
    if not q:
        return queryset
    country = company.country
    # Naming the company lets PostgreSQL use the customer indexes that start with it.
    queryset = queryset.filter(customer__company=company)
    # National IDs are matched exactly, never by fragment (they are personal data). A valid
    # ID-shaped query also matches a customer number, so support need not say which it is.
    try:
        national_id = clean_national_id(q, country)
    except ValidationError:
        national_id = ""
    if national_id:
        return queryset.filter(Q(customer__national_id=national_id) | Q(customer__number=q))
    condition = Q(customer__number=q) | Q(customer__name__icontains=q)
    if "@" in q:
        condition |= Q(customer__email__iexact=q)
    digits = _DIGITS.sub("", q)
    if len(digits) >= 6 and not any(ch.isalpha() for ch in q):
        try:
            phone = clean_phone_number(q, country)
        except ValidationError:
            phone = digits
        condition |= Q(customer__phone_1__endswith=phone) | Q(customer__phone_2__endswith=phone)
    return queryset.filter(condition)


def customers_due_for_directory_check() -> QuerySet[Customer, int]:
    """Ids of e-invoice (Norway) customers, in companies with an active Norwegian B2C service,
    that have no active eFaktura agreement yet: the weekly Ja takk til alle lookup covers them."""
    active = ConsumerAgreement.objects.filter(
        network=AgreementNetwork.NO_EFAKTURA, status=AgreementStatus.ACTIVE
    ).values("customer_id")
    return (
        Customer.objects.filter(
            einvoice_norway=True,
            company__country=Country.NORWAY,
            company__branches__b2cno__status=NorwayActivationStatus.ACTIVE,
        )
        .exclude(pk__in=active)
        .values_list("pk", flat=True)
        .distinct()
    )


def agreements_for_support(
    *, company: Company, filters: SupportFilters
) -> QuerySet[ConsumerAgreement]:
    """Agreements of one company for the support screen (and its export), filtered."""
    # The company's branch ids up front (a handful): the planner can then walk the
    # (branch, last_updated) index in order instead of joining and sorting every agreement.
    branch_ids = list(Branch.objects.filter(company=company).values_list("pk", flat=True))
    queryset = ConsumerAgreement.objects.filter(branch_id__in=branch_ids)
    queryset = _search(queryset, filters.q, company)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.branch:
        queryset = queryset.filter(branch_id=filters.branch)
    if filters.network:
        queryset = queryset.filter(network=filters.network)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.wanted_without_active:
        active = ConsumerAgreement.objects.filter(
            customer=OuterRef("customer"),
            network=AgreementNetwork.NO_EFAKTURA,
            status=AgreementStatus.ACTIVE,
        )
        queryset = queryset.filter(
            customer__einvoice_norway=True, network=AgreementNetwork.NO_EFAKTURA
        ).exclude(Exists(active))
    return queryset


def customers_wanting_einvoice_without_agreement(*, company: Company) -> int:
    """E-invoice (Norway) customers with no agreement row at all (never requested, e.g.
    flagged before agreements existed): the agreement list cannot show them as rows."""
    return (
        Customer.objects.filter(company=company, einvoice_norway=True)
        .exclude(Exists(ConsumerAgreement.objects.filter(customer=OuterRef("pk"))))
        .count()
    )


def support_page_queryset(queryset: QuerySet[ConsumerAgreement]) -> QuerySet[ConsumerAgreement]:
    return queryset.select_related("customer", "branch").order_by("-last_updated", "-id")


def status_counts(*, queryset: QuerySet[ConsumerAgreement]) -> dict[str, int]:
    """Number of agreements per status (every status present, zero when none)."""
    counts = {status: 0 for status in AgreementStatus.values}
    rows = queryset.order_by().values_list("status").annotate(n=Count("id"))
    for status, n in rows:
        counts[status] = n
    return counts


# --- Customer panel ------------------------------------------------------------------------


@dataclass
class AgreementRow:
    branch: Branch
    network: str
    agreement: ConsumerAgreement | None
    history: list[ConsumerAgreement] = field(default_factory=list)

    @property
    def network_label(self) -> StrOrPromise:
        return AgreementNetwork(self.network).label


def customer_agreement_rows(*, customer: Customer) -> list[AgreementRow]:
    """One row per branch offering the service (or holding an agreement) and network."""
    company = customer.company
    network = network_for(company=company)
    branches = list(active_b2c_branches(company=company))
    agreements = list(
        ConsumerAgreement.objects.filter(customer=customer)
        .select_related("branch")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=AgreementEvent.objects.select_related("actor").order_by(
                    "-created_at", "-id"
                ),
            ),
            Prefetch("requests", queryset=AgreementRequest.objects.order_by("-created_at")),
        )
        .order_by("-last_updated", "-id")
    )
    keys: list[tuple[Branch, str]] = [(b, network) for b in branches]
    for agreement in agreements:
        if not any(b.pk == agreement.branch_id and n == agreement.network for b, n in keys):
            keys.append((agreement.branch, agreement.network))
    rows = []
    for branch, net in keys:
        mine = [a for a in agreements if a.branch_id == branch.pk and a.network == net]
        live = next((a for a in mine if a.is_live), None)
        current = live or (mine[0] if mine else None)
        rows.append(
            AgreementRow(
                branch=branch,
                network=net,
                agreement=current,
                history=[a for a in mine if a is not current],
            )
        )
    return rows


@dataclass(frozen=True)
class AgreementWarning:
    customer_name: str
    status_label: str
    last_updated: object


def agreement_warning(*, customer: Customer, branch: Branch | None) -> AgreementWarning | None:
    """The warning for an e-invoice (Norway) customer without an active agreement, or None."""
    if not customer.einvoice_norway:
        return None
    if not ledger_preferences_of(company=customer.company).display_warning_message:
        return None
    agreements = ConsumerAgreement.objects.filter(
        customer=customer, network=AgreementNetwork.NO_EFAKTURA
    )
    if branch is not None:
        agreements = agreements.filter(branch=branch)
    # One query for both questions (is one active? which is the latest?): a customer has a
    # handful of agreements per branch, and this runs on every invoice and customer page.
    rows = list(agreements.order_by("-last_updated", "-id").values_list("status", "last_updated"))
    if any(status == AgreementStatus.ACTIVE for status, _updated in rows):
        return None
    if not rows:
        return AgreementWarning(
            customer_name=customer.name, status_label="", last_updated=customer.updated_at
        )
    status, last_updated = rows[0]
    return AgreementWarning(
        customer_name=customer.name,
        status_label=str(AgreementStatus(status).label),
        last_updated=last_updated,
    )


# --- Consumer simulator --------------------------------------------------------------------

# The simulator shows the latest requests only; older ones are in the agreement history.
SIMULATED_REQUESTS_LIMIT = 25


def recent_consumer_requests(
    *, company: Company, limit: int = SIMULATED_REQUESTS_LIMIT
) -> list[AgreementRequest]:
    """The latest SMS/email agreement requests that went out (with a link) to `company`'s
    customers, newest first: one query whatever the number of rows."""
    from .models import RequestChannel

    return list(
        AgreementRequest.objects.filter(
            agreement__branch__company=company,
            channel__in=(RequestChannel.SMS, RequestChannel.EMAIL),
        )
        .exclude(link="")
        .select_related("agreement__customer")
        .order_by("-created_at", "-id")[:limit]
    )
