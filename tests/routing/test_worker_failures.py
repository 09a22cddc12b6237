"""Failure paths with a real Celery worker subprocess, PostgreSQL and Redis (issue 9 part 4).

A network that rejects, fails for good, fails for a while; an SMTP server that stalls while the
worker is killed; the worker's database connection terminated mid-task; the simulated bank
failing so the invoice lands in the next channel (issue 12 item 1). Each test takes seconds.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from routing import services
from routing.decision import BillingAction, Channel
from routing.models import Delivery, DeliveryStatus, OutboundDocument
from routing.transports import message_id
from simulator.models import DeliveryFault, FmiRegistration, InboxDocument
from tests.factories import make_customer

from .builders import activate, make_open_invoice, peppol, se_consumer_with
from .worker_harness import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ORG = "974760673"
FAST_RETRY = {"ROUTING_RETRY_BASE_SECONDS": "1"}


def _status(delivery, *statuses):
    return lambda: Delivery.objects.filter(pk=delivery.pk, status__in=statuses).first()


def _peppol_invoice(company, fault: str = ""):
    participant = peppol(ORG)
    participant.delivery_fault = fault
    participant.save()
    customer = make_customer(company=company, kind="business", organisation_number=ORG)
    return make_open_invoice(company=company, customer=customer), participant


def test_simulated_bank_fails_and_the_invoice_lands_in_the_next_channel(
    company_se, accountant_se, worker_factory
):
    worker_factory()
    activate(company_se, se=True)
    ssn = se_consumer_with(fmi=True, billo=True)
    FmiRegistration.objects.filter(ssn=ssn).update(delivery_fault=DeliveryFault.REJECTED)
    invoice = make_open_invoice(company=company_se, national_id=ssn)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_se)
    delivery = wait_for(_status(delivery, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED), 30, "")
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.BILLO
    assert delivery.billing_action == BillingAction.EINVOICE_B2C_SECO_BILLO
    failed = [s["inputs"]["channel"] for s in delivery.trace if s["rule"] == "transport_failed"]
    assert failed == [Channel.BANK_SE]
    item = InboxDocument.objects.get()
    assert (item.kind, item.document_uuid) == ("billo", invoice.document_uuid)


def test_network_rejecting_fails_with_the_reason(company_no, accountant_no, worker_factory):
    worker_factory()
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.REJECTED)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    delivery = wait_for(_status(delivery, DeliveryStatus.FAILED, DeliveryStatus.SENT), 30, "")
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "The receiver rejected the document."
    assert delivery.error_detail


def test_permanent_network_error_fails_at_once(company_no, accountant_no, worker_factory):
    worker_factory()
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.UNREACHABLE)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    delivery = wait_for(_status(delivery, DeliveryStatus.FAILED), 30, "the failure")
    assert delivery.attempts == 1
    assert delivery.error == "The network refused the delivery."


def test_transient_network_error_is_retried_by_the_worker_with_the_same_uuid(
    company_no, accountant_no, worker_factory
):
    worker_factory(**FAST_RETRY)
    invoice, participant = _peppol_invoice(company_no, DeliveryFault.TRANSIENT)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    wait_for(
        lambda: Delivery.objects.filter(pk=delivery.pk, attempts__gte=2).exists(),
        30,
        "a second attempt after the backoff",
    )
    assert not InboxDocument.objects.exists()
    participant.delivery_fault = ""
    participant.save()
    delivery = wait_for(_status(delivery, DeliveryStatus.DELIVERED), 30, "the delivery")
    # The attempt counted second may still have been under way when the fault cleared (an
    # attempt is recorded before it is made), so it can be the one that delivered.
    assert delivery.attempts >= 2
    item = InboxDocument.objects.get()
    assert item.document_uuid == invoice.document_uuid
    assert item.repeats == 0


def test_timeout_after_accept_on_one_receiver_is_reconciled_not_resent(
    company_no, accountant_no, worker_factory
):
    worker_factory()
    invoice, participant = _peppol_invoice(company_no, DeliveryFault.TIMEOUT)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    wait_for(_status(delivery, DeliveryStatus.UNKNOWN), 30, "unknown")
    participant.delivery_fault = ""
    participant.save()
    services.sweep()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert InboxDocument.objects.get().repeats == 0


def test_terminated_database_connection_mid_task_is_retried_not_failed(
    company_no, accountant_no, worker_factory
):
    worker = worker_factory(SIMULATED_NETWORK_DELAY_MS="3000", **FAST_RETRY)
    worker.wait_ready()
    invoice, _participant = _peppol_invoice(company_no)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    wait_for(_status(delivery, DeliveryStatus.CLAIMED), 30, "the claim")
    # The worker is inside the network call now: kill its database connection.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchall(), "the worker had no connection to terminate"
    delivery = wait_for(
        _status(delivery, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED), 30, "the outcome"
    )
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.error
    assert delivery.attempts == 2
    assert next(e.note for e in delivery.events.all() if e.from_status == "claimed") == (
        "Temporary failure; trying again later"
    )
    assert InboxDocument.objects.get().document_uuid == invoice.document_uuid


class StallingSmtp:
    """An SMTP server that accepts the connection and then stalls in DATA until released."""

    def __init__(self) -> None:
        self.stall = True
        self.closing = False
        self.in_data = threading.Event()
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        if self.stall:
            # Never answers: the client waits until it is killed; nothing is accepted.
            self.in_data.set()
            while not self.closing:
                await asyncio.sleep(0.1)
            return "421 Closing"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = StallingSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, f"smtp://127.0.0.1:{controller.port}"
    handler.closing = True
    controller.stop()


def test_smtp_stalls_then_worker_killed_is_unknown_then_resent_with_same_message_id(
    company_no, accountant_no, worker_factory, smtp_server
):
    handler, url = smtp_server
    first = worker_factory(EMAIL_URL=url)
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    assert handler.in_data.wait(30), "the worker never reached the SMTP DATA phase"
    first.kill()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CLAIMED
    assert OutboundDocument.objects.get().sent_at is None

    services.sweep(stale_after=datetime.timedelta(0))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.UNKNOWN  # visible, never "delivered"
    assert handler.messages == []

    handler.stall = False  # the mail server works again
    worker_factory(EMAIL_URL=url)
    services.sweep()  # unknown and not sent: queued again with the same document UUID
    delivery = wait_for(_status(delivery, DeliveryStatus.DELIVERED), 30, "the resend")
    wait_for(lambda: handler.messages, 10, "the message at the SMTP server")
    assert [m["Message-ID"] for m in handler.messages] == [message_id(invoice.document_uuid)]
    assert OutboundDocument.objects.get().sent_at is not None
