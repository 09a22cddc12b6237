"""Thin tasks: ids in, a service does the work. Each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def process_deliveries_task(delivery_ids: list[int]) -> int:
    """Claim, route and transmit one chunk of queued deliveries."""
    return services.process_deliveries(delivery_ids=delivery_ids)


@shared_task(ignore_result=True)
def sweep_deliveries() -> dict:
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
