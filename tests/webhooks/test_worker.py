"""Webhooks through a real Celery worker (PostgreSQL + Redis): signed POST after commit, a
failed attempt retried by the dispatcher, both attempts recorded."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from b2cportal.webhooks import services, signing
from b2cportal.webhooks.models import MessageStatus, WebhookMessage
from tests.routing.worker_harness import (
    Worker,
    broker_url,
    flush_broker,
    require_services,
    restore_eager,
    use_broker,
    wait_for,
)

from .receiver import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    require_services()
    flush_broker()
    use_broker(broker_url())
    started = Worker(tmp_path, concurrency=1).start()
    try:
        started.wait_ready(90)
        yield started
    finally:
        started.stop()
        restore_eager()
        flush_broker()


def test_worker_sends_signed_retries_after_a_failure_and_records_attempts(
    worker, company_no, admin_no
):
    with Receiver(statuses=[503, 200]) as receiver:
        endpoint = services.create_endpoint(
            company=company_no, url=receiver.url, acting_user=admin_no
        )
        with transaction.atomic():
            services.emit(company=company_no, event_type="delivery.held", data={"invoice_id": 1})
        message = WebhookMessage.objects.get()
        wait_for(lambda: len(receiver.requests) == 1, 60, "the first attempt")
        wait_for(
            lambda: WebhookMessage.objects.get(pk=message.pk).attempts == 1, 30, "attempt 1 saved"
        )
        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING

        # What beat does every 15 s: queue what is due (the retry, 5 s after the failure).
        def retried() -> bool:
            services.dispatch_due()
            return len(receiver.requests) == 2

        wait_for(retried, 60, "the retry", interval=1)
        wait_for(
            lambda: WebhookMessage.objects.get(pk=message.pk).status == MessageStatus.DELIVERED,
            30,
            "delivered",
        )
    first, second = receiver.requests
    for request in (first, second):
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["webhook-id"] == message.msg_id
        signing.verify(secret=endpoint.secret, headers=headers, body=request["body"])
        assert json.loads(request["body"])["type"] == "delivery.held"
    attempts = list(message.attempts_made.order_by("number"))
    assert [(a.number, a.response_status, a.succeeded) for a in attempts] == [
        (1, 503, False),
        (2, 200, True),
    ]
