"""seed_demo: idempotent, reports what it made, valid identifiers, a true story, every login
works, extendable by other apps. The demo is seeded once for the module (module_demo) where a
test only reads it."""

import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from agreements.models import (
    AgreementEvent,
    AgreementNetwork,
    AgreementStatus,
    ConsumerAgreement,
)
from b2cportal.companies.models import (
    AutoInvoiceSettings,
    Branch,
    Company,
    CustomerLedgerPreferences,
    Membership,
)
from b2cportal.customers import demo as customer_demo
from b2cportal.customers.models import Customer
from b2cportal.customers.services import validate_customer
from invoices.models import Invoice
from simulator.models import ActivationRequest, EFakturaReceiver, RegisterEntry

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
            Invoice,
            ConsumerAgreement,
            AgreementEvent,
            EFakturaReceiver,
        )
    }


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


SEEN: list[list[str]] = []


def _record_companies(context) -> None:
    SEEN.append(sorted(context.companies))


def test_seed_demo_reports_what_it_made_and_a_second_run_adds_nothing(monkeypatch):
    output = _seed()
    first = _counts()
    assert (first["Company"], first["Branch"], first["AutoInvoiceSettings"]) == (2, 3, 3)
    assert first["CustomerLedgerPreferences"] == 2
    assert "http://" in output
    for username in ("admin", "no-admin", "no-accountant", "no-support", "se-support"):
        assert username in output
    for company in Company.objects.all():
        reported = re.search(
            rf"Invoices: (\d+) demo documents for {re.escape(company.name)}", output
        )
        assert reported, output
        assert int(reported.group(1)) == Invoice.objects.filter(company=company).count()
    created = int(re.search(r"agreements: (\d+) created", output).group(1))
    assert created == first["ConsumerAgreement"]

    # Idempotent, and it says so; other apps' seeders (`demo_seeders`) get both companies.
    seeder = (99, f"{__name__}._record_companies")
    monkeypatch.setattr(apps.get_app_config("companies"), "demo_seeders", [seeder], raising=False)
    SEEN.clear()
    again = _seed()
    assert SEEN == [["NO", "SE"]]
    assert _counts() == first
    assert "agreements: 0 created" in again
    assert "Invoices:" not in again
    assert re.search(r"directory, created: \{[^}]*\}", again)
    assert not re.search(r"directory, created: \{[^}]*[1-9]", again)


def test_companies_have_valid_numbers_and_register_entries(module_demo):
    no, se = module_demo.companies["NO"], module_demo.companies["SE"]
    assert no_orgnr.is_valid(no.organisation_number)
    assert se_orgnr.is_valid(se.organisation_number)
    assert no.branches.count() == 2
    assert se.branches.count() == 1
    for company in (no, se):
        entry = RegisterEntry.objects.get(
            country=company.country, organisation_number=company.organisation_number
        )
        assert entry.name == company.name


def test_every_demo_login_works(client, module_demo):
    logins = [
        ("no-admin", "NO", "administrator"),
        ("no-accountant", "NO", "accountant"),
        ("no-support", "NO", "support"),
        ("se-admin", "SE", "administrator"),
        ("se-accountant", "SE", "accountant"),
        ("se-support", "SE", "support"),
    ]
    for username, country, role in logins:
        client.logout()
        response = client.post(reverse("login"), {"username": username, "password": "demo"})
        assert response.status_code == 302, username
        user = response.wsgi_request.user
        assert user.get_username() == username
        membership = Membership.objects.get(user=user)
        assert (membership.company.country, membership.role) == (country, role)
    client.logout()
    response = client.post(reverse("login"), {"username": "admin", "password": "demo"})
    assert response.status_code == 302
    assert response.wsgi_request.user.is_superuser


def test_demo_customers_are_valid_varied_and_unique(module_demo):
    for company in module_demo.companies.values():
        customers = list(Customer.objects.filter(company=company))
        assert len(customers) >= 50
        kinds = {c.kind for c in customers}
        assert kinds == {"consumer", "business"}
        for customer in customers:
            before = (customer.national_id, customer.organisation_number, customer.postcode)
            validate_customer(customer=customer)  # raises CustomerError on any invalid value
            after = (customer.national_id, customer.organisation_number, customer.postcode)
            assert before == after, "demo data must already be canonical"
        ids = [c.national_id for c in customers if c.national_id]
        assert len(ids) == len(set(ids)), "national ids are unique per company"
    no_customers = Customer.objects.filter(company=module_demo.companies["NO"])
    assert no_customers.filter(einvoice_norway=True).exists()
    assert no_customers.filter(einvoice_norway=False, kind="consumer").exists()
    # D-numbers (day + 40) and samordningsnummer (day + 60) are part of the mix.
    assert any(int(c.national_id[0]) >= 4 for c in no_customers if c.national_id)
    se_ids = Customer.objects.filter(company=module_demo.companies["SE"]).exclude(national_id="")
    assert any(int(c.national_id[6:8]) > 60 for c in se_ids)


def test_active_agreements_only_where_the_b2c_service_is_active(module_demo):
    live = ConsumerAgreement.objects.exclude(status__in=["DELETED", "REJECTED"])
    assert live.filter(network=AgreementNetwork.NO_EFAKTURA, status=AgreementStatus.ACTIVE)
    assert live.filter(network=AgreementNetwork.SE_BANK, status=AgreementStatus.ACTIVE)
    for agreement in live.select_related("branch"):
        branch = agreement.branch
        if agreement.network == AgreementNetwork.NO_EFAKTURA:
            activation, service = branch.b2cno, "autoinvoice_b2c"
        else:
            activation, service = branch.b2cse, "b2cse"
        assert activation.status == "active", (agreement, activation.status)
        # The settings follow it, and the network holds the same active activation.
        settings_row = AutoInvoiceSettings.objects.get(branch=branch)
        assert settings_row.consumer_einvoice_service == service
        network_side = ActivationRequest.objects.get(reference=activation.network_reference)
        assert network_side.status == "active"
    # Bergen stays not activated, so activation can still be tried in the demo.
    bergen = module_demo.companies["NO"].branches.get(branch_id="BGO")
    assert not hasattr(bergen, "b2cno") or bergen.b2cno.status == "not_activated"


def test_bulk_customers_for_benchmarks(module_demo, monkeypatch):
    # A small batch size: 25 customers cross a batch boundary as 2,500 do at the real 2,000.
    monkeypatch.setattr(customer_demo, "BULK_BATCH_SIZE", 20)
    before = Customer.objects.count()
    call_command("seed_demo", customers=25, company_country="SE", stdout=StringIO())
    call_command("seed_demo", customers=10, company_country="SE", stdout=StringIO())
    se = module_demo.companies["SE"]
    assert Customer.objects.count() == before + 35
    bulk = Customer.objects.filter(company=se, number__regex=r"^[2-9][0-9]{6}$")
    assert bulk.count() == 35
    for customer in bulk:
        validate_customer(customer=customer)
    ids = list(bulk.exclude(national_id="").values_list("national_id", flat=True))
    assert len(ids) == len(set(ids))
