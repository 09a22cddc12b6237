"""An agreement change settles the customer's held invoices at once (DESIGN §5): ACTIVE sends
them to the bank, a rejection by email or print, without waiting for routing's periodic task."""

import pytest
from django.urls import reverse

from agreements.models import (
    AgreementNetwork,
    AgreementSource,
    AgreementStatus,
    ConsumerAgreement,
)
from routing import services as routing_services
from routing.decision import BillingAction
from routing.models import Delivery, DeliveryStatus
from simulator.models import EFakturaReceiver, InboxDocument
from tests.routing.builders import NO_FNRS, activate, make_open_invoice

from .conftest import post_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _spool(settings, tmp_path):
    settings.PRINT_SPOOL_DIR = tmp_path / "spool"


@pytest.fixture
def held(company_no, accountant_no, django_capture_on_commit_callbacks):
    """A Norwegian consumer invoice held while the agreement request is open (consumer route
    anyway): saving the customer with e-invoice on sent the request (REQUEST_SENT)."""
    activate(company_no, no=True, route_anyway=True)
    invoice = make_open_invoice(
        company=company_no,
        einvoice_norway=True,
        national_id=NO_FNRS[0],
        postcode="0155",
        email="kari@example.com",
    )
    ConsumerAgreement.objects.create(
        customer=invoice.customer,
        branch=invoice.branch,
        network=AgreementNetwork.NO_EFAKTURA,
        status=AgreementStatus.REQUEST_SENT,
        reference=invoice.customer.number,
        source=AgreementSource.REQUEST_EMAIL,
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = routing_services.send_invoice(invoice=invoice, acting_user=accountant_no)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.HELD
    assert not InboxDocument.objects.exists()
    return delivery


def _event(customer, event_id, kind):
    return {
        "event_id": event_id,
        "type": kind,
        "issuer": customer.company.organisation_number,
        "branch": customer.company.branches.get(is_main_office=True).branch_id,
        "customer_reference": customer.number,
    }


def test_signed_activation_releases_the_held_invoice_at_once(
    client, held, django_capture_on_commit_callbacks
):
    customer = held.invoice.customer
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, _event(customer, "e-1", "accepted")).status_code == 200
    held.refresh_from_db()
    assert held.status == DeliveryStatus.HELD  # accepted is not active yet
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, _event(customer, "e-2", "activated"))
    assert response.json()["status"] == "ACTIVE"
    held.refresh_from_db()
    assert held.status == DeliveryStatus.DELIVERED
    assert held.billing_action == BillingAction.EINVOICE_BANK_B2C_NO
    assert InboxDocument.objects.get().kind == "efaktura"
    # Not released by routing's periodic task: nothing is left for it.
    assert routing_services.release_active_holds() == 0


def test_replayed_activation_releases_nothing_twice(
    client, held, django_capture_on_commit_callbacks
):
    customer = held.invoice.customer
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, _event(customer, "e-1", "activated"))
        assert post_event(client, _event(customer, "e-1", "activated")).status_code == 409
    assert InboxDocument.objects.count() == 1
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 1


def test_check_now_match_releases_the_held_invoice(
    client, held, accountant_no, django_capture_on_commit_callbacks
):
    customer = held.invoice.customer
    EFakturaReceiver.objects.create(
        national_id=customer.national_id, name=customer.name, postcode="0155", always_efaktura=True
    )
    client.force_login(accountant_no)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agreements:check", args=[customer.pk]))
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == DeliveryStatus.DELIVERED
    assert InboxDocument.objects.get().kind == "efaktura"


def test_rejection_sends_the_held_invoice_by_email_at_once(
    client, held, django_capture_on_commit_callbacks
):
    customer = held.invoice.customer
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, _event(customer, "e-1", "rejected"))
    held.refresh_from_db()
    assert held.status != DeliveryStatus.HELD
    # The hold ended into the email fallback: no bank delivery, one email delivery.
    live = Delivery.objects.get(invoice=held.invoice, status__in=["sent", "delivered"])
    assert live.billing_action == BillingAction.EMAIL
    assert not InboxDocument.objects.filter(kind="efaktura").exists()
    assert routing_services.release_active_holds() == 0


def test_an_accepted_but_not_active_agreement_keeps_waiting(
    client, held, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, _event(held.invoice.customer, "e-1", "accepted"))
    held.refresh_from_db()
    assert held.status == DeliveryStatus.HELD


def test_without_consumer_route_anyway_old_holds_are_left_to_the_periodic_task(
    client, held, django_capture_on_commit_callbacks
):
    """Holds only arise under consumer route anyway, so with it off the inbound path does not
    look for them (one query less per event); a hold from before it was switched off is still
    settled by routing's periodic task."""
    from b2cportal.companies.models import CustomerLedgerPreferences

    CustomerLedgerPreferences.objects.filter(company=held.invoice.company).update(
        consumer_route_anyway=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, _event(held.invoice.customer, "e-1", "activated"))
    held.refresh_from_db()
    assert held.status == DeliveryStatus.HELD
    with django_capture_on_commit_callbacks(execute=True):
        assert routing_services.release_active_holds() == 1
    held.refresh_from_db()
    assert held.status == DeliveryStatus.DELIVERED
