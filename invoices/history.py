"""The invoice's *History* tab: one timeline of everything that happened to the document.

Creation, changes, release and validation come from the audit trail (`b2cportal.audit`); apps
above it (routing: sending, routing decisions, delivery) add their events through the
`invoice_history_sources` extension point (`b2cportal.extensions`), because invoices cannot
import them (DESIGN §2).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from b2cportal.audit.selectors import action_label, entries_of, who
from b2cportal.extensions import hooks


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    actor: Any  # who acted, as shown (a user, an API key, a task), or None (the system)
    text: str
    kind: str  # "invoice", "sending", "routing", "delivery"


TIMELINE_LIMIT = 50


def invoice_timeline(invoice) -> list[HistoryEntry]:
    """Newest first: the invoice's audit trail and every registered source's events."""
    entries = [
        HistoryEntry(e.created_at, who(e), action_label(e.action), "invoice")
        for e in entries_of(company_id=invoice.company_id, obj=invoice)[:TIMELINE_LIMIT]
    ]
    # `invoice_history_sources`: callables invoice -> list[HistoryEntry]; one query each.
    for source in hooks("invoice_history_sources"):
        entries.extend(source(invoice))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:TIMELINE_LIMIT]
