"""The invoice's *History* tab: one timeline of everything that happened to the document.

Invoices records creation, changes, release and validation itself; apps above it (routing:
sending, routing decisions, delivery) add their events through the `invoice_history_sources`
extension point (`b2cportal.extensions`), because invoices cannot import them (DESIGN §2).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from b2cportal.extensions import hooks


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    actor: Any  # a user or None (the system)
    text: str
    kind: str  # "invoice", "sending", "routing", "delivery"


TIMELINE_LIMIT = 50


def invoice_timeline(invoice) -> list[HistoryEntry]:
    """Newest first: the invoice's own events and every registered source's."""
    entries = [
        HistoryEntry(e.created_at, e.actor, str(e.get_action_display()), "invoice")
        for e in invoice.events.select_related("actor")[:TIMELINE_LIMIT]
    ]
    # `invoice_history_sources`: callables invoice -> list[HistoryEntry]; one query each.
    for source in hooks("invoice_history_sources"):
        entries.extend(source(invoice))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:TIMELINE_LIMIT]
