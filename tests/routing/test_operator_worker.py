"""End to end on the real adapter path: a real Celery worker (PostgreSQL + Redis) sending to the
fake operator, which validates every exchange against the operator's OpenAPI document.

Nothing is lost and nothing is sent twice: the fake counts the accepted POSTs per uuid.
"""

from __future__ import annotations

import time

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from b2cportal.companies.models import OperatorConnection
from routing import services
from routing.models import Delivery, DeliveryStatus
from routing.tasks import poll_operator_deliveries_task
from tests.network.operator_fixtures import connect

from .builders import NO_FNRS, make_open_invoice
from .worker_harness import (
    Worker,
    broker_url,
    flush_broker,
    require_services,
    restore_eager,
    use_broker,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CREDENTIALS_KEY = Fernet.generate_key().decode()


@pytest.fixture
def operator_worker(tmp_path, settings, operator_mode):
    """The fake operator, a real broker and a worker on the real adapter path."""
    require_services()
    settings.OPERATOR_CREDENTIALS_KEY = CREDENTIALS_KEY
    flush_broker()
    use_broker(broker_url())
    worker = Worker(
        tmp_path,
        concurrency=2,
        NETWORK_ADAPTER="maventa",
        MAVENTA_BASE_URL=operator_mode.base_url,
        MAVENTA_TIMEOUT_SECONDS="1.5",
        MAVENTA_VENDOR_API_KEY="vendor-key",
        OPERATOR_CREDENTIALS_KEY=CREDENTIALS_KEY,
    ).start()
    try:
        worker.wait_ready()
        yield operator_mode, worker
    finally:
        worker.stop()
        restore_eager()
        flush_broker()


def _count(status, n):
    return lambda: Delivery.objects.filter(status=status).count() >= n


def _invoices(company, n, **customer):
    return [make_open_invoice(company=company, **customer) for _ in range(n)]


def _assert_each_sent_once(fake, deliveries):
    for delivery in deliveries:
        assert fake.uuid_posts[str(delivery.external_id)] == 1, delivery
    assert len(fake.invoices) == len(deliveries)


def test_send_one_then_a_webhook_hint_and_a_failure_rerouted(
    client, company_no, accountant_no, operator_worker
):
    fake, _worker = operator_worker
    connect(company_no, fake)
    fake.consumers[NO_FNRS[0]] = "RECEIVING"
    fake.failing_recipients["fails@example.no"] = "Mailbox full"
    (good,) = _invoices(company_no, 1, national_id=NO_FNRS[0], email="kari@example.no")
    (bad,) = _invoices(
        company_no,
        1,
        email="fails@example.no",
        address_line1="Storgata 1",
        postcode="0155",
        city="Oslo",
    )
    first = services.send_invoice(invoice=good, acting_user=accountant_no)
    second = services.send_invoice(invoice=bad, acting_user=accountant_no)
    wait_for(_count(DeliveryStatus.SENT, 2), 60, "both accepted by the operator")
    first.refresh_from_db()

    # The operator's notification is only a hint: the hook triggers a poll of that invoice.
    token = OperatorConnection.objects.get(company=company_no).webhook_token
    response = client.post(
        reverse("operator-webhook", kwargs={"token": token}),
        data={"event": "DOCUMENTS.INVOICE.DELIVERED", "invoice_id": first.receipt["network_id"]},
        content_type="application/json",
    )
    assert response.status_code == 202
    wait_for(_count(DeliveryStatus.DELIVERED, 1), 60, "the hinted poll")
    first.refresh_from_db()
    assert first.operator_channel == "efaktura_no"
    second.refresh_from_db()
    assert second.status == DeliveryStatus.SENT  # the hint named only the first

    # The scheduled poll finds the failure and re-routes it by the fallback order (print).
    poll_operator_deliveries_task.delay()
    wait_for(
        lambda: Delivery.objects.get(pk=second.pk).receipt.get("rerouted") == "print",
        60,
        "the re-route",
    )
    poll_operator_deliveries_task.delay()
    wait_for(_count(DeliveryStatus.DELIVERED, 2), 60, "delivery after the re-route")
    second.refresh_from_db()
    assert second.operator_channel == "print"
    _assert_each_sent_once(fake, [first, second])


def test_bulk_200_with_the_token_expiring_mid_bulk(company_no, accountant_no, operator_worker):
    fake, _worker = operator_worker
    connect(company_no, fake)
    invoices = _invoices(company_no, 200, email="bulk@example.no")
    started = time.monotonic()
    services.send_invoices(
        company=company_no, invoice_ids=[i.pk for i in invoices], acting_user=accountant_no
    )
    wait_for(lambda: len(fake.invoices) >= 60, 60, "the first third")
    fake.expire_tokens()  # every worker's cached token stops working now
    wait_for(_count(DeliveryStatus.SENT, 200), 120, "all 200 at the operator")
    elapsed = time.monotonic() - started
    deliveries = list(Delivery.objects.all())
    _assert_each_sent_once(fake, deliveries)
    assert fake.status_codes[401] >= 1  # the expiry was met and survived
    assert fake.token_requests >= 2
    assert not fake.violations
    print(f"bulk 200 on the operator path: {elapsed:.1f} s ({200 / elapsed:.0f}/s)")


def test_timeout_after_accept_is_reconciled_not_resent(company_no, accountant_no, operator_worker):
    fake, _worker = operator_worker
    connect(company_no, fake)
    fake.hang_after_accepting(count=1, seconds=5)
    (invoice,) = _invoices(company_no, 1, email="kari@example.no")
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    wait_for(_count(DeliveryStatus.UNKNOWN, 1), 60, "the unknown outcome")
    assert len(fake.invoices) == 1  # the operator has it although we got no answer
    services.sweep()  # what the beat does every 30 s: ask, never resend blindly
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.receipt["network_id"] == next(iter(fake.invoices))
    _assert_each_sent_once(fake, [delivery])


def test_operator_down_for_a_while_nothing_lost_nothing_twice(
    company_no, accountant_no, operator_worker
):
    fake, _worker = operator_worker
    connect(company_no, fake)
    invoices = _invoices(company_no, 30, email="down@example.no")
    fake.go_down(8, retry_after="3")
    services.send_invoices(
        company=company_no, invoice_ids=[i.pk for i in invoices], acting_user=accountant_no
    )
    wait_for(lambda: fake.status_codes[503] >= 1, 30, "the operator to refuse")
    wait_for(_count(DeliveryStatus.SENT, 30), 60, "all 30 once the operator is back")
    deliveries = list(Delivery.objects.all())
    _assert_each_sent_once(fake, deliveries)
    assert all(d.attempts >= 1 for d in deliveries)
    assert any(d.attempts >= 2 for d in deliveries)
