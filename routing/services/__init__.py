"""Every write of routing: sending, processing the outbox, holds, reconciliation.

The flow (DESIGN §5): `send_invoice` / `send_invoices` lock the invoices in id order, write
`queued` rows in the caller's transaction and queue `process_deliveries` on commit, in chunks,
through `b2cportal.queueing` (a broker outage never fails the request). The task looks the
routes up (no transaction open), claims rows with `select_for_update(skip_locked=True)` in a
short transaction, and only then calls the transport, outside any transaction, with the document
UUID as the idempotency key. Transient failures are queued again with a backoff, a rejected or
failed consumer channel moves on to the next channel the rules allow, a timeout becomes
`unknown` and is reconciled through `status()`; the sweeper re-queues rows the broker lost,
reconciles rows a dead worker left `claimed` and polls `sent` rows.

Holds (Norway, *consumer route anyway*): `settle_holds_for_customer` (called by the agreements
views) and the beat task `release_active_holds` end holds whose agreement is settled;
`expire_holds` ends those past three days from the send. Every ended hold is decided again from
the data as it is then.

Modules: `sending` (decide_route, preview_route, send_invoice, send_invoices), `processing`
(process_deliveries), `reconciling` (reconcile, sweep, poll_invoice_status), `holds`,
`operator` (operator-routed mode: the operator transport, polling its outcomes, the webhook
hint, the daily reconciliation), `rerouting` (*Re-route* by hand to email or print).
"""

from __future__ import annotations

from ..decision import TraceStep
from ._common import CHUNK_SIZE, RoutingError
from .holds import expire_holds, release_active_holds, settle_holds_for_customer
from .operator import (
    PollCounts,
    ReconcileCounts,
    operator_webhook_hint,
    poll_operator_deliveries,
    reconcile_operator_invoices,
)
from .processing import process_deliveries
from .reconciling import SweepCounts, poll_invoice_status, reconcile, sweep
from .rerouting import complete_reroute, reroute_invoice
from .sending import decide_route, preview_route, send_invoice, send_invoices

__all__ = [
    "CHUNK_SIZE",
    "PollCounts",
    "ReconcileCounts",
    "RoutingError",
    "SweepCounts",
    "TraceStep",
    "complete_reroute",
    "decide_route",
    "expire_holds",
    "operator_webhook_hint",
    "poll_invoice_status",
    "poll_operator_deliveries",
    "preview_route",
    "process_deliveries",
    "reconcile",
    "reconcile_operator_invoices",
    "release_active_holds",
    "reroute_invoice",
    "send_invoice",
    "send_invoices",
    "settle_holds_for_customer",
    "sweep",
]
