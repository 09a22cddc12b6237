"""Every write of routing: sending, processing the outbox, holds, reconciliation.

The flow (DESIGN §5): `send_invoice` / `send_invoices` write `queued` rows in the caller's
transaction and queue `process_deliveries` on commit, in chunks. The task claims rows with
`select_for_update(skip_locked=True)`, decides the route, commits the claim, and only then calls
the transport, outside any transaction, with the document UUID as the idempotency key. A
timeout becomes `unknown` and is reconciled through `status()`; the sweeper re-queues rows the
broker lost and reconciles rows a dead worker left `claimed`.

Holds (Norway, *consumer route anyway*) and the agreements app: agreements must not import
routing, so nothing there calls us. The beat task `routing.tasks.release_active_holds` (every
60 s) settles held deliveries whose customer's NO_EFAKTURA agreement changed: ACTIVE releases
to the bank, REJECTED/DELETED/ERROR re-routes to email or print at once. A caller that may
import routing (a view composing both apps) can release at once with
`settle_holds_for_customer(customer=..., acting_user=...)`. `expire_holds` (beat, 5 min)
re-routes holds past three days to email or print.

Modules: `sending` (decide_route, preview_route, send_invoice, send_invoices), `processing`
(process_deliveries), `reconciling` (reconcile, sweep, poll_invoice_status), `holds`,
`operator` (operator-routed mode: the operator transport, polling its outcomes, the webhook
hint, the daily reconciliation).
"""

from __future__ import annotations

from ..decision import TraceStep
from ._common import CHUNK_SIZE, RoutingError
from .holds import expire_holds, release_active_holds, settle_holds_for_customer
from .operator import (
    operator_webhook_hint,
    poll_operator_deliveries,
    reconcile_operator_invoices,
)
from .processing import process_deliveries
from .reconciling import poll_invoice_status, reconcile, sweep
from .sending import decide_route, preview_route, send_invoice, send_invoices

__all__ = [
    "CHUNK_SIZE",
    "RoutingError",
    "TraceStep",
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
    "send_invoice",
    "send_invoices",
    "settle_holds_for_customer",
    "sweep",
]
