"""Thin Celery tasks for settings and activation: ids in, a service does the work."""

from __future__ import annotations

import logging

from celery import shared_task

from b2cportal.network.adapter import NetworkError, TransientNetworkError
from b2cportal.queueing import publish

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def send_terms_email(self, activation_id: int, nonce: str, language: str) -> bool:
    """Email the signer the one-time link to accept the AutoInvoice B2C terms of service."""
    return services.send_terms_email(activation_id=activation_id, nonce=nonce, language=language)


@shared_task(
    acks_late=True, autoretry_for=(TransientNetworkError,), retry_backoff=True, max_retries=6
)
def submit_norway_activation(activation_id: int) -> None:
    """Send an activation whose terms were accepted to the network (same key on every retry)."""
    services.submit_norway_activation(activation_id=activation_id)


@shared_task(
    acks_late=True, autoretry_for=(TransientNetworkError,), retry_backoff=True, max_retries=6
)
def send_norway_deactivation(activation_id: int) -> None:
    """Turn an AutoInvoice B2C service off at the network after *Deactivate* was confirmed."""
    services.send_norway_deactivation(activation_id=activation_id)


@shared_task(
    acks_late=True, autoretry_for=(TransientNetworkError,), retry_backoff=True, max_retries=6
)
def send_sweden_activation(activation_id: int) -> None:
    """Send a B2CSE activation to the network after *Activate* (same key on every retry)."""
    services.send_sweden_activation(activation_id=activation_id)


@shared_task(
    acks_late=True, autoretry_for=(TransientNetworkError,), retry_backoff=True, max_retries=6
)
def send_receiving_account(account_id: int, acting_user_id: int | None = None) -> None:
    """Add a held B2CSE receiving account at the network."""
    services.send_receiving_account(account_id=account_id, acting_user_id=acting_user_id)


@shared_task(ignore_result=True)
def check_activation(country: str, activation_id: int) -> None:
    """*Check status now*: ask the network about one activation (the answer, or why none came,
    is recorded; the next periodic poll asks again)."""
    try:
        services.check_activation_now(country=country, activation_id=activation_id)
    except NetworkError:
        logger.warning("Checking activation %s/%s failed", country, activation_id, exc_info=True)


@shared_task(ignore_result=True)
def poll_activations() -> int:
    """Ask the network about every activation still waiting for it (runs every 30 s)."""
    return services.poll_pending_activations()


def request_activation_poll() -> None:
    """Queue a poll of the activations now (the network's `network_status_pollers` hook).

    Published safely: a broker outage never fails the page (beat polls every 30 s anyway).
    """
    publish(poll_activations)
