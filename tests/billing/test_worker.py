"""Batches on a real Celery worker (PostgreSQL + Redis): a worker killed in the middle of the
run, the chunks queued again (the sweeper, or the broker redelivering) — every row ends with
exactly one invoice, numbered without gaps or duplicates."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from billing import services
from billing.models import InvoiceBatch, InvoiceBatchRow, RowStatus
from invoices.models import Invoice
from tests.factories import invoice_ready_company, make_customer
from tests.routing.worker_harness import (
    Worker,
    broker_url,
    flush_broker,
    require_services,
    restore_eager,
    use_broker,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROWS = 300


@pytest.fixture
def real_broker():
    require_services()
    flush_broker()
    use_broker(broker_url())
    yield
    restore_eager()
    flush_broker()


def _done() -> int:
    return InvoiceBatchRow.objects.filter(status=RowStatus.CREATED).count()


def test_killed_worker_and_requeued_chunks_create_nothing_twice(
    tmp_path, real_broker, company_no, admin_no
):
    invoice_ready_company(company_no)
    customers = [make_customer(company=company_no) for _ in range(5)]
    rows = [
        {
            "reference": f"R{i}",
            "customer_number": customers[i % 5].number,
            "issue_date": "2026-11-02",
            "due_date": "2026-11-16",
            "lines": [{"description": "Rent", "unit_price": "950.00"}],
        }
        for i in range(ROWS)
    ]
    with transaction.atomic():
        batch = services.create_batch(
            company=company_no,
            branch=company_no.branches.first(),
            rows=rows,
            format="json",
            source="api",
            acting_user=admin_no,
            release=True,
        )
    first = Worker(tmp_path, concurrency=1).start()
    try:
        first.wait_ready(90)
        wait_for(lambda: _done() >= 50, 120, "the first chunks")
        first.kill()  # SIGKILL, possibly in the middle of a chunk's transaction
    finally:
        first.stop()
    # The sweeper re-queues whatever is unfinished; queue every chunk again on top, as a broker
    # redelivering all of them would.
    InvoiceBatch.objects.filter(pk=batch.pk).update(
        created_at=batch.created_at - datetime.timedelta(minutes=10)
    )
    with transaction.atomic():
        services.sweep_batches()
        services._queue(batch.pk, ROWS)
    second = Worker(tmp_path, concurrency=2).start()
    try:
        wait_for(lambda: _done() == ROWS, 240, "every row")
    finally:
        second.stop()
    invoices = Invoice.objects.filter(company=company_no)
    assert invoices.count() == ROWS
    numbers = sorted(int(n) for n in invoices.values_list("number", flat=True))
    assert numbers == list(range(1, ROWS + 1))
    linked = InvoiceBatchRow.objects.filter(batch=batch).values_list("invoice_id", flat=True)
    assert len(set(linked)) == ROWS
    batch.refresh_from_db()
    assert batch.finished_at is not None
