"""Every API URL that takes an id is closed to other companies' keys: 404, nothing revealed.

Like tests/test_tenant_isolation.py for the screens: each named API pattern with a parameter
must have an entry in `API_OBJECTS` (the meta-test fails otherwise). Both directions are
walked: a Norwegian company's key against a Swedish company's objects and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from b2cportal.customers.models import Customer
from tests.factories import SWEDISH_SSN, make_customer

from .conftest import api_client, make_key

pytestmark = pytest.mark.django_db


@dataclass
class Target:
    kwargs: dict
    secrets: list[str] = field(default_factory=list)
    methods: tuple[str, ...] = ("get",)


def _secret_customer(company) -> Customer:
    return make_customer(
        company=company,
        number="31337",
        name="Hemmelig Kunde",
        email="hemmelig@kunde.example",
        national_id=SWEDISH_SSN if company.country == "SE" else "",
    )


def customer_target(company) -> Target:
    customer = _secret_customer(company)
    return Target(
        {"number": customer.number},
        ["Hemmelig Kunde", "hemmelig@kunde.example"],
        ("get", "patch"),
    )


def customer_agreements_target(company) -> Target:
    customer = _secret_customer(company)
    return Target({"number": customer.number}, ["Hemmelig Kunde"])


def _invoice_target(methods: tuple[str, ...]) -> Callable[..., Target]:
    def factory(company) -> Target:
        from tests.factories import make_invoice

        invoice = make_invoice(company=company, customer=_secret_customer(company))
        return Target({"pk": invoice.pk}, ["Hemmelig Kunde"], methods)

    return factory


API_OBJECTS: dict[str, Callable[..., Target]] = {
    "api:customer-detail": customer_target,
    "api:customer-agreements": customer_agreements_target,
    "api:invoice-detail": _invoice_target(("get", "patch", "delete")),
    "api:invoice-validate": _invoice_target(("post",)),
    "api:invoice-route": _invoice_target(("get",)),
    "api:invoice-delivery": _invoice_target(("get",)),
    "api:invoice-xml": _invoice_target(("get",)),
    "api:invoice-pdf": _invoice_target(("get",)),
    "api:invoice-release": _invoice_target(("post",)),
    "api:invoice-credit": _invoice_target(("post",)),
    "api:invoice-send": _invoice_target(("post",)),
}


def _walk(resolver: URLResolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            prefix = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            yield from _walk(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name and entry.pattern.regex.groupindex:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            if name.startswith("api:"):
                yield name


def test_every_api_url_with_an_id_is_registered():
    names = set(_walk(get_resolver()))
    assert "api:customer-detail" in names
    missing = sorted(names - set(API_OBJECTS))
    assert not missing, f"API URLs taking an id without an API_OBJECTS entry: {missing}"


@pytest.fixture(params=["NO owns, SE asks", "SE owns, NO asks"])
def owner_and_stranger(request, company_no, company_se, admin_no, admin_se):
    from tests.factories import invoice_ready_company

    invoice_ready_company(company_no)
    invoice_ready_company(company_se)
    no = (company_no, api_client(make_key(company_no, admin_no)[1]))
    se = (company_se, api_client(make_key(company_se, admin_se)[1]))
    return (no, se) if request.param.startswith("NO") else (se, no)


@pytest.mark.parametrize("name", sorted(API_OBJECTS))
def test_another_companys_key_gets_404(owner_and_stranger, name):
    (owner, owner_client), (_stranger, stranger_client) = owner_and_stranger
    target = API_OBJECTS[name](owner)
    url = reverse(name, kwargs=target.kwargs)
    for method in target.methods:
        response = getattr(stranger_client, method)(url, {}, format="json")
        assert response.status_code == 404, (name, method, response.content)
        for secret in target.secrets:
            assert secret.encode() not in response.content
        # Positive control: the owner's key reaches the same URL.
        own = getattr(owner_client, method)(url, {}, format="json")
        assert own.status_code != 404, (name, method, own.content)


def test_upsert_with_a_foreign_number_creates_in_the_callers_company(owner_and_stranger):
    (owner, _owner_client), (stranger, stranger_client) = owner_and_stranger
    customer = _secret_customer(owner)
    response = stranger_client.put(
        f"/api/v1/customers/{customer.number}/", {"name": "Another person"}, format="json"
    )
    assert response.status_code == 201
    assert b"Hemmelig" not in response.content
    customer.refresh_from_db()
    assert customer.name == "Hemmelig Kunde"
    assert Customer.objects.get(company=stranger, number="31337").name == "Another person"


def test_lists_and_reports_show_only_the_keys_company(owner_and_stranger):
    from tests.factories import make_invoice

    (owner, owner_client), (_stranger, stranger_client) = owner_and_stranger
    customer = _secret_customer(owner)
    make_invoice(company=owner, customer=customer)
    response = stranger_client.get("/api/v1/customers/", {"q": "Hemmelig"})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert stranger_client.get("/api/v1/invoices/").json()["results"] == []
    from agreements.models import ConsumerAgreement

    ConsumerAgreement.objects.create(
        customer=customer,
        branch=owner.branches.get(is_main_office=True),
        network="NO_EFAKTURA" if owner.country == "NO" else "SE_BANK",
        status="ACTIVE",
        reference="31337",
        source="online_bank",
    )
    assert len(owner_client.get("/api/v1/agreements/").json()["results"]) == 1
    assert stranger_client.get("/api/v1/agreements/", {"q": "31337"}).json()["results"] == []
    assert len(owner_client.get("/api/v1/invoices/").json()["results"]) == 1
    # Filtering by the other company's customer number finds nothing either.
    assert stranger_client.get("/api/v1/invoices/", {"customer": "31337"}).json()["results"] == []
    # Their branch IDs are unknown here too (both companies call theirs MAIN: use the other's id
    # of a branch that only the owner has).
    from tests.factories import make_branch

    make_branch(company=owner, branch_id="ONLYOWNER")
    report = stranger_client.get(
        "/api/v1/billing-report/", {"month": "2026-11", "branch": "ONLYOWNER"}
    )
    assert report.status_code == 400
    assert report.json()["errors"][0]["field"] == "branch"


def test_a_draft_cannot_name_another_companys_customer_or_branch(owner_and_stranger):
    from tests.factories import make_branch

    (owner, _owner_client), (_stranger, stranger_client) = owner_and_stranger
    _secret_customer(owner)
    make_branch(company=owner, branch_id="ONLYOWNER")
    body = {
        "customer": "31337",
        "branch": "ONLYOWNER",
        "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
    }
    response = stranger_client.post("/api/v1/invoices/", body, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"customer", "branch"}
    assert b"Hemmelig" not in response.content
