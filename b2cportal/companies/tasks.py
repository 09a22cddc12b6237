"""Thin Celery tasks for settings and activation: ids in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from b2cportal.network.adapter import TransientNetworkError
from b2cportal.queueing import publish

from . import services


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


@shared_task(ignore_result=True)
def poll_activations() -> int:
    """Ask the network about every activation still waiting for it (runs every 30 s)."""
    return services.poll_pending_activations()


def request_activation_poll() -> None:
    """Queue a poll of the activations now (the network's `network_status_pollers` hook).

    Published safely: a broker outage never fails the page (beat polls every 30 s anyway).
    """
    publish(poll_activations)
