"""`{% load agreement_tags %}`: the agreement warning icon, the customer's agreement rows and
what the current member may do with them."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agreements.selectors import agreement_warning as warning_for
from agreements.selectors import customer_agreement_rows as rows_for
from b2cportal.companies.permissions import ADMINISTRATORS, EDITORS
from b2cportal.identifiers import mask_agreement_reference

register = template.Library()


def warning_text(warning) -> str:
    """The seed's exact wording, translated, with the local date and time."""
    updated = warning.last_updated
    stamp = date_format(timezone.localtime(updated), "SHORT_DATETIME_FORMAT") if updated else "—"
    return _(
        "The e-invoice agreement status for %(name)s is %(status)s - last updated: %(updated)s"
    ) % {
        "name": warning.customer_name,
        "status": warning.status_label or _("No agreement"),
        "updated": stamp,
    }


@register.inclusion_tag("agreements/_warning.html")
def agreement_warning(customer, branch=None):
    """Yellow icon when *Display warning message* is on and an e-invoice (Norway) customer has
    no ACTIVE agreement (for `branch`, or any branch when None); renders nothing otherwise."""
    warning = warning_for(customer=customer, branch=branch)
    return {"warning": warning, "text": warning_text(warning) if warning else ""}


@register.simple_tag
def customer_agreement_rows(customer):
    """Rows for the Other invoice settings tab: per branch and network, agreement + history."""
    return rows_for(customer=customer)


@register.simple_tag(takes_context=True)
def agreement_permissions(context) -> dict[str, bool]:
    """What the current member may do on the tab, from the same role tuples the agreement
    views enforce (the tab is also rendered on the customers app's page)."""
    role = getattr(context.get("current_membership"), "role", None)
    return {"can_edit": role in EDITORS, "can_administer": role in ADMINISTRATORS}


@register.filter
def masked_reference(value: str) -> str:
    """Lists show an FMI reference with its personal number masked, like national IDs."""
    return mask_agreement_reference(value)
