"""seed_demo: idempotent, valid identifiers, every login works, extendable by other apps."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from b2cportal.companies import demo
from b2cportal.companies.models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    CustomerLedgerPreferences,
    Membership,
)
from b2cportal.customers.models import Customer
from b2cportal.customers.services import validate_customer
from simulator.models import RegisterEntry

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Company,
            Branch,
            Membership,
            Customer,
            AutoInvoiceSettings,
            CustomerLedgerPreferences,
            RegisterEntry,
        )
    }


def test_seed_demo_is_idempotent_and_prints_the_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert first["Company"] == 2
    assert first["Branch"] == 3
    assert first["AutoInvoiceSettings"] == 3
    assert first["CustomerLedgerPreferences"] == 2
    text = out.getvalue()
    assert "http://" in text
    for username in ("admin", "no-admin", "no-accountant", "no-support", "se-support"):
        assert username in text


def test_companies_have_valid_numbers_and_register_entries():
    context = demo.seed_demo()
    no, se = context.companies["NO"], context.companies["SE"]
    assert no_orgnr.is_valid(no.organisation_number)
    assert se_orgnr.is_valid(se.organisation_number)
    assert no.branches.count() == 2
    assert se.branches.count() == 1
    for company in (no, se):
        entry = RegisterEntry.objects.get(
            country=company.country, organisation_number=company.organisation_number
        )
        assert entry.name == company.name


@pytest.mark.parametrize(
    ("username", "country", "role"),
    [
        ("no-admin", "NO", "administrator"),
        ("no-accountant", "NO", "accountant"),
        ("no-support", "NO", "support"),
        ("se-admin", "SE", "administrator"),
        ("se-accountant", "SE", "accountant"),
        ("se-support", "SE", "support"),
    ],
)
def test_every_demo_login_works(client, username, country, role):
    demo.seed_demo()
    response = client.post(reverse("login"), {"username": username, "password": "demo"})
    assert response.status_code == 302
    user = response.wsgi_request.user
    assert user.get_username() == username
    membership = Membership.objects.get(user=user)
    assert membership.company.country == country
    assert membership.role == role


def test_superuser_login(client):
    demo.seed_demo()
    response = client.post(reverse("login"), {"username": "admin", "password": "demo"})
    assert response.status_code == 302
    assert response.wsgi_request.user.is_superuser


def test_demo_customers_are_valid_and_varied():
    context = demo.seed_demo()
    for company in context.companies.values():
        customers = list(Customer.objects.filter(company=company))
        assert len(customers) >= 50
        kinds = {c.kind for c in customers}
        assert kinds == {"consumer", "business"}
        for customer in customers:
            before = (customer.national_id, customer.organisation_number, customer.postcode)
            validate_customer(customer=customer)  # raises CustomerError on any invalid value
            after = (customer.national_id, customer.organisation_number, customer.postcode)
            assert before == after, "demo data must already be canonical"
    no_customers = Customer.objects.filter(company=context.companies["NO"])
    assert no_customers.filter(einvoice_norway=True).exists()
    assert no_customers.filter(einvoice_norway=False, kind="consumer").exists()
    # D-numbers (day + 40) and samordningsnummer (day + 60) are part of the mix.
    assert any(int(c.national_id[0]) >= 4 for c in no_customers if c.national_id)
    se_ids = Customer.objects.filter(company=context.companies["SE"]).exclude(national_id="")
    assert any(int(c.national_id[6:8]) > 60 for c in se_ids)


def test_bulk_customers_for_benchmarks():
    call_command("seed_demo", stdout=StringIO())
    before = Customer.objects.count()
    call_command("seed_demo", customers=2500, company_country="SE", stdout=StringIO())
    call_command("seed_demo", customers=10, company_country="SE", stdout=StringIO())
    se = Company.objects.get(country="SE")
    assert Customer.objects.count() == before + 2510
    sample = Customer.objects.filter(company=se, number__startswith="2").order_by("?")[:20]
    for customer in sample:
        validate_customer(customer=customer)


SEEN: list[list[str]] = []


def _record_companies(context) -> None:
    SEEN.append(sorted(context.companies))


def test_other_apps_extend_the_demo_through_hooks(monkeypatch):
    from django.apps import apps

    seeder = (99, f"{__name__}._record_companies")
    monkeypatch.setattr(apps.get_app_config("companies"), "demo_seeders", [seeder], raising=False)
    SEEN.clear()
    demo.seed_demo()
    assert SEEN == [["NO", "SE"]]
