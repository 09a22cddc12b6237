"""Sending through the outbox with eager Celery: channels, billing, failures, idempotency."""

from __future__ import annotations

import pytest
from django.core import mail

from b2cportal.audit.models import AuditAction, AuditEntry
from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from routing import selectors, services
from routing.decision import BillingAction, Channel
from routing.models import Delivery, DeliveryStatus
from routing.selectors import load_route_inputs
from routing.services import RoutingError
from simulator.models import InboxDocument
from tests.factories import SE_SAMORDNINGSNUMMER_12, make_customer

from .builders import activate, make_open_invoice, peppol, se_consumer_with

pytestmark = pytest.mark.django_db(transaction=False)


def _status_change(old, new):
    return {"field": "delivery_status", "old": old, "new": new}


def _send(invoice, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_invoice(invoice=invoice, acting_user=user)
    delivery.refresh_from_db()
    invoice.refresh_from_db()
    return delivery


def test_norwegian_consumer_without_einvoice_gets_email_with_pdf_and_xml(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.EMAIL
    assert delivery.billing_action == BillingAction.EMAIL
    assert invoice.delivery_status == InvoiceDeliveryStatus.SENT
    assert len(mail.outbox) == 1
    names = [a[0] for a in mail.outbox[0].attachments]
    assert names == [f"{invoice.number}.pdf", f"{invoice.number}.xml"]
    assert mail.outbox[0].to == ["kari@example.no"]


def test_do_not_send_pdf_by_email_attaches_only_xml(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    activate(company_no, do_not_send_pdf_by_email=True)
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert [a[0] for a in mail.outbox[0].attachments] == [f"{invoice.number}.xml"]


def test_print_writes_pdf_and_manifest(
    company_no, accountant_no, settings, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(
        company=company_no, address_line1="Storgata 2", postcode="0155", city="Oslo"
    )
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.channel == Channel.PRINT
    assert delivery.billing_action == BillingAction.PRINT
    pdfs = list(settings.PRINT_SPOOL_DIR.glob("*/*.pdf"))
    assert [p.name for p in pdfs] == [f"{invoice.document_uuid}.pdf"]
    assert pdfs[0].read_bytes().startswith(b"%PDF")
    manifest = (pdfs[0].parent / "manifest.csv").read_text()
    assert invoice.number in manifest
    assert "Storgata 2" in manifest


@pytest.mark.parametrize(
    ("mailboxes", "channel", "billing"),
    [
        ({"fmi": True, "billo": True}, Channel.BANK_SE, BillingAction.EINVOICE_BANK_B2C_SECO),
        ({"billo": True, "kivra": True}, Channel.BILLO, BillingAction.EINVOICE_B2C_SECO_BILLO),
        ({"kivra": True}, Channel.KIVRA, BillingAction.EINVOICE_B2C_SECO_KIVRA),
    ],
)
def test_swedish_b2c_channels_land_in_the_network_inbox(
    company_se, accountant_se, mailboxes, channel, billing, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    ssn = se_consumer_with(**mailboxes)
    invoice = make_open_invoice(company=company_se, national_id=ssn, email="a@example.se")
    delivery = _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    assert (delivery.channel, delivery.billing_action) == (channel, billing), delivery.trace
    item = InboxDocument.objects.get()
    assert item.document_uuid == invoice.document_uuid
    assert item.recipient == ssn
    assert f"<cbc:ID>{invoice.number}</cbc:ID>".encode() in item.content


def test_peppol_business(company_no, accountant_no, django_capture_on_commit_callbacks):
    peppol("974760673")
    customer = make_customer(company=company_no, kind="business", organisation_number="974760673")
    invoice = make_open_invoice(company=company_no, customer=customer)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert (delivery.channel, delivery.billing_action) == (Channel.PEPPOL, BillingAction.PEPPOL)
    assert InboxDocument.objects.get().kind == "peppol"


def test_internal_network_wins_over_peppol(
    company_se, accountant_se, django_capture_on_commit_callbacks
):
    peppol("5565475489")
    peppol("5565475489", kind="internal")
    customer = make_customer(company=company_se, kind="business", organisation_number="5565475489")
    invoice = make_open_invoice(company=company_se, customer=customer)
    delivery = _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    assert delivery.billing_action == BillingAction.INTERNAL


def test_double_click_is_refused_and_creates_one_delivery(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    with pytest.raises(RoutingError, match="already been sent"):
        services.send_invoice(invoice=invoice, acting_user=accountant_no)
    assert Delivery.objects.filter(invoice=invoice).count() == 1
    assert len(mail.outbox) == 1


def test_draft_cannot_be_sent(company_no, accountant_no):
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    invoice.status = "draft"
    invoice.save()
    with pytest.raises(RoutingError, match="Only open"):
        services.send_invoice(invoice=invoice, acting_user=accountant_no)


def test_failing_transport_marks_failed_and_invoice_can_be_sent_again(
    company_no, accountant_no, settings, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(
        company=company_no, address_line1="Storgata 2", postcode="0155", city="Oslo"
    )
    settings.PRINT_SPOOL_DIR.parent.mkdir(parents=True, exist_ok=True)
    settings.PRINT_SPOOL_DIR.write_text("not a folder")  # the spool cannot be written
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "The print spool is not writable."
    assert invoice.delivery_status == InvoiceDeliveryStatus.ERROR
    settings.PRINT_SPOOL_DIR.unlink()
    again = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert again.pk != delivery.pk
    assert again.status == DeliveryStatus.DELIVERED


def test_no_channel_fails_with_reason(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    invoice = make_open_invoice(company=company_no)
    delivery = _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED
    assert "No channel" in delivery.error
    assert invoice.delivery_status == InvoiceDeliveryStatus.ERROR


def test_timeout_after_accept_becomes_unknown_then_reconciled(
    company_se, accountant_se, monkeypatch, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    ssn = se_consumer_with(kivra=True)
    invoice = make_open_invoice(company=company_se, national_id=ssn)
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "timeout_after_accept")
    delivery = _send(invoice, accountant_se, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.UNKNOWN
    assert invoice.delivery_status == InvoiceDeliveryStatus.PENDING
    monkeypatch.setattr("django.conf.settings.SIMULATED_NETWORK_FAULT", "")
    services.poll_invoice_status(invoice=invoice, acting_user=accountant_se)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    # Sending and polling are in the invoice's audit trail, with what each moved.
    rows = AuditEntry.objects.filter(object_id=invoice.pk, action__startswith="sending.")
    assert [(e.action, e.actor_user, e.changes) for e in rows.order_by("id")] == [
        (
            AuditAction.INVOICE_SENT,
            accountant_se,
            [_status_change("not_sent", "sent_to_autoinvoice")],
        ),
        (AuditAction.DELIVERY_POLLED, accountant_se, [_status_change("pending", "sent")]),
    ]
    # Polling again changes nothing and records nothing.
    services.poll_invoice_status(invoice=invoice, acting_user=accountant_se)
    assert rows.count() == 2
    assert InboxDocument.objects.get().repeats == 0


def test_task_run_twice_calls_transport_once(
    company_se, accountant_se, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    invoice = make_open_invoice(company=company_se, national_id=se_consumer_with(billo=True))
    delivery = services.send_invoice(invoice=invoice, acting_user=accountant_se)
    assert services.process_deliveries(delivery_ids=[delivery.pk]) == 1
    assert services.process_deliveries(delivery_ids=[delivery.pk]) == 0
    assert InboxDocument.objects.get().repeats == 0


def test_route_inputs_are_loaded_in_constant_queries(company_se, django_assert_max_num_queries):
    activate(company_se, se=True)
    invoice = make_open_invoice(company=company_se, national_id=se_consumer_with(fmi=True))
    with django_assert_max_num_queries(6):
        inputs = load_route_inputs(invoice)
    assert inputs.fmi_active
    assert inputs.b2cse_active
    assert inputs.has_national_id


def test_decide_route_takes_an_invoice_and_matches_the_pure_decision(company_no):
    """Issue 6: `routing.services.decide_route(invoice)`; `decision.decide(inputs)` stays pure."""
    from routing.decision import decide

    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    decision = services.decide_route(invoice)
    assert decision.channel == Channel.EMAIL
    assert decision.trace_json() == decide(load_route_inputs(invoice)).trace_json()


def test_documents_come_from_the_invoices_app(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    """No stand-in builders remain: the email carries exactly invoices' UBL and PDF."""
    import importlib.util

    from invoices.pdf import build_pdf
    from invoices.ubl import build_ubl

    assert importlib.util.find_spec("routing.documents") is None
    invoice = make_open_invoice(company=company_no, email="kari@example.no")
    _send(invoice, accountant_no, django_capture_on_commit_callbacks)
    attachments = {name: content for name, content, _type in mail.outbox[0].attachments}
    xml = next(c for n, c in attachments.items() if n.endswith(".xml"))
    pdf = next(c for n, c in attachments.items() if n.endswith(".pdf"))
    assert (xml.encode() if isinstance(xml, str) else xml) == build_ubl(invoice)
    assert pdf[:5] == build_pdf(invoice)[:5] == b"%PDF-"
    assert b"AccountingSupplierParty" in build_ubl(invoice)


def test_a_swedish_samordningsnummer_counts_as_the_consumers_ssn(company_se, accountant_se):
    """Routing reads national IDs with the same cleaner as the customer form, so a coordination
    number (day + 60) reaches the consumer's Kivra account instead of falling back to print."""
    activate(company_se, se=True)
    ssn = se_consumer_with(kivra=True, ssn=SE_SAMORDNINGSNUMMER_12)
    invoice = make_open_invoice(company=company_se, national_id=ssn)
    inputs = load_route_inputs(invoice)
    assert inputs.has_national_id
    assert services.decide_route(invoice).channel == Channel.KIVRA


def test_rerouting_what_the_simulated_network_holds_withdraws_it_then_emails_it(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    """Self-routed (the demo): the network withdraws the undelivered document, we email it."""
    from tests.factories import make_business_customer

    receiver = peppol("974760673")
    receiver.delivery_fault = "accept_only"  # accepted, never delivered
    receiver.save()
    customer = make_business_customer(company=company_no, email="ap@buyer.no")
    invoice = make_open_invoice(company=company_no, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_invoice(invoice=invoice, acting_user=accountant_no)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert selectors.reroute_options(invoice=invoice, delivery=delivery) == ["email"]  # no address
    with django_capture_on_commit_callbacks(execute=True):
        services.reroute_invoice(invoice=invoice, route="email", acting_user=accountant_no)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.channel) == (DeliveryStatus.DELIVERED, Channel.EMAIL)
    assert not InboxDocument.objects.filter(document_uuid=delivery.external_id).exists()
    assert mail.outbox[-1].to == ["ap@buyer.no"]
