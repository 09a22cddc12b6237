"""`{% sending_method invoice %}`: the routing block on the invoice's *Invoice address* tab."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from b2cportal.companies.permissions import EDITORS, has_role
from b2cportal.companies.wording import wording
from routing import selectors
from routing.decision import rule_label
from routing.models import DeliveryStatus
from routing.services import preview_route, reroute_options
from routing.trace_text import step_sentence

register = template.Library()


def trace_rows(trace: list[dict], company_country: str = "NO") -> list[dict]:
    """Each step named and written as a sentence now, in the reader's language."""
    return [
        {
            "label": rule_label(step["rule"]),
            "outcome": step["outcome"],
            "sentence": step_sentence(step, company_country=company_country),
        }
        for step in trace
    ]


# Notes the services store as codes.
NOTE_LABELS = {"send": _("Sent from the invoice"), "bulk send": _("Bulk send")}


def _labelled(events) -> list:
    """Delivery events with their status codes and notes worded in the reader's language."""
    labels = dict(DeliveryStatus.choices)
    rows = list(events)
    for event in rows:
        event.from_label = labels.get(event.from_status, event.from_status)
        event.to_label = labels.get(event.to_status, event.to_status)
        # Other notes were stored in English by a worker; a catalogued one is translated now.
        note = event.note
        event.note_label = NOTE_LABELS.get(note) or (gettext(note) if note else "")
    return rows


def _latest_delivery(invoice):
    """The invoice's latest delivery, looked up once per rendered page (both tags need it)."""
    if not hasattr(invoice, "_latest_delivery"):
        invoice._latest_delivery = selectors.latest_delivery(invoice=invoice)
    return invoice._latest_delivery


@register.inclusion_tag("routing/includes/_sending_method.html", takes_context=True)
def sending_method(context, invoice):
    request = context.get("request")
    delivery = _latest_delivery(invoice)
    preview = None
    if invoice.status == "open" and (delivery is None or not delivery.is_live):
        preview = preview_route(invoice=invoice)
    can_send = request is not None and has_role(request, EDITORS)
    return {
        **wording(invoice.company),
        "request": request,
        # Only the routes allowed now: no button that would be refused.
        "reroute_routes": reroute_options(invoice=invoice, delivery=delivery) if can_send else [],
        "csrf_token": context.get("csrf_token"),
        "invoice": invoice,
        "delivery": delivery,
        "events": _labelled(delivery.events.all()) if delivery else [],
        "preview": preview,
        "preview_trace": trace_rows(preview.trace_json(), invoice.company.country)
        if preview
        else [],
        "delivery_trace": trace_rows(delivery.trace, invoice.company.country) if delivery else [],
        "can_send": can_send,
    }


@register.inclusion_tag("routing/includes/_actions.html", takes_context=True)
def routing_actions(context, invoice):
    """The *Actions* menu entries of routing on the invoice screen."""
    request = context.get("request")
    delivery = _latest_delivery(invoice)
    return {
        **wording(invoice.company),
        "csrf_token": context.get("csrf_token"),
        "invoice": invoice,
        "delivery": delivery,
        "can_send": request is not None and has_role(request, EDITORS),
    }
