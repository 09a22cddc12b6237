"""`{% load invoice_format %}`: `{{ amount|money }}` and `{{ quantity|number }}` in the locale."""

from __future__ import annotations

from django import template

from invoices.formatting import format_money, format_number

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def number(value) -> str:
    return format_number(value)
