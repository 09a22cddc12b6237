"""Reads for invoice screens, exports and documents; always scoped to one company."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from django.db.models import Q, QuerySet
from django.db.models.expressions import Combinable
from django.utils.translation import gettext

from b2cportal.companies.models import Company
from b2cportal.customers.models import Customer
from b2cportal.db import InIds

from .models import Invoice
from .validation import ValidationReport, validate_document


def invoices_of(*, company: Company) -> QuerySet[Invoice]:
    return Invoice.objects.filter(company=company)


def invoice_search(*, company: Company | None, q: str) -> Q | Combinable:
    """What the list's search box matches, each part served by an index (no substring scans).

    - the invoice number, from its start (`1001` finds 1001, 10015, …; `(company, number)`
      pattern index);
    - the payment reference (KID/OCR) and the customer's reference number, exactly;
    - the customer: number from its start or name containing the text (the customers'
      trigram indexes), as the ids of those customers (`InIds`, the customer index).
    The description (note) is not searched: a substring scan over every invoice's text.
    """
    term = q.strip()
    customers = Customer.objects.filter(
        Q(number__istartswith=term) | Q(name__icontains=term)
    ).order_by()
    if company is not None:  # None: the admin, whose queryset is already scoped
        customers = customers.filter(company=company)
    return (
        Q(number__startswith=term)
        | Q(payment_reference=term)
        | Q(buyer_reference=term)
        | InIds("customer_id", customers)
    )


# What a row of the list screen shows: narrow rows keep sorting a search's matches cheap.
LIST_COLUMNS = (
    "company_id",
    "kind",
    "number",
    "status",
    "issue_date",
    "due_date",
    "currency",
    "total_incl_vat",
    "delivery_status",
    "delivery_status_detail",
    "delivery_status_until",
    "customer__number",
    "customer__name",
    "branch__branch_id",
)


def invoice_list(*, company: Company, filters: dict | None = None) -> QuerySet[Invoice]:
    """The list screen's rows: one query whatever the page size (customer and branch joined).

    Newest first (`-issue_date, -id`), the order of the `(company[, status|delivery_status],
    -issue_date, -id)` indexes, so the first page of a filter reads 26 index entries.
    """
    filters = filters or {}
    queryset = (
        invoices_of(company=company)
        .select_related("customer", "branch")
        .defer("document_snapshot", "document_xml", "vat_overrides")
    )
    if filters.get("q") and filters["q"].strip():
        queryset = queryset.filter(invoice_search(company=company, q=filters["q"]))
    for name in ("status", "kind", "delivery_status"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("customer"):
        queryset = queryset.filter(customer=filters["customer"])
    if filters.get("branch"):
        queryset = queryset.filter(branch=filters["branch"])
    if filters.get("date_from"):
        queryset = queryset.filter(issue_date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(issue_date__lte=filters["date_to"])
    return queryset.order_by("-issue_date", "-id")


CUSTOMER_SEARCH_LIMIT = 20


def _digit_prefix_end(prefix: str) -> str | None:
    """The smallest digit string after every string starting with `prefix` ("209" -> "21")."""
    kept = prefix.rstrip("9")
    return kept[:-1] + chr(ord(kept[-1]) + 1) if kept else None


class CustomerHit(TypedDict):
    number: str
    name: str


def customer_search(
    *, company: Company, q: str, limit: int = CUSTOMER_SEARCH_LIMIT
) -> list[CustomerHit]:
    """Up to `limit` active customers of `company` whose number starts with / name contains q.

    One query. Digits search the number only, as a range on the (company, number) index, so
    typing a number stays fast with 100,000 customers; anything else also searches names.
    Number matches come first so typing a full number shows that customer on top.
    """
    q = (q or "").strip()[:100]
    if not q:
        return []
    if q.isascii() and q.isdigit():
        condition = Q(number__gte=q, number__startswith=q)
        end = _digit_prefix_end(q)
        if end:
            condition &= Q(number__lt=end)
    else:
        condition = Q(number__istartswith=q) | Q(name__icontains=q)
    rows = list(
        Customer.objects.filter(company=company, is_active=True)
        .filter(condition)
        .order_by("number")
        .values("number", "name")[: max(1, min(limit, CUSTOMER_SEARCH_LIMIT))]
    )
    rows.sort(key=lambda row: not row["number"].lower().startswith(q.lower()))
    return rows


def invoice_for_document(*, company: Company, pk: int) -> Invoice:
    """One invoice with everything the UBL and PDF builders read, for this company only."""
    return (
        invoices_of(company=company)
        .select_related("company", "branch", "customer", "credited_invoice")
        .prefetch_related("lines")
        .get(pk=pk)
    )


def validation_report(*, invoice: Invoice) -> ValidationReport:
    """Build the invoice's UBL document and run XSD + CEN + Peppol on it (no writes)."""
    from .ubl import UblError, build_ubl

    try:
        xml = build_ubl(invoice)
    except UblError as exc:
        from .validation import RuleFailure

        report = ValidationReport(kind=invoice.kind)
        report.failures.append(RuleFailure("build", "INPUT", "fatal", str(exc)))
        return report
    return validate_document(xml, kind=invoice.kind, consumer=invoice.customer.is_consumer)


@dataclass(frozen=True, slots=True)
class LineRow:
    """One invoice line as the invoice page shows it (and `calc.compute_totals` reads it)."""

    position: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    exemption_reason: str
    line_total: Decimal
    fixed_amount: Decimal | None


def line_rows(*, invoice: Invoice) -> list[LineRow]:
    """The invoice's lines in order, as plain rows (one query, no model instances)."""
    fields = list(LineRow.__dataclass_fields__)
    return [
        LineRow(*values) for values in invoice.lines.order_by("position", "id").values_list(*fields)
    ]


def released_invoice_lock(company: Company) -> str | None:
    """Why the company's organisation number is fixed, if it has released an invoice (a
    `organisation_number_locks` hook of the companies app)."""
    if Invoice.objects.filter(company=company, released_at__isnull=False).exists():
        return gettext("the company has released an invoice")
    return None
