"""Holds (Norway, consumer route anyway), bulk send progress, billing report, tenancy."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from agreements.models import ConsumerAgreement
from b2cportal.audit.models import AuditAction, AuditEntry
from invoices.models import DeliveryStatus as InvoiceDeliveryStatus
from routing import services
from routing.decision import BillingAction, Channel
from routing.models import Delivery, DeliveryStatus
from routing.selectors import billing_report, bulk_progress
from simulator.models import InboxDocument

from .builders import NO_FNRS, SE_SSNS, activate, make_open_invoice, se_consumer_with

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _agreement(invoice, status="REQUEST_SENT"):
    from agreements.models import ConsumerAgreement

    return ConsumerAgreement.objects.create(
        customer=invoice.customer,
        branch=invoice.branch,
        network="NO_EFAKTURA",
        status=status,
        source="request_email",
    )


def _held_invoice(company, user, capture, agreement="REQUEST_SENT", **customer):
    activate(company, no=True, route_anyway=True)
    invoice = make_open_invoice(
        company=company, einvoice_norway=True, national_id=NO_FNRS[0], **customer
    )
    if agreement:
        _agreement(invoice, agreement)
    with capture(execute=True):
        delivery = services.send_invoice(invoice=invoice, acting_user=user)
    delivery.refresh_from_db()
    invoice.refresh_from_db()
    return invoice, delivery


def test_consumer_route_anyway_holds_three_days_then_email(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        invoice, delivery = _held_invoice(
            company_no, accountant_no, django_capture_on_commit_callbacks, email="kari@example.no"
        )
        assert delivery.status == DeliveryStatus.HELD
        assert delivery.channel == Channel.EFAKTURA_NO
        assert delivery.hold_until == START + datetime.timedelta(days=3)
        assert invoice.delivery_status == InvoiceDeliveryStatus.AWAITING_AGREEMENT
        assert invoice.delivery_status_until == delivery.hold_until
        assert invoice.delivery_status_detail == ""
    with time_machine.travel(START + datetime.timedelta(days=2, hours=23), tick=False):
        assert services.expire_holds() == 0
    with (
        time_machine.travel(START + datetime.timedelta(days=3, minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.expire_holds() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.EMAIL
    assert delivery.billing_action == BillingAction.EMAIL
    assert [s["rule"] for s in delivery.trace][-3:] == [
        "norway_hold_expired",
        "fallback_email",
        "chosen:email",
    ]
    assert len(mail.outbox) == 1
    history = list(delivery.events.values_list("from_status", "to_status"))
    assert history == [
        ("", "queued"),
        ("queued", "held"),
        ("held", "queued"),
        ("queued", "claimed"),
        ("claimed", "delivered"),
    ]


def test_expired_hold_without_email_goes_to_print(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        _invoice, delivery = _held_invoice(
            company_no,
            accountant_no,
            django_capture_on_commit_callbacks,
            address_line1="Storgata 3",
        )
    with (
        time_machine.travel(START + datetime.timedelta(days=4), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.expire_holds()
    delivery.refresh_from_db()
    assert (delivery.channel, delivery.status) == (Channel.PRINT, DeliveryStatus.DELIVERED)


def test_settling_sends_held_invoice_to_the_bank_once_the_agreement_is_active(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        invoice, delivery = _held_invoice(
            company_no, accountant_no, django_capture_on_commit_callbacks, email="kari@example.no"
        )
    # While the request is open, settling changes nothing.
    assert services.settle_holds_for_customer(customer=invoice.customer) == 0
    ConsumerAgreement.objects.filter(customer=invoice.customer).update(status="ACTIVE")
    with (
        time_machine.travel(START + datetime.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert (
            services.settle_holds_for_customer(customer=invoice.customer, acting_user=accountant_no)
            == 1
        )
    entry = AuditEntry.objects.get(action=AuditAction.HOLD_ENDED)
    assert (entry.object_id, entry.actor_user, entry.changes) == (
        invoice.pk,
        accountant_no,
        [{"field": "delivery_status", "old": "awaiting_agreement", "new": "sent_to_autoinvoice"}],
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.billing_action == BillingAction.EINVOICE_BANK_B2C_NO
    assert InboxDocument.objects.get().kind == "efaktura"
    assert mail.outbox == []
    with time_machine.travel(START + datetime.timedelta(days=5), tick=False):
        assert services.expire_holds() == 0


def test_bulk_send_progress_and_skips(
    company_se, accountant_se, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    invoices = [
        make_open_invoice(company=company_se, national_id=se_consumer_with(billo=True))
        for _ in range(3)
    ]
    draft = make_open_invoice(company=company_se, email="x@example.se")
    draft.status = "draft"
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        bulk = services.send_invoices(
            company=company_se,
            invoice_ids=[i.pk for i in invoices] + [draft.pk],
            acting_user=accountant_se,
        )
    progress = bulk_progress(bulk=bulk)
    assert progress["total"] == 3
    assert progress["finished"] is True
    assert progress["counts"] == {"delivered": 3}
    assert [s["invoice"] for s in bulk.skipped] == [draft.pk]
    # Sending the same selection again sends nothing twice.
    again = services.send_invoices(
        company=company_se, invoice_ids=[i.pk for i in invoices], acting_user=accountant_se
    )
    assert again.total == 0
    assert InboxDocument.objects.count() == 3


def test_bulk_send_ignores_foreign_invoices(company_no, company_se, accountant_no):
    foreign = make_open_invoice(company=company_se, email="x@example.se")
    bulk = services.send_invoices(
        company=company_no, invoice_ids=[foreign.pk], acting_user=accountant_no
    )
    assert bulk.total == 0
    assert not Delivery.objects.exists()


def test_billing_report_counts_per_branch_and_action(
    company_se, company_no, accountant_se, accountant_no, django_capture_on_commit_callbacks
):
    activate(company_se, se=True)
    with django_capture_on_commit_callbacks(execute=True):
        kinds = ({"fmi": True}, {"kivra": True}, {"kivra": True})
        for ssn, kw in zip(SE_SSNS[:3], kinds, strict=True):
            national_id = se_consumer_with(ssn=ssn, **kw)
            invoice = make_open_invoice(company=company_se, national_id=national_id)
            services.send_invoice(invoice=invoice, acting_user=accountant_se)
        services.send_invoice(
            invoice=make_open_invoice(company=company_no, email="k@example.no"),
            acting_user=accountant_no,
        )
    today = timezone.localdate()
    rows = billing_report(company=company_se, year=today.year, month=today.month)
    assert [(r["billing_action"], r["count"]) for r in rows] == [
        ("EINVOICE_B2C_SECO_KIVRA", 2),
        ("EINVOICE_BANK_B2C_SECO", 1),
    ]
    other_month = billing_report(company=company_se, year=today.year - 1, month=today.month)
    assert other_month == []


def test_periodic_release_picks_up_agreement_turning_active(
    company_no, accountant_no, django_capture_on_commit_callbacks
):
    from agreements.models import ConsumerAgreement

    with time_machine.travel(START, tick=False):
        invoice, delivery = _held_invoice(
            company_no, accountant_no, django_capture_on_commit_callbacks, email="kari@example.no"
        )
        assert delivery.status == DeliveryStatus.HELD
        assert services.release_active_holds() == 0
        ConsumerAgreement.objects.filter(customer=invoice.customer).update(status="ACTIVE")
        with django_capture_on_commit_callbacks(execute=True):
            assert services.release_active_holds() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.EFAKTURA_NO
    rules = [step["rule"] for step in delivery.trace]
    # Released, then decided again from the data as it is now: still the online bank.
    assert "norway_hold_released" in rules
    assert rules[-1] == "chosen:efaktura_no"


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        ("NEW", None),
        ("REQUEST_SENT", None),
        ("ACCEPTED", None),
        ("REJECTED", "norway_agreement_declined"),
        ("DELETED", "norway_agreement_declined"),
        ("ERROR", "norway_agreement_error"),
        (None, "norway_agreement_missing"),
    ],
)
def test_send_holds_only_while_the_agreement_can_still_be_accepted(
    status, rule, company_no, accountant_no, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        invoice, delivery = _held_invoice(
            company_no,
            accountant_no,
            django_capture_on_commit_callbacks,
            agreement=status,
            email="kari@example.no",
        )
    if rule is None:
        assert delivery.status == DeliveryStatus.HELD
        assert invoice.delivery_status == InvoiceDeliveryStatus.AWAITING_AGREEMENT
        assert mail.outbox == []
        return
    # No three-day wait: email goes out at once, and the trace says why.
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.channel == Channel.EMAIL
    assert delivery.hold_until is None
    rules = [s["rule"] for s in delivery.trace]
    assert rules[-3:] == [rule, "fallback_email", "chosen:email"]
    assert next(s for s in delivery.trace if s["rule"] == rule)["inputs"] == {
        "agreement_status": status or ""
    }
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("status", ["REJECTED", "DELETED", "ERROR"])
def test_hold_ends_at_once_when_the_agreement_is_declined_or_fails(
    status, company_no, accountant_no, django_capture_on_commit_callbacks
):
    from agreements.models import ConsumerAgreement

    with time_machine.travel(START, tick=False):
        invoice, delivery = _held_invoice(
            company_no, accountant_no, django_capture_on_commit_callbacks, address_line1="Gata 1"
        )
        assert delivery.status == DeliveryStatus.HELD
    # One hour later (not three days) the consumer declines, or JTTA blocks the issuer.
    with time_machine.travel(START + datetime.timedelta(hours=1), tick=False):
        ConsumerAgreement.objects.filter(customer=invoice.customer).update(status=status)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.release_active_holds() == 1
    delivery.refresh_from_db()
    assert (delivery.channel, delivery.status) == (Channel.PRINT, DeliveryStatus.DELIVERED)
    assert delivery.billing_action == BillingAction.PRINT
    expected = "norway_agreement_error" if status == "ERROR" else "norway_agreement_declined"
    assert [s["rule"] for s in delivery.trace][-4:] == [
        expected,
        "fallback_email",
        "fallback_print",
        "chosen:print",
    ]
    assert "norway_hold_expired" not in [s["rule"] for s in delivery.trace]
    with time_machine.travel(START + datetime.timedelta(days=4), tick=False):
        assert services.expire_holds() == 0


def test_hold_is_worded_in_the_readers_language_once(
    client, company_no, accountant_no, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    with time_machine.travel(START, tick=False):
        invoice, _delivery = _held_invoice(
            company_no, accountant_no, django_capture_on_commit_callbacks, email="kari@example.no"
        )
    client.force_login(accountant_no)
    detail = reverse("invoices:detail", args=[invoice.pk])
    english = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Awaiting agreement until" not in english  # the status is not repeated
    assert "until 2026-03-05 10:00" in english  # one ISO format in English, never US style
    norwegian = client.get(detail, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Venter på avtale" in norwegian
    assert "til 05.03.2026 10:00" in norwegian
    assert "Awaiting agreement" not in norwegian
    listing = client.get(reverse("invoices:list"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "till 2026-03-05 10:00" in listing
