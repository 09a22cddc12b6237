"""Delivery guarantees with a real Celery worker subprocess, PostgreSQL and Redis.

Run locally with, e.g.:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_routing \
CELERY_BROKER_URL=redis://127.0.0.1:6379/6 pytest -m worker tests/routing
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection

from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from invoices.models import Invoice
from routing import services
from routing.models import Delivery, DeliveryStatus
from routing.services import RoutingError
from routing.tasks import process_deliveries_task
from simulator.models import InboxDocument
from tests.factories import make_customer

from .builders import SE_SSNS, activate, make_open_invoice, se_consumer_with
from .worker_harness import (
    broker_url,
    use_broker,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UNUSED_BROKER = "redis://127.0.0.1:6390/0"
BULK = 400


def _delivered(n: int):
    return lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() >= n


def _se_invoice(company, accountant=None):
    activate(company, se=True)
    return make_open_invoice(company=company, national_id=se_consumer_with(kivra=True))


def test_double_click_and_ten_concurrent_sends_deliver_once(
    company_se, accountant_se, worker_factory
):
    worker_factory()
    invoice = _se_invoice(company_se)
    results: list[str] = []
    barrier = threading.Barrier(10)

    def click():
        try:
            barrier.wait()
            services.send_invoice(invoice=invoice, acting_user=accountant_se)
            results.append("sent")
        except RoutingError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pytest.raises(RoutingError):  # and one more click after the storm
        services.send_invoice(invoice=invoice, acting_user=accountant_se)
    assert sorted(results) == ["refused"] * 9 + ["sent"]
    wait_for(_delivered(1), 60, "the delivery")
    assert Delivery.objects.count() == 1
    assert InboxDocument.objects.get().repeats == 0
    invoice.refresh_from_db()
    assert invoice.delivery_status == InvoiceDeliveryStatus.SENT


def test_task_delivered_twice_calls_transport_once(company_se, accountant_se, worker_factory):
    invoice = _se_invoice(company_se)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_se)
    # The broker redelivers the same message (e.g. after a lost ack): twice more.
    process_deliveries_task.apply_async(([delivery.pk],))
    process_deliveries_task.apply_async(([delivery.pk],))
    worker = worker_factory()
    wait_for(_delivered(1), 60, "the delivery")
    # All three messages ran (the duplicates found nothing left to claim).
    wait_for(lambda: worker.log.read_bytes().count(b"succeeded") >= 3, 60, "all three tasks")
    item = InboxDocument.objects.get()
    assert item.repeats == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def _bulk_invoices(company, n: int) -> list[int]:
    activate(company, se=True)
    for ssn in SE_SSNS[:4]:
        se_consumer_with(ssn=ssn, kivra=True)
    customers = [
        make_customer(company=company, national_id=SE_SSNS[i % 4], number=f"B{i}")
        for i in range(20)
    ]
    template = make_open_invoice(company=company, customer=customers[0])
    rows = []
    for i in range(n - 1):
        rows.append(
            Invoice(
                company=company,
                branch=template.branch,
                customer=customers[i % 20],
                number=f"K{i:06d}",
                status="open",
                issue_date=template.issue_date,
                due_date=template.due_date,
                currency=template.currency,
                total_excl_vat=template.total_excl_vat,
                total_vat=template.total_vat,
                total_incl_vat=template.total_incl_vat,
            )
        )
    Invoice.objects.bulk_create(rows, batch_size=500)
    return list(Invoice.objects.filter(company=company).values_list("pk", flat=True))


def test_sigkill_mid_bulk_send_then_new_worker_delivers_each_once(
    company_se, accountant_se, worker_factory
):
    # 400 (not 1,000): a hundred go out before the kill and 300 after it, which proves the
    # same; the rest only added seconds.
    ids = _bulk_invoices(company_se, BULK)
    first = worker_factory(SIMULATED_NETWORK_DELAY_MS="4")
    first.wait_ready()
    bulk = services.send_invoices(company=company_se, invoice_ids=ids, acting_user=accountant_se)
    assert bulk.total == BULK
    wait_for(_delivered(100), 90, "the first hundred deliveries")
    first.kill()
    killed_at = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    assert killed_at < BULK, "the worker finished before it could be killed"
    # The killed worker's unacked messages stay invisible in Redis for an hour: the database
    # is the source of truth, and the sweeper finds both queued and stale claimed rows.
    worker_factory().wait_ready()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        services.sweep(
            queued_after=datetime.timedelta(seconds=5),
            stale_after=datetime.timedelta(seconds=10),
        )
        if Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == BULK:
            break
        time.sleep(1)
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == BULK
    assert Delivery.objects.count() == BULK
    assert InboxDocument.objects.count() == BULK
    assert set(InboxDocument.objects.values_list("document_uuid", flat=True)) == set(
        Invoice.objects.filter(pk__in=ids).values_list("document_uuid", flat=True)
    )
    assert sum(InboxDocument.objects.values_list("repeats", flat=True)) == 0


def test_broker_down_rows_stay_queued_then_go_out_once(company_se, accountant_se, worker_factory):
    invoice = _se_invoice(company_se)
    use_broker(UNUSED_BROKER)
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_se)
    delivery.refresh_from_db()
    invoice.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert invoice.delivery_status == InvoiceDeliveryStatus.SENT_TO_AUTOINVOICE
    # The broker is back.
    use_broker(broker_url())
    worker_factory()
    assert services.sweep(queued_after=datetime.timedelta(0))["requeued"] == 1
    wait_for(_delivered(1), 60, "the delivery after the broker returned")
    assert InboxDocument.objects.get().repeats == 0


def test_timeout_after_accept_is_reconciled_through_status(
    company_se, accountant_se, worker_factory
):
    invoice = _se_invoice(company_se)
    worker_factory(SIMULATED_NETWORK_FAULT="timeout_after_accept")
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_se)
    wait_for(
        lambda: Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.UNKNOWN).exists(),
        60,
        "the delivery to become unknown",
    )
    invoice.refresh_from_db()
    assert invoice.delivery_status == InvoiceDeliveryStatus.PENDING
    assert services.sweep()["reconciled"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert InboxDocument.objects.count() == 1
    assert InboxDocument.objects.get().repeats == 0
