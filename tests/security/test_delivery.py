"""Issue 9 part 4 (nothing marked delivered that was not, nothing lost) and issue 12 items 1-2.

One test per finding; each failed on the code before the fix. Eager Celery here; the same
guarantees with a real worker, Redis and PostgreSQL are in tests/routing/test_worker_failures.py.
"""

from __future__ import annotations

import datetime
import threading
import time
from functools import partial

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from agreements.models import AgreementRequest, ConsumerAgreement
from b2cportal import queueing
from invoices.models import Invoice
from routing import services
from routing.decision import BillingAction, Channel
from routing.models import Delivery, DeliveryStatus, OutboundDocument
from routing.transports import message_id
from simulator.adapter import SimulatedNetwork
from simulator.models import (
    DeliveryFault,
    DigitalMailboxAccount,
    FmiRegistration,
    InboxDocument,
)
from tests.conftest import requires_postgres
from tests.factories import make_customer
from tests.routing.builders import activate, make_open_invoice, peppol, se_consumer_with

pytestmark = pytest.mark.django_db

REFUSED_BROKER = "redis://127.0.0.1:6390/0"  # nothing listens there: the broker is down
ORG = "974760673"


@pytest.fixture(autouse=True)
def _spool(settings, tmp_path):
    settings.PRINT_SPOOL_DIR = tmp_path / "spool"


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing in the worker catches it."""


def _send(invoice, user, capture):
    with capture(execute=True):
        delivery = services.send_invoice(invoice=invoice, acting_user=user)
    delivery.refresh_from_db()
    return delivery


def _sweep(capture, **ages):
    ages = {"stale_after": datetime.timedelta(0), **ages}
    with capture(execute=True):
        return services.sweep(**ages)


def _peppol_invoice(company, fault: str = ""):
    participant = peppol(ORG)
    participant.delivery_fault = fault
    participant.save()
    customer = make_customer(company=company, kind="business", organisation_number=ORG)
    return make_open_invoice(company=company, customer=customer), participant


# --- Email and print: a crash before acceptance is never taken for a delivery ------------------


def test_email_crash_before_smtp_acceptance_is_unknown_then_resent_with_same_message_id(
    company_no, accountant_no, django_capture_on_commit_callbacks, monkeypatch
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")

    def stall_then_die(self, fail_silently=False):
        raise WorkerKilled

    monkeypatch.setattr("django.core.mail.EmailMessage.send", stall_then_die)
    with pytest.raises(WorkerKilled):
        _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.CLAIMED
    assert mail.outbox == []
    monkeypatch.undo()

    _sweep(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.UNKNOWN, "a recorded attempt is not a delivery"
    assert mail.outbox == []
    invoice.refresh_from_db()
    assert invoice.delivery_status != "sent"

    _sweep(django_capture_on_commit_callbacks)  # not found at the transport: sent again
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id(invoice.document_uuid)
    assert str(invoice.document_uuid) in message_id(invoice.document_uuid)
    history = [(e.from_status, e.to_status) for e in delivery.events.all()]
    assert ("claimed", "unknown") in history
    assert ("unknown", "queued") in history


def test_print_crash_before_the_file_is_complete_is_not_reconciled_as_printed(
    company_no, accountant_no, settings, django_capture_on_commit_callbacks, monkeypatch
):
    invoice = make_open_invoice(
        company=company_no, address_line1="Storgata 2", postcode="0155", city="Oslo"
    )

    def die(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr("routing.transports.os.replace", die)
    with pytest.raises(WorkerKilled):
        _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    monkeypatch.undo()
    # Written atomically: no half PDF under the name the print service reads.
    assert list(settings.PRINT_SPOOL_DIR.glob("*/*.pdf")) == []
    _sweep(django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.UNKNOWN
    _sweep(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    pdf = settings.PRINT_SPOOL_DIR.glob(f"*/{invoice.document_uuid}.pdf").__next__()
    assert pdf.read_bytes().startswith(b"%PDF")
    lines = (pdf.parent / "manifest.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == [pdf.name]


def test_print_is_reconciled_from_the_spool_not_from_our_record(
    company_no, accountant_no, settings, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(
        company=company_no, address_line1="Storgata 2", postcode="0155", city="Oslo"
    )
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED
    transport = services.reconciling.transport_for(Channel.PRINT)
    assert transport.status(str(invoice.document_uuid)) is not None
    # The file vanished from the spool: our record alone does not make it printed.
    next(settings.PRINT_SPOOL_DIR.glob("*/*.pdf")).unlink()
    assert OutboundDocument.objects.filter(external_id=invoice.document_uuid).exists()
    assert transport.status(str(invoice.document_uuid)) is None


# --- Network receipts and errors -----------------------------------------------------------


def test_rejected_receipt_is_failed_with_the_reason(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.REJECTED)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "The receiver rejected the document."
    assert "refused the document" in delivery.error_detail
    assert not InboxDocument.objects.exists()
    invoice.refresh_from_db()
    assert invoice.delivery_status == "error"


def test_transient_error_is_retried_with_backoff_and_the_same_uuid(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, participant = _peppol_invoice(company_no, DeliveryFault.TRANSIENT)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert delivery.retry_at > timezone.now()
    assert delivery.error == "The network is temporarily unavailable; trying again."
    # Before the wait is over neither a message nor the sweeper sends it.
    assert services.process_deliveries(delivery_ids=[delivery.pk]) == 0
    assert (
        _sweep(django_capture_on_commit_callbacks, queued_after=datetime.timedelta(0))["requeued"]
        == 0
    )
    participant.delivery_fault = ""
    participant.save()
    with time_machine.travel(delivery.retry_at + datetime.timedelta(seconds=1)):
        assert services.process_deliveries(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    item = InboxDocument.objects.get()
    assert item.document_uuid == invoice.document_uuid
    assert item.repeats == 0


def test_transient_errors_give_up_after_the_last_attempt(
    company_no, accountant_no, django_capture_on_commit_callbacks, settings
):
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.TRANSIENT)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    from routing.services import _common

    for _ in range(_common.MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        with time_machine.travel(delivery.retry_at + datetime.timedelta(seconds=1)):
            services.process_deliveries(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == _common.MAX_ATTEMPTS
    assert "no more automatic attempts" in delivery.error


def test_permanent_error_fails_with_a_clear_reason_translated_when_shown(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.UNREACHABLE)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "The network refused the delivery."
    with translation.override("nb"):
        shown = delivery.error_label
    assert shown.startswith("Nettverket avviste leveransen.")
    with translation.override("sv"):
        assert delivery.error_label.startswith("Nätverket avvisade leveransen.")


def test_a_lost_database_connection_is_retried_not_failed(
    company_no, accountant_no, django_capture_on_commit_callbacks, monkeypatch
):
    invoice, _participant = _peppol_invoice(company_no)

    def connection_terminated(self, documents):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(SimulatedNetwork, "deliver_many", connection_terminated)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.QUEUED
    assert "OperationalError" not in delivery.error
    assert delivery.error == "The database connection was lost; trying again."
    monkeypatch.undo()
    with time_machine.travel(delivery.retry_at + datetime.timedelta(seconds=1)):
        services.process_deliveries(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert InboxDocument.objects.get().document_uuid == invoice.document_uuid


# --- The sweeper ----------------------------------------------------------------------------


def test_one_failing_row_never_stops_the_sweep(
    company_se, accountant_se, django_capture_on_commit_callbacks, monkeypatch
):
    activate(company_se, se=True)
    ssn = se_consumer_with(kivra=True)
    invoices = [make_open_invoice(company=company_se, national_id=ssn) for _ in range(3)]
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "timeout_after_accept")
    for invoice in invoices:
        _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.UNKNOWN}
    broken = str(invoices[0].document_uuid)
    real_status = SimulatedNetwork.status

    def status(self, external_id):
        if external_id == broken:
            raise RuntimeError("network answered garbage")
        return real_status(self, external_id)

    monkeypatch.setattr(SimulatedNetwork, "status", status)
    result = _sweep(django_capture_on_commit_callbacks)
    assert result["errors"] == 1
    statuses = dict(Delivery.objects.values_list("invoice_id", "status"))
    assert statuses[invoices[0].pk] == DeliveryStatus.UNKNOWN
    assert statuses[invoices[1].pk] == statuses[invoices[2].pk] == DeliveryStatus.DELIVERED


def test_accepted_deliveries_are_polled_until_final(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, participant = _peppol_invoice(company_no, DeliveryFault.ACCEPT_ONLY)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.SENT
    _sweep(django_capture_on_commit_callbacks, sent_after=datetime.timedelta(0))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    participant.delivery_fault = ""
    participant.save()
    # Not yet due for a poll: left alone.
    _sweep(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    _sweep(django_capture_on_commit_callbacks, sent_after=datetime.timedelta(0))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_sent_delivery_rejected_later_fails_with_the_reason(
    company_no, accountant_no, django_capture_on_commit_callbacks, monkeypatch
):
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.ACCEPT_ONLY)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.SENT
    from b2cportal.network.adapter import Receipt

    monkeypatch.setattr(
        SimulatedNetwork,
        "status",
        lambda self, external_id: Receipt(external_id, "rejected", "Unknown receiver"),
    )
    _sweep(django_capture_on_commit_callbacks, sent_after=datetime.timedelta(0))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error_detail == "Unknown receiver"


# --- No network call inside a database transaction ----------------------------------------


@pytest.fixture
def network_calls_outside_transactions(monkeypatch):
    """Fail when any network method runs with more transactions open than the test itself."""
    baseline = len(connection.atomic_blocks)
    calls: list[str] = []

    def guard(name, original):
        def wrapper(self, *args, **kwargs):
            calls.append(name)
            assert len(connection.atomic_blocks) == baseline, f"{name} inside a transaction"
            return original(self, *args, **kwargs)

        return wrapper

    for name in ("lookup_participants", "lookup_fmi", "lookup_mailboxes", "deliver_many"):
        monkeypatch.setattr(SimulatedNetwork, name, guard(name, getattr(SimulatedNetwork, name)))
    monkeypatch.setattr(SimulatedNetwork, "status", guard("status", SimulatedNetwork.status))
    return calls


def test_claim_reconcile_and_holds_call_the_network_outside_transactions(
    company_no,
    accountant_no,
    django_capture_on_commit_callbacks,
    monkeypatch,
    network_calls_outside_transactions,
):
    from tests.agreements.conftest import make_agreement

    activate(company_no, no=True, route_anyway=True)
    customer = make_customer(
        company=company_no, national_id="15076500565", einvoice_norway=True, email="k@example.no"
    )
    make_agreement(customer=customer, branch=company_no.branches.get(), status="REQUEST_SENT")
    held = make_open_invoice(company=company_no, customer=customer)
    assert _send(held, accountant_no, django_capture_on_commit_callbacks).status == "held"
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "timeout_after_accept")
    invoice, _participant = _peppol_invoice(company_no)
    assert _send(invoice, accountant_no, django_capture_on_commit_callbacks).status == "unknown"
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "")
    _sweep(django_capture_on_commit_callbacks)
    ConsumerAgreement.objects.filter(customer=customer).update(status="ACTIVE")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.release_active_holds() == 1
    assert {"lookup_participants", "deliver_many", "status"} <= set(
        network_calls_outside_transactions
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


# --- Broker down ----------------------------------------------------------------------------


@pytest.fixture
def broker_down(settings):
    """Eager mode off and the broker unreachable, with the production publishing options."""
    from b2cportal.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)

    def point_at(url, eager, options):
        app.conf.task_always_eager = eager
        app.conf.broker_url = url
        app.conf.broker_transport_options = options
        app._pool = None
        app.amqp._producer_pool = None

    point_at(REFUSED_BROKER, False, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    queueing._down_until = 0.0
    yield
    point_at(*saved)
    queueing._down_until = 0.0


@pytest.mark.django_db(transaction=True)  # on-commit publishing runs inside the request
def test_broker_down_never_blocks_a_send_for_more_than_a_second_nor_fails_it(
    client, company_se, accountant_se, broker_down
):
    activate(company_se, se=True)
    customer = make_customer(company=company_se, national_id=se_consumer_with(kivra=True))
    invoices = [make_open_invoice(company=company_se, customer=customer) for _ in range(201)]
    client.force_login(accountant_se)
    started = time.monotonic()
    single = client.post(reverse("routing:send", args=[invoices[0].pk]), follow=True)
    single_took = time.monotonic() - started
    assert single.status_code == 200
    assert b"queued for sending" in single.content
    queueing._down_until = 0.0  # a fresh request from another process: no earlier failure known
    started = time.monotonic()
    bulk = client.post(reverse("routing:bulk"), {"invoice": [str(i.pk) for i in invoices[1:]]})
    bulk_took = time.monotonic() - started
    assert bulk.status_code == 302
    assert single_took < 1.5, single_took
    assert bulk_took < 1.5, bulk_took  # five chunks of up to 50: one failed connection attempt
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 201


@pytest.fixture
def broker_raising(broker_down, monkeypatch):
    """Every publish fails the way kombu fails when the broker drops the connection."""
    from celery.app.task import Task
    from kombu.exceptions import OperationalError as BrokerError

    def refuse(self, *args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)


@pytest.mark.django_db(transaction=True)  # on-commit publishing runs inside the request
def test_broker_errors_never_fail_a_send_a_customer_save_or_a_resend(
    client, company_no, accountant_no, broker_raising
):
    from tests.agreements.conftest import activate_norway

    branch = company_no.branches.get()
    activate_norway(branch)
    customer = make_customer(company=company_no, phone_2="+4791234567", address_line1="Gate 1")
    client.force_login(accountant_no)
    form = client.get(reverse("customers:edit", args=[customer.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["einvoice_norway"] = "on"
    started = time.monotonic()
    saved = client.post(reverse("customers:edit", args=[customer.pk]), data)
    assert saved.status_code == 302, saved.content[:2000]
    request = AgreementRequest.objects.get()
    assert request.status == "queued"  # the agreements sweeper sends it once the broker is back
    agreement = request.agreement
    resent = client.post(reverse("agreements:resend", args=[agreement.pk]))
    assert resent.status_code == 302
    assert time.monotonic() - started < 3
    assert AgreementRequest.objects.count() == 2
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    sent = client.post(reverse("routing:send", args=[invoice.pk]))
    assert sent.status_code == 302
    assert Delivery.objects.get().status == DeliveryStatus.QUEUED  # the sweeper sends it later


# --- Single send racing a bulk send -------------------------------------------------------


def _race(*actions) -> list[BaseException]:
    """Run the actions at the same moment in threads; returns the unexpected errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(actions))

    def run(action):
        try:
            barrier.wait()
            action()
        except services.RoutingError:
            pass  # "already sent" is a fine answer for the single send
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_single_send_racing_a_bulk_send_never_deadlocks(company_no, accountant_no):
    from b2cportal.celery import app

    app.conf.task_always_eager = False  # only the rows matter here; nothing is published
    queueing._down_until = time.monotonic() + 3600
    try:
        for _round in range(5):
            invoices = [
                make_open_invoice(company=company_no, email="kari@example.no") for _ in range(40)
            ]
            ids = [i.pk for i in invoices]
            errors = _race(
                partial(
                    services.send_invoices,
                    company=company_no,
                    invoice_ids=ids,
                    acting_user=accountant_no,
                ),
                partial(services.send_invoice, invoice=invoices[-1], acting_user=accountant_no),
                partial(services.send_invoice, invoice=invoices[20], acting_user=accountant_no),
            )
            assert errors == []
            per_invoice = Delivery.objects.filter(invoice_id__in=ids).values_list(
                "invoice_id", flat=True
            )
            assert sorted(per_invoice) == sorted(ids)
    finally:
        app.conf.task_always_eager = True
        queueing._down_until = 0.0


# --- Issue 12 item 1: a failed consumer delivery moves on to the next channel ---------------


def test_rejected_bank_delivery_moves_on_to_kivra_with_its_billing_action(
    company_se, accountant_se, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    ssn = se_consumer_with(fmi=True, kivra=True)
    FmiRegistration.objects.filter(ssn=ssn).update(delivery_fault=DeliveryFault.REJECTED)
    invoice = make_open_invoice(company=company_se, national_id=ssn, email="a@example.se")
    delivery = _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.KIVRA
    assert delivery.billing_action == BillingAction.EINVOICE_B2C_SECO_KIVRA
    rules = [step["rule"] for step in delivery.trace]
    failed = [s for s in delivery.trace if s["rule"] == "transport_failed"]
    assert failed[0]["inputs"]["channel"] == Channel.BANK_SE
    assert rules[-1] == "chosen:kivra"
    assert "channel_failed" in rules
    assert InboxDocument.objects.get().kind == "kivra"


def test_billo_and_kivra_failing_ends_in_email(
    company_se, accountant_se, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    ssn = se_consumer_with(billo=True, kivra=True)
    DigitalMailboxAccount.objects.filter(ssn=ssn, provider="billo").update(
        delivery_fault=DeliveryFault.UNREACHABLE
    )
    DigitalMailboxAccount.objects.filter(ssn=ssn, provider="kivra").update(
        delivery_fault=DeliveryFault.REJECTED
    )
    invoice = make_open_invoice(company=company_se, national_id=ssn, email="a@example.se")
    delivery = _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.EMAIL
    assert delivery.billing_action == BillingAction.EMAIL
    failed = [s["inputs"]["channel"] for s in delivery.trace if s["rule"] == "transport_failed"]
    assert failed == [Channel.BILLO, Channel.KIVRA]
    assert len(mail.outbox) == 1


def test_failed_efaktura_delivery_goes_to_print_without_email(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    from simulator.models import EFakturaReceiver
    from tests.agreements.conftest import make_agreement

    activate(company_no, no=True)
    customer = make_customer(
        company=company_no,
        national_id="15076500565",
        einvoice_norway=True,
        address_line1="Storgata 2",
    )
    make_agreement(customer=customer, branch=company_no.branches.get(), status="ACTIVE")
    EFakturaReceiver.objects.create(
        national_id="15076500565", delivery_fault=DeliveryFault.UNREACHABLE
    )
    invoice = make_open_invoice(company=company_no, customer=customer)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.channel == Channel.PRINT
    assert delivery.billing_action == BillingAction.PRINT
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_failed_peppol_delivery_does_not_fall_back(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, _participant = _peppol_invoice(company_no, DeliveryFault.UNREACHABLE)
    invoice.customer.email = "ap@example.no"
    invoice.customer.save()
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.channel == Channel.PEPPOL
    assert mail.outbox == []


# --- Issue 12 item 2: holds are decided again when they end; 3 days from the send ----------


def _held(company, user, capture, **customer):
    from tests.agreements.conftest import make_agreement

    activate(company, no=True, route_anyway=True)
    customer = make_customer(
        company=company, national_id="15076500565", einvoice_norway=True, **customer
    )
    make_agreement(customer=customer, branch=company.branches.get(), status="REQUEST_SENT")
    invoice = make_open_invoice(company=company, customer=customer)
    delivery = _send(invoice, user, capture)
    assert delivery.status == DeliveryStatus.HELD
    return invoice, delivery


def test_released_hold_is_decided_again_when_einvoice_was_switched_off(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, delivery = _held(
        company_no, accountant_no, django_capture_on_commit_callbacks, email="kari@example.no"
    )
    invoice.customer.einvoice_norway = False
    invoice.customer.save()
    ConsumerAgreement.objects.filter(customer=invoice.customer).update(status="ACTIVE")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.release_active_holds() == 1
    delivery.refresh_from_db()
    assert delivery.channel == Channel.EMAIL
    assert delivery.billing_action == BillingAction.EMAIL
    assert delivery.status == DeliveryStatus.DELIVERED
    assert not InboxDocument.objects.exists()


def test_released_hold_is_decided_again_when_the_service_was_deactivated(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    from b2cportal.companies.models import NorwayB2CActivation

    invoice, delivery = _held(
        company_no, accountant_no, django_capture_on_commit_callbacks, address_line1="Gate 1"
    )
    NorwayB2CActivation.objects.update(status="deactivated")
    ConsumerAgreement.objects.filter(customer=invoice.customer).update(status="ACTIVE")
    with django_capture_on_commit_callbacks(execute=True):
        services.settle_holds_for_customer(customer=invoice.customer)
    delivery.refresh_from_db()
    assert delivery.channel == Channel.PRINT
    assert delivery.status == DeliveryStatus.DELIVERED


def test_expired_hold_uses_the_contact_data_as_it_is_at_expiry(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice, delivery = _held(
        company_no, accountant_no, django_capture_on_commit_callbacks, address_line1="Gate 1"
    )
    invoice.customer.email = "new@example.no"  # changed during the hold
    invoice.customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_holds(now=delivery.hold_until + datetime.timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.channel == Channel.EMAIL
    assert mail.outbox[0].to == ["new@example.no"]


def test_hold_counts_three_days_from_the_send_not_from_the_claim(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    from tests.agreements.conftest import make_agreement

    activate(company_no, no=True, route_anyway=True)
    customer = make_customer(company=company_no, national_id="15076500565", einvoice_norway=True)
    make_agreement(customer=customer, branch=company_no.branches.get(), status="REQUEST_SENT")
    invoice = make_open_invoice(company=company_no, customer=customer)
    sent_at = timezone.now()
    with time_machine.travel(sent_at, tick=False), transaction.atomic():
        delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    # The broker lost the message; the worker claims it a day later.
    with time_machine.travel(sent_at + datetime.timedelta(days=1), tick=False):
        services.process_deliveries(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.HELD
    assert delivery.hold_until == delivery.created_at + datetime.timedelta(days=3)
    assert Invoice.objects.get(pk=invoice.pk).delivery_status_until == delivery.hold_until
