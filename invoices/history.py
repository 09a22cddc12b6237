"""The invoice's *History* tab: one timeline of everything that happened to the document.

What people and API keys did come from the audit trail (`b2cportal.audit`): creation, changes,
release, validation, and the sending actions routing records on the invoice (send, re-route by
hand, poll, shown with the delivery status they moved: "Sent: Not sent → Sent to AutoInvoice").
Apps above invoices add what their own machinery did (routing: the outbox's delivery events)
through the `invoice_history_sources` extension point (`b2cportal.extensions`), because invoices
cannot import them (DESIGN §2); each source leaves out what the audit trail already tells.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from b2cportal.audit.selectors import HistoryRow, entries_of, rows_of
from b2cportal.extensions import hooks


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    actor: Any  # who acted, as shown (a user, an API key, a task), or None (the system)
    text: str
    kind: str  # "invoice", "sending", "routing", "delivery"


TIMELINE_LIMIT = 50
# Audit actions routing records on the invoice (`AuditAction` codes "sending.*").
SENDING_PREFIX = "sending."


def _audit_entry(row: HistoryRow) -> HistoryEntry:
    if not row.code.startswith(SENDING_PREFIX):
        return HistoryEntry(row.when, row.who, row.action, "invoice")
    text = row.action
    if row.changes:
        text += ": " + "; ".join(f"{c.old} → {c.new}" for c in row.changes)
    return HistoryEntry(row.when, row.who, text, "sending")


def invoice_timeline(invoice) -> list[HistoryEntry]:
    """Newest first: the invoice's audit trail and every registered source's events."""
    audit_rows = rows_of(entries_of(company_id=invoice.company_id, obj=invoice)[:TIMELINE_LIMIT])
    entries = [_audit_entry(row) for row in audit_rows]
    # `invoice_history_sources`: callables invoice -> list[HistoryEntry]; one query each.
    for source in hooks("invoice_history_sources"):
        entries.extend(source(invoice))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:TIMELINE_LIMIT]
