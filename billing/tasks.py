"""Thin tasks: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def process_batch_chunk_task(batch_id: int, start: int, end: int) -> int:
    """Create, release and send one chunk of a batch's rows."""
    return services.process_chunk(batch_id=batch_id, start=start, end=end)


@shared_task
def sweep_batches_task() -> int:
    """Re-queue batch chunks the broker lost."""
    return services.sweep_batches()
