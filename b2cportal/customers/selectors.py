"""Reads of customers. Every query is scoped to one company."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from b2cportal import identifiers
from b2cportal.companies.models import Company, Country

from .models import Customer

# Digits with the separators people type in identity numbers: 811218-9876, 19811218+9876.
_ID_LIKE = re.compile(r"^\d{6,8}[-+ ]?\d{4,5}$")
_PHONE_LIKE = re.compile(r"^\+?[\d ()-]{8,}$")


def customers_of(*, company: Company) -> QuerySet[Customer]:
    return Customer.objects.filter(company=company)


def _countries_to_try(company: Company) -> list[str]:
    # The company's own country first: a Swedish company's customers are mostly Swedish.
    return [company.country, *[c for c in Country.values if c != company.country]]


def _identifier_matches(*, company: Company, term: str) -> Q | None:
    """Exact matches on national ID / organisation number / phone, if the term looks like one."""
    q = Q()
    found = False
    compact = re.sub(r"\s", "", term)
    if _ID_LIKE.match(compact):
        for country in _countries_to_try(company):
            for cleaner, field in (
                (identifiers.clean_national_id, "national_id"),
                (identifiers.clean_organisation_number, "organisation_number"),
            ):
                try:
                    q |= Q(**{field: cleaner(compact, country)})
                    found = True
                except ValidationError:
                    continue
    if _PHONE_LIKE.match(term):
        try:
            e164 = identifiers.clean_phone_number(term, company.country)
        except ValidationError:
            pass
        else:
            q |= Q(phone_1=e164) | Q(phone_2=e164)
            found = True
    return q if found else None


def search_customers(
    *,
    company: Company,
    query: str = "",
    kind: str = "",
    country: str = "",
    delivery_method: str = "",
    einvoice_norway: bool | None = None,
    is_active: bool | None = None,
) -> QuerySet[Customer]:
    """The customer list: free-text search plus filters, ordered by customer number."""
    customers = customers_of(company=company)
    term = query.strip()
    if term:
        exact = _identifier_matches(company=company, term=term)
        if exact is not None:
            # A valid national ID, organisation number or phone: exact matches only (indexed),
            # never a substring scan over names and emails.
            customers = customers.filter(exact | Q(number__istartswith=term))
        else:
            customers = customers.filter(
                Q(number__istartswith=term) | Q(name__icontains=term) | Q(email__icontains=term)
            )
    if kind:
        customers = customers.filter(kind=kind)
    if country:
        customers = customers.filter(country=country)
    if delivery_method:
        customers = customers.filter(delivery_method=delivery_method)
    if einvoice_norway is not None:
        customers = customers.filter(einvoice_norway=einvoice_norway)
    if is_active is not None:
        customers = customers.filter(is_active=is_active)
    return customers.order_by("number")
