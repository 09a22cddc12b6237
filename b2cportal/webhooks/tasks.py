"""Thin tasks: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def deliver_webhook_task(message_id: int) -> None:
    """POST one webhook message to its endpoint and record the attempt."""
    services.deliver_message(message_id=message_id)


@shared_task
def dispatch_due_webhooks_task() -> int:
    """Queue the webhook messages that are due (retries, and any the broker lost)."""
    return services.dispatch_due()
