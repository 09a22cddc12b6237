"""Celery tasks: ids in, a service does the work (each safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from b2cportal.customers.models import Customer
from b2cportal.network.adapter import NetworkError

from . import services
from .models import AgreementNetwork, AgreementStatus, ConsumerAgreement


@shared_task(acks_late=True)
def send_agreement_request(request_id: int) -> None:
    """Send one queued agreement request (SMS or email); a second run does nothing."""
    services.deliver_agreement_request(request_id=request_id)


@shared_task(acks_late=True, autoretry_for=(NetworkError,), retry_backoff=True, max_retries=5)
def check_customer_efaktura(customer_id: int) -> None:
    """Look one customer up in the eFaktura receiver directory (Ja takk til alle)."""
    customer = Customer.objects.select_related("company").get(pk=customer_id)
    try:
        services.check_efaktura_directory(customer=customer, acting_user=None)
    except services.AgreementError:
        # The company lost its B2C service or the customer is no longer Norwegian: skip.
        return


@shared_task
def check_efaktura_directory_weekly() -> int:
    """Queue a directory lookup for every e-invoice (Norway) customer without an active
    agreement in a company with an active B2C service; returns how many were queued."""
    active = ConsumerAgreement.objects.filter(
        network=AgreementNetwork.NO_EFAKTURA, status=AgreementStatus.ACTIVE
    ).values("customer_id")
    ids = (
        Customer.objects.filter(
            einvoice_norway=True,
            company__country="NO",
            company__branches__b2cno__status="active",
        )
        .exclude(pk__in=active)
        .values_list("pk", flat=True)
        .distinct()
    )
    count = 0
    for customer_id in ids.iterator(chunk_size=1000):
        check_customer_efaktura.delay(customer_id)
        count += 1
    return count


@shared_task
def sweep_agreement_requests() -> int:
    """Re-queue agreement requests the broker lost; fail ones stuck while sending."""
    requeue, failed = services.sweep_agreement_requests()
    for request_id in requeue:
        send_agreement_request.delay(request_id)
    return len(requeue) + failed
