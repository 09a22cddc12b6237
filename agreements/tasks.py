"""Celery tasks: ids in, one service call (each safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from b2cportal.network.adapter import NetworkError

from . import services


@shared_task(acks_late=True)
def send_agreement_request(request_id: int) -> None:
    """Send one queued agreement request (SMS or email); a second run does nothing."""
    services.deliver_agreement_request(request_id=request_id)


@shared_task(acks_late=True, autoretry_for=(NetworkError,), retry_backoff=True, max_retries=5)
def check_customer_efaktura(customer_id: int) -> None:
    """Look one customer up in the eFaktura receiver directory (Ja takk til alle)."""
    services.check_customer_in_directory(customer_id=customer_id)


@shared_task
def check_efaktura_directory_weekly() -> int:
    """Queue a directory lookup per customer still without an active agreement."""
    return services.queue_weekly_directory_checks()


@shared_task
def sweep_agreement_requests() -> int:
    """Re-queue agreement requests the broker lost; fail ones stuck while sending."""
    return services.sweep_agreement_requests()
