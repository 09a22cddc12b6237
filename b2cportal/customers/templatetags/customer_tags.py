from typing import TYPE_CHECKING

from django import template
from django.core.exceptions import ValidationError

from b2cportal import identifiers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


register = template.Library()


@register.filter
def masked_id(value: str) -> str:
    """A national ID with the personal digits hidden, for lists (e.g. 19811218-****)."""
    return identifiers.mask_national_id(value) if value else ""


@register.filter
def postcode(value: str, country: str) -> str:
    """The postcode as people write it in the customer's country (Sweden: "123 45")."""
    if not value:
        return ""
    try:
        return identifiers.format_postcode(value, country)
    except (ValidationError, ValueError):
        return value  # stored before validation existed, or a country we do not format


@register.filter
def country_name(code: str) -> "StrOrPromise":
    """Norway/Sweden in the user's language; other codes as they are."""
    from b2cportal.companies.models import Country

    try:
        return Country(code).label
    except ValueError:
        return code
