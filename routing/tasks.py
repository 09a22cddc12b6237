"""Thin tasks: ids in, a service does the work. Each is safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from b2cportal.network.adapter import TransientNetworkError

from . import services

# Our database connection lost mid-task (restart, failover, terminated backend): run the task
# again shortly on a fresh connection (Celery's Django fixup closes the broken one). Whatever
# the attempt left queued or claimed is also found by the sweeper.
DATABASE_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


@shared_task(acks_late=True, ignore_result=True, **DATABASE_RETRY)
def process_deliveries_task(delivery_ids: list[int]) -> int:
    """Claim, route and transmit one chunk of queued deliveries."""
    return services.process_deliveries(delivery_ids=delivery_ids)


@shared_task(ignore_result=True, **DATABASE_RETRY)
def sweep_deliveries() -> services.SweepCounts:
    """Re-queue deliveries the broker lost and reconcile stale or unknown ones."""
    return services.sweep()


@shared_task(ignore_result=True)
def release_active_holds() -> int:
    """Settle Norwegian holds: ACTIVE agreement → bank; declined, deleted or failed → fallback."""
    return services.release_active_holds()


@shared_task(ignore_result=True)
def expire_holds() -> int:
    """Re-route holds older than three days to email or print."""
    return services.expire_holds()


@shared_task(ignore_result=True)
def poll_operator_deliveries_task(
    company_id: int | None = None, operator_ids: list[str] | None = None
) -> services.PollCounts:
    """Operator-routed mode: read the operator's outcome of SENT deliveries (beat or webhook)."""
    return services.poll_operator_deliveries(company_id=company_id, operator_ids=operator_ids)


@shared_task(ignore_result=True)
def reconcile_operator_invoices_task() -> services.ReconcileCounts:
    """Operator-routed mode, daily: list the operator's SENT invoices as a backstop."""
    return services.reconcile_operator_invoices()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError, TransientNetworkError),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
)
def complete_reroute_task(delivery_id: int) -> None:
    """Hand a re-route asked by hand to the network and record its answer."""
    services.complete_reroute(delivery_id=delivery_id)
