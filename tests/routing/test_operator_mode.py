"""Operator-routed mode on the fake operator (eager Celery): the operator routes, we predict.

Every exchange is validated against the operator's OpenAPI document by the fake operator, and
no operator call may happen inside a database transaction.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from routing import selectors, services
from routing.decision import BillingAction, Channel
from routing.models import Delivery, DeliveryStatus
from tests.factories import make_business_customer
from tests.network.operator_fixtures import connect

from .builders import NO_FNRS, SE_SSNS, activate, make_open_invoice

pytestmark = pytest.mark.django_db(transaction=False)


def _send(invoice, user, capture):
    with capture(execute=True):
        delivery = services.send_invoice(invoice=invoice, acting_user=user)
    delivery.refresh_from_db()
    return delivery


def _sent_form(fake, delivery):
    (invoice,) = fake.invoices_with_uuid(str(delivery.external_id))
    return invoice


def test_norwegian_consumer_sent_with_constraints_then_delivered_by_the_operator(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.consumers[NO_FNRS[0]] = "RECEIVING"
    invoice = make_open_invoice(company=company_no, national_id=NO_FNRS[0], email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    # Our prediction: no agreement, so email; the operator knows better (Ja takk til alle).
    assert delivery.channel == Channel.EMAIL
    assert delivery.status == DeliveryStatus.SENT
    sent = _sent_form(operator_mode, delivery)
    assert sent.form["recipient_type"] == "consumer"
    assert sent.form["recipient_ssn"] == NO_FNRS[0]
    assert sent.form["recipient_email"] == "kari@example.no"
    assert sent.form["route_order"] == ["netbank", "email", "print"]
    assert sent.form["b2cno_document_type"] == "INVOICE"
    assert sent.form["lang"] == "NO"
    assert sent.form["format"] == "PEPPOLBIS30"
    assert sorted(sent.file_names) == [f"{invoice.number}.pdf", f"{invoice.number}.xml"]
    assert sent.id != str(delivery.external_id)
    assert delivery.receipt["network_id"] == sent.id

    assert services.poll_operator_deliveries() == {"polled": 1, "errors": 0}
    delivery.refresh_from_db()
    invoice.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.EMAIL  # the prediction stays
    assert delivery.operator_channel == Channel.EFAKTURA_NO
    assert delivery.operator_billing_action == BillingAction.EINVOICE_BANK_B2C_NO
    assert invoice.delivery_status == InvoiceDeliveryStatus.SENT


def test_einvoice_prediction_and_operator_bank_delivery(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    """A hold is the operator's: nothing waits on our side."""
    from agreements.models import AgreementNetwork, AgreementStatus, ConsumerAgreement

    connect(company_no, operator_mode)
    activate(company_no, no=True, route_anyway=True)
    operator_mode.consumers[NO_FNRS[1]] = "RECEIVING"
    invoice = make_open_invoice(
        company=company_no, national_id=NO_FNRS[1], einvoice_norway=True, email="a@b.no"
    )
    ConsumerAgreement.objects.create(
        customer=invoice.customer,
        branch=invoice.branch,
        network=AgreementNetwork.NO_EFAKTURA,
        status=AgreementStatus.REQUEST_SENT,
    )
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.channel == Channel.EFAKTURA_NO
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.hold_until is None
    assert _sent_form(operator_mode, delivery).form["route_order"][0] == "netbank"
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.operator_channel == Channel.EFAKTURA_NO
    assert delivery.operator_billing_action == BillingAction.EINVOICE_BANK_B2C_NO


def test_swedish_consumer_predicted_bank_operator_delivered_kivra(
    company_se, accountant_se, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_se, operator_mode)
    activate(company_se, se=True)
    operator_mode.mailbox_for_ssn[SE_SSNS[0]] = "Kivra"
    invoice = make_open_invoice(company=company_se, national_id=SE_SSNS[0])
    delivery = _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    sent = _sent_form(operator_mode, delivery)
    assert sent.form["recipient_ssn"] == SE_SSNS[0]
    assert sent.form["lang"] == "SE"
    assert "route_order" not in sent.form  # the operator routes Swedish consumers itself
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.operator_channel == Channel.KIVRA
    assert delivery.operator_billing_action == BillingAction.EINVOICE_B2C_SECO_KIVRA


def test_business_customer_goes_as_plain_ubl_with_its_eia(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    customer = make_business_customer(company=company_no, email="ap@buyer.no")
    invoice = make_open_invoice(company=company_no, customer=customer)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    sent = _sent_form(operator_mode, delivery)
    assert sent.form["recipient_type"] == "b2b"
    assert sent.form["recipient_eia"] == f"0192:{customer.organisation_number}"
    assert sent.file_names == [f"{invoice.number}.xml"]
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.operator_channel == Channel.PEPPOL


def test_failed_at_the_operator_is_rerouted_once_by_the_fallback_order(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.failing_recipients["kari@example.no"] = "Mailbox unreachable"
    invoice = make_open_invoice(
        company=company_no,
        email="kari@example.no",
        address_line1="Storgata 1",
        postcode="0155",
        city="Oslo",
    )
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.channel == Channel.EMAIL
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.receipt["rerouted"] == "print"
    assert "Mailbox unreachable" in delivery.events.order_by("pk").last().note
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.operator_channel == Channel.PRINT


def test_failed_without_fallback_shows_the_operators_message(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.failing_recipients["kari@example.no"] = "Recipient unknown"
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    activate(company_no, fallback_order="email_only")  # email failed: nothing else to try
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    invoice.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "Recipient unknown" in delivery.error_detail
    assert invoice.delivery_status == InvoiceDeliveryStatus.ERROR


def test_timeout_after_accept_is_unknown_then_found_never_sent_twice(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.hang_after_accepting(seconds=3)
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.UNKNOWN
    with django_capture_on_commit_callbacks(execute=True):
        services.reconcile(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert operator_mode.uuid_posts[str(delivery.external_id)] == 1
    assert delivery.receipt["network_id"] == _sent_form(operator_mode, delivery).id


def test_operator_busy_defers_the_send_with_the_same_uuid(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.fail_next(429, path_prefix="/v1/invoices", method="POST", retry_after="1")
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    # Not sent: queued again, no sooner than the operator's Retry-After, same uuid.
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.retry_at is not None
    assert operator_mode.uuid_posts[str(delivery.external_id)] == 0
    Delivery.objects.filter(pk=delivery.pk).update(retry_at=None)  # the wait is over
    with django_capture_on_commit_callbacks(execute=True):
        services.process_deliveries(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    assert operator_mode.status_codes[429] == 1
    assert operator_mode.uuid_posts[str(delivery.external_id)] == 1


def test_refused_invoice_fails_with_the_operators_words(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.fail_next(
        400,
        path_prefix="/v1/invoices",
        method="POST",
        code="invalid_parameters",
        message="Invalid invoice file",
    )
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert "Invalid invoice file" in delivery.error_detail


def test_without_a_connection_the_send_fails_clearly(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert "Operator connection" in delivery.error_detail


def test_webhook_hint_polls_that_company_only(
    client, company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    from b2cportal.companies.models import OperatorConnection

    connect(company_no, operator_mode)
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    token = OperatorConnection.objects.get(company=company_no).webhook_token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/hooks/operator/{token}/",
            data=b'{"event": "DOCUMENTS.INVOICE.DELIVERED", "invoice_id": "%s"}'
            % delivery.receipt["network_id"].encode(),
            content_type="application/json",
        )
    assert response.status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (
        client.post(
            "/hooks/operator/not-a-token/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get(f"/hooks/operator/{token}/").status_code == 405


def test_daily_reconciliation_settles_what_polling_missed(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.hang_after_accepting(seconds=3)
    first = _send(
        make_open_invoice(company=company_no, email="a@example.no"),
        accountant_no,
        django_capture_on_commit_callbacks,
    )
    second = _send(
        make_open_invoice(company=company_no, email="b@example.no"),
        accountant_no,
        django_capture_on_commit_callbacks,
    )
    assert first.status == DeliveryStatus.UNKNOWN
    assert second.status == DeliveryStatus.SENT
    result = services.reconcile_operator_invoices()
    assert result == {"checked": 2, "updated": 2}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == DeliveryStatus.DELIVERED
    assert sum(operator_mode.uuid_posts.values()) == 2


def test_invoice_screen_shows_prediction_and_operator_outcome(
    client, company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    connect(company_no, operator_mode)
    operator_mode.consumers[NO_FNRS[2]] = "RECEIVING"
    invoice = make_open_invoice(company=company_no, national_id=NO_FNRS[2], email="k@x.no")
    _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    client.force_login(accountant_no)
    # *Poll invoice status* asks the operator for the outcome.
    client.post(reverse("routing:poll", args=[invoice.pk]))
    page = client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "predicted: Email; operator delivered: eFaktura to online bank (Norway)" in page
    assert "EINVOICE_BANK_B2C_NO" in page


def test_billing_report_counts_what_the_operator_did(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from routing.selectors import billing_report

    connect(company_no, operator_mode)
    operator_mode.consumers[NO_FNRS[0]] = "RECEIVING"
    invoice = make_open_invoice(company=company_no, national_id=NO_FNRS[0], email="k@x.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.billing_action == BillingAction.EMAIL  # the prediction
    services.poll_operator_deliveries()
    today = timezone.localdate()
    (row,) = billing_report(company=company_no, year=today.year, month=today.month)
    assert row["billing_action"] == BillingAction.EINVOICE_BANK_B2C_NO
    assert row["count"] == 1


def test_failed_invoice_rerouted_by_hand_at_the_operator(
    company_no, accountant_no, operator_mode, django_capture_on_commit_callbacks
):
    """*Re-route* by hand: looked up first, recorded, the PUT after commit (contract-checked)."""
    connect(company_no, operator_mode)
    operator_mode.failing_recipients["kari@example.no"] = "Mailbox unreachable"
    activate(company_no, fallback_order="email_only")  # nothing automatic left: it fails
    invoice = make_open_invoice(
        company=company_no,
        email="kari@example.no",
        address_line1="Storgata 1",
        postcode="0155",
        city="Oslo",
    )
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert selectors.reroute_options(invoice=invoice, delivery=delivery) == ["email", "print"]
    with pytest.raises(services.RoutingError, match="changed meanwhile"):
        services.reroute_invoice(  # the user's screen showed an older state
            invoice=invoice, route="print", acting_user=accountant_no, seen_status="sent"
        )

    with django_capture_on_commit_callbacks(execute=False):  # the broker loses the task...
        services.reroute_invoice(
            invoice=invoice,
            route="print",
            acting_user=accountant_no,
            seen_delivery_id=delivery.pk,
            seen_status="failed",
        )
    delivery.refresh_from_db()
    assert delivery.receipt["reroute_pending"] == "print"
    services.poll_operator_deliveries()  # still FAILED at the operator: not taken as the answer
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    services.sweep(queued_after=datetime.timedelta(0))  # ... and the sweeper hands it over
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.receipt["rerouted"] == "print"
    assert "reroute_pending" not in delivery.receipt
    sent = _sent_form(operator_mode, delivery)
    assert sent.actions[-1]["message"] == "Re-routed to print"  # the operator got the PUT
    events = list(delivery.events.order_by("pk"))
    assert [e.note for e in events[-2:]] == [
        "Re-routed by hand: on paper",
        "The network took the re-route",
    ]
    assert events[-2].actor == accountant_no
    assert delivery.trace[-1]["rule"] == "manual_reroute"
    assert selectors.reroute_options(invoice=invoice, delivery=delivery) == []  # no dead button

    services.poll_operator_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.operator_channel == Channel.PRINT
    # Our row says FAILED but the operator delivered it: the look-up refuses, nothing is sent.
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    with pytest.raises(services.RoutingError, match="DELIVERED"):
        services.reroute_invoice(invoice=invoice, route="email", acting_user=accountant_no)
    assert not any("by email" in action["message"] for action in sent.actions)
