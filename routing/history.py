"""Sending, routing and delivery events for the invoice's *History* timeline.

One line per happening: what a person or an API key did (send, re-route, poll, a hold their
agreement change ended) is told by the audit row recorded with it (`invoices.history` shows
those), so the delivery event written with the same actor is left out here. Shown from
`DeliveryEvent`: what the outbox did on its own (workers, the network, the sweeper) and each
invoice's line of a bulk send (audited once, on the bulk).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from invoices.history import TIMELINE_LIMIT, HistoryEntry

from .decision import Channel
from .models import DeliveryEvent, DeliveryStatus

# Notes the services store as codes.
BULK_NOTE = "bulk send"
SENT_NOTES = {"send": "invoice", BULK_NOTE: "bulk"}
# Catalogued notes worth showing in the timeline (message ids, translated when shown).
SHOWN_NOTES = frozenset(
    {
        "Re-routed by hand: by email",
        "Re-routed by hand: on paper",
        "The network took the re-route",
        "The network refused the re-route.",
    }
)


def delivery_history(invoice) -> list[HistoryEntry]:
    statuses = dict(DeliveryStatus.choices)
    channels = dict(Channel.choices)
    entries: list[HistoryEntry] = []
    events = (
        DeliveryEvent.objects.filter(delivery__invoice=invoice)
        .exclude(Q(actor__isnull=False) & ~Q(note=BULK_NOTE))  # in the audit trail
        .select_related("actor", "delivery")
        .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
    )
    for event in events:
        delivery = event.delivery
        to_label = statuses.get(event.to_status, event.to_status)
        if not event.from_status:
            how = SENT_NOTES.get(event.note)
            text = (
                _("Sent in a bulk send: %(status)s") % {"status": to_label}
                if how == "bulk"
                else _("Sent: %(status)s") % {"status": to_label}
            )
            entries.append(HistoryEntry(event.created_at, event.actor, text, "sending"))
            continue
        text = _("Delivery: %(from)s → %(to)s") % {
            "from": statuses.get(event.from_status, event.from_status),
            "to": to_label,
        }
        if event.to_status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.HELD):
            if delivery.channel:
                text += " · " + str(channels.get(delivery.channel, delivery.channel))
        elif event.to_status == DeliveryStatus.FAILED and delivery.error:
            text += " · " + delivery.error
        if event.note in SHOWN_NOTES:
            text += " · " + gettext(event.note)
        kind = "routing" if event.to_status == DeliveryStatus.HELD else "delivery"
        entries.append(HistoryEntry(event.created_at, event.actor, text, kind))
    return entries
