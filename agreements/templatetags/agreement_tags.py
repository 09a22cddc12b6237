"""`{% load agreement_tags %}`: the agreement warning icon and the customer's agreement rows."""

from __future__ import annotations

from django import template

from agreements.selectors import agreement_warning as warning_for
from agreements.selectors import customer_agreement_rows as rows_for

register = template.Library()


@register.inclusion_tag("agreements/_warning.html")
def agreement_warning(customer, branch=None):
    """Yellow icon when *Display warning message* is on and an e-invoice (Norway) customer has
    no ACTIVE agreement (for `branch`, or any branch when None); renders nothing otherwise."""
    return {"warning": warning_for(customer=customer, branch=branch)}


@register.simple_tag
def customer_agreement_rows(customer):
    """Rows for the Other invoice settings tab: per branch and network, agreement + history."""
    return rows_for(customer=customer)
