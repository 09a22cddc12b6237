"""`{% load invoice_format %}`: `{{ amount|money }}` and `{{ quantity|number }}` in the locale."""

from __future__ import annotations

from django import template

from invoices.formatting import format_money, format_number
from invoices.vat import vat_label

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def number(value) -> str:
    return format_number(value)


@register.simple_tag
def vat_name(country: str, category: str, rate) -> str:
    """`{% vat_name invoice.company.country line.vat_category line.vat_rate %}`."""
    return vat_label(country, category, rate)
