"""Emitting and delivering webhooks: outbox in the caller's transaction, signed POSTs after
commit, backoff for a day, every attempt recorded, *Resend*, routing and agreement events."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone

from agreements.models import AgreementNetwork, AgreementStatus, ConsumerAgreement
from agreements.services.core import _transition
from b2cportal.webhooks import services, signing
from b2cportal.webhooks.models import MessageStatus, WebhookMessage
from routing import services as routing
from tests.factories import make_customer
from tests.routing.builders import make_open_invoice

from .receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(company_no, admin_no):
    with Receiver() as receiver:
        ep = services.create_endpoint(company=company_no, url=receiver.url, acting_user=admin_no)
        ep.receiver = receiver
        yield ep


def test_nothing_is_written_without_an_endpoint(company_no):
    assert services.emit(company=company_no, event_type="delivery.sent", data={}) == 0
    assert not WebhookMessage.objects.exists()


def _emit_then_fail(company):
    with transaction.atomic():
        services.emit(company=company, event_type="delivery.sent", data={"x": 1})
        raise RuntimeError("the caller's transaction fails")


def test_a_rolled_back_event_is_never_sent(endpoint, company_no):
    with pytest.raises(RuntimeError):
        _emit_then_fail(company_no)
    assert not WebhookMessage.objects.exists()
    assert endpoint.receiver.requests == []


def test_event_is_posted_after_commit_signed_per_standard_webhooks(endpoint, company_no):
    with transaction.atomic():
        services.emit(company=company_no, event_type="delivery.sent", data={"invoice_id": 7})
        assert endpoint.receiver.requests == []  # not while the transaction is open
    (request,) = endpoint.receiver.requests
    message = WebhookMessage.objects.get()
    assert message.status == MessageStatus.DELIVERED
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["webhook-id"] == message.msg_id
    signing.verify(secret=endpoint.secret, headers=headers, body=request["body"])
    payload = json.loads(request["body"])
    assert payload["type"] == "delivery.sent"
    assert payload["data"] == {"invoice_id": 7}
    (attempt,) = message.attempts_made.all()
    assert attempt.succeeded
    assert attempt.response_status == 200


def test_failures_back_off_for_a_day_then_fail_with_every_attempt_recorded(
    company_no, admin_no, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    with Receiver(statuses=[503]) as receiver:
        ep = services.create_endpoint(company=company_no, url=receiver.url, acting_user=admin_no)
        services.emit(company=company_no, event_type="delivery.failed", data={"reason": "x"})
        message = WebhookMessage.objects.get()
        started = message.created_at
        for _ in services.RETRY_DELAYS:
            message.refresh_from_db()
            assert message.status == MessageStatus.PENDING
            # Not due yet: the dispatcher leaves it alone.
            assert services.deliver_message(message_id=message.pk) is None
            time_machine.move_to(message.next_attempt_at)
            services.dispatch_due()
        message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == len(services.RETRY_DELAYS) + 1
    assert len(receiver.requests) == message.attempts
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {message.msg_id}
    span = timezone.now() - started
    assert datetime.timedelta(hours=23) < span < datetime.timedelta(hours=25)
    attempts = list(message.attempts_made.all())
    assert [a.number for a in attempts] == list(range(1, message.attempts + 1))
    assert all(a.response_status == 503 and not a.succeeded for a in attempts)
    # Resend: one more attempt, now the receiver is back.
    receiver.statuses = [200]
    with Receiver() as back:
        ep.url = back.url
        ep.save()
        services.resend_message(message=message, acting_user=admin_no)
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    last = message.attempts_made.last()
    assert last.succeeded
    assert last.resent_by == admin_no


def test_unreachable_endpoint_records_the_error(company_no, admin_no):
    ep = services.create_endpoint(
        company=company_no, url="http://127.0.0.1:9/nothing-listens", acting_user=admin_no
    )
    services.emit(company=company_no, event_type="delivery.sent", data={})
    attempt = WebhookMessage.objects.get(endpoint=ep).attempts_made.get()
    assert not attempt.succeeded
    assert "ConnectError" in attempt.error


def test_never_sent_inside_a_transaction(endpoint, company_no):
    services.emit(company=company_no, event_type="delivery.sent", data={})
    message = WebhookMessage.objects.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.deliver_message(message_id=message.pk)


def test_a_paused_endpoint_gets_no_new_messages(endpoint, company_no, admin_no):
    services.set_endpoint_active(endpoint=endpoint, active=False, acting_user=admin_no)
    assert services.emit(company=company_no, event_type="delivery.sent", data={}) == 0


def test_sending_an_invoice_reports_the_delivery(endpoint, company_no, accountant_no):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    routing.send_invoice(invoice=invoice, acting_user=accountant_no)
    payloads = [json.loads(r["body"]) for r in endpoint.receiver.requests]
    assert [p["type"] for p in payloads] == ["delivery.delivered"]
    data = payloads[0]["data"]
    assert data["invoice_number"] == invoice.number
    assert data["document_uuid"] == str(invoice.document_uuid)
    assert data["channel"] == "email"


def test_a_failed_delivery_reports_the_reason(endpoint, company_no, accountant_no):
    # No email, no print service: nothing can deliver it.
    from b2cportal.companies.models import AutoInvoiceSettings

    AutoInvoiceSettings.objects.update_or_create(
        branch=company_no.branches.first(), defaults={"fallback_order": "email_only"}
    )
    invoice = make_open_invoice(company=company_no)
    routing.send_invoice(invoice=invoice, acting_user=accountant_no)
    (payload,) = [json.loads(r["body"]) for r in endpoint.receiver.requests]
    assert payload["type"] == "delivery.failed"
    assert payload["data"]["reason"]


def test_agreement_status_changes_are_reported(endpoint, company_no):
    customer = make_customer(company=company_no)
    agreement = ConsumerAgreement.objects.create(
        customer=customer,
        branch=company_no.branches.first(),
        network=AgreementNetwork.NO_EFAKTURA,
        status=AgreementStatus.NEW,
        source="request_sms",
        reference=customer.number,
    )
    with transaction.atomic():
        _transition(agreement, to_status=AgreementStatus.REQUEST_SENT, source="request_sms")
    (payload,) = [json.loads(r["body"]) for r in endpoint.receiver.requests]
    assert payload["type"] == "agreement.status_changed"
    assert payload["data"]["from_status"] == AgreementStatus.NEW
    assert payload["data"]["status"] == AgreementStatus.REQUEST_SENT
    assert payload["data"]["customer_number"] == customer.number


def test_other_companies_events_never_reach_this_endpoint(endpoint, company_se):
    services.emit(company=company_se, event_type="delivery.sent", data={})
    assert endpoint.receiver.requests == []


def _held(company, user):
    from agreements.models import ConsumerAgreement
    from tests.routing.builders import NO_FNRS, activate

    activate(company, no=True, route_anyway=True)
    invoice = make_open_invoice(
        company=company, einvoice_norway=True, national_id=NO_FNRS[0], email="kari@example.no"
    )
    agreement = ConsumerAgreement.objects.create(
        customer=invoice.customer,
        branch=invoice.branch,
        network="NO_EFAKTURA",
        status="REQUEST_SENT",
        source="request_email",
    )
    routing.send_invoice(invoice=invoice, acting_user=user)
    return invoice, agreement


def _types(receiver) -> list[str]:
    return [json.loads(r["body"])["type"] for r in receiver.requests]


def test_a_hold_then_its_expiry_report_held_and_rerouted(endpoint, company_no, accountant_no):
    _held(company_no, accountant_no)
    assert _types(endpoint.receiver) == ["delivery.held"]
    later = timezone.now() + datetime.timedelta(days=3, minutes=5)
    routing.expire_holds(now=later)
    assert _types(endpoint.receiver)[1:] == ["delivery.rerouted", "delivery.delivered"]
    last = json.loads(endpoint.receiver.requests[-1]["body"])["data"]
    assert last["channel"] == "email"


def test_an_active_agreement_releases_the_hold(endpoint, company_no, accountant_no):
    invoice, agreement = _held(company_no, accountant_no)
    agreement.status = "ACTIVE"
    agreement.save()
    routing.settle_holds_for_customer(customer=invoice.customer, acting_user=accountant_no)
    assert _types(endpoint.receiver) == [
        "delivery.held",
        "delivery.released",
        "delivery.delivered",
    ]
