from django import template

from b2cportal import identifiers

register = template.Library()


@register.filter
def masked_id(value: str) -> str:
    """A national ID with the personal digits hidden, for lists (e.g. 19811218-****)."""
    return identifiers.mask_national_id(value) if value else ""


@register.filter
def postcode(value: str, country: str) -> str:
    """The postcode as people write it in the customer's country (Sweden: "123 45")."""
    return identifiers.format_postcode(value, country) if value else ""
