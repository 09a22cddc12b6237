"""Customer saves in the Django admin follow the same rules and side effects as the screen."""

import pytest
from django.urls import reverse

from agreements.models import AgreementRequest
from b2cportal.companies.models import NorwayB2CActivation
from b2cportal.customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


def _admin_data(customer, **overrides):
    data = {
        "company": customer.company_id,
        "number": customer.number,
        "name": customer.name,
        "kind": customer.kind,
        "national_id": customer.national_id,
        "organisation_number": "",
        "vat_number": "",
        "address_line1": "Storgata 1",
        "address_line2": "",
        "postcode": "0155",
        "city": "Oslo",
        "country": "NO",
        "email": "",
        "phone_1": "",
        "phone_2": "+4791234567",
        "language": "nb",
        "delivery_method": "email",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_turning_einvoice_on_in_the_admin_sends_the_agreement_request(
    client, superuser, company_no, django_capture_on_commit_callbacks
):
    NorwayB2CActivation.objects.create(branch=company_no.branches.get(), status="active")
    customer = make_customer(
        company=company_no, postcode="0155", city="Oslo", phone_2="+4791234567"
    )
    client.force_login(superuser)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _admin_data(customer, einvoice_norway="on"), follow=True)
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.einvoice_norway is True
    request = AgreementRequest.objects.get()
    assert (request.channel, request.recipient) == ("sms", "+4791234567")
    # Queued until the worker sends it (the request leaves after the save commits).
    assert b"agreement request by SMS to" in response.content
    assert b"is queued for sending" in response.content
    # Saving again inside the quiet period does not send a second request.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _admin_data(customer, einvoice_norway="on"))
    assert AgreementRequest.objects.count() == 1


def test_admin_save_without_einvoice_sends_nothing(client, superuser, company_no):
    NorwayB2CActivation.objects.create(branch=company_no.branches.get(), status="active")
    customer = make_customer(company=company_no, postcode="0155", city="Oslo")
    client.force_login(superuser)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    assert client.post(url, _admin_data(customer, name="Renamed")).status_code == 302
    assert Customer.objects.get(pk=customer.pk).name == "Renamed"
    assert not AgreementRequest.objects.exists()


def test_admin_refuses_xml_illegal_characters(client, superuser, company_no):
    customer = make_customer(company=company_no, postcode="0155", city="Oslo", name="Kari")
    client.force_login(superuser)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = client.post(url, _admin_data(customer, name="Kari\x07"))
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert Customer.objects.get(pk=customer.pk).name == "Kari"
