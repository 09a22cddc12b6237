from celery import shared_task

from . import services


@shared_task
def purge_idempotency_records() -> int:
    """Forget Idempotency-Key answers older than the configured time to live."""
    return services.purge_idempotency_records()
