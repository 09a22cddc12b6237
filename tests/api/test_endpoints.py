"""Every endpoint: the scope it needs (403 without it) and its messages in nb, sv and en.

`ENDPOINTS` must list every operation of the OpenAPI document (a meta-test checks), so a new
endpoint cannot ship without its scope being tested here.
"""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from tests.factories import make_customer, make_invoice

from .conftest import ALL_SCOPES, api_client, make_key

pytestmark = pytest.mark.django_db

# (method, path as in the schema, scope needed; None = any key)
ENDPOINTS = [
    ("get", "/api/v1/me/", None),
    ("get", "/api/v1/customers/", "read"),
    ("post", "/api/v1/customers/", "write"),
    ("get", "/api/v1/customers/{number}/", "read"),
    ("put", "/api/v1/customers/{number}/", "write"),
    ("patch", "/api/v1/customers/{number}/", "write"),
    ("get", "/api/v1/customers/{number}/agreements/", "read"),
    ("get", "/api/v1/invoices/", "read"),
    ("post", "/api/v1/invoices/", "write"),
    ("get", "/api/v1/invoices/{id}/", "read"),
    ("delete", "/api/v1/invoices/{id}/", "write"),
    ("patch", "/api/v1/invoices/{id}/", "write"),
    ("post", "/api/v1/invoices/{id}/validate/", "read"),
    ("post", "/api/v1/invoices/{id}/release/", "write"),
    ("post", "/api/v1/invoices/{id}/credit/", "write"),
    ("post", "/api/v1/invoices/{id}/send/", "send"),
    ("get", "/api/v1/invoices/{id}/route/", "read"),
    ("get", "/api/v1/invoices/{id}/delivery/", "read"),
    ("get", "/api/v1/invoices/{id}/xml/", "read"),
    ("get", "/api/v1/invoices/{id}/pdf/", "read"),
    ("get", "/api/v1/billing-report/", "read"),
    ("get", "/api/v1/agreements/", "read"),
]
# Operations the billing-run work adds (invoice batches, UBL import): checked here as soon as
# they are routed, so merging that work needs no edit of this table.
KNOWN_ELSEWHERE: list[tuple[str, str, str | None]] = [
    ("post", "/api/v1/invoices/import/", "write"),
    ("post", "/api/v1/invoice-batches/", "write"),
    ("get", "/api/v1/invoice-batches/{id}/", "read"),
]


def _routed(path: str) -> bool:
    from django.urls import resolve

    from api.errors import not_found

    return resolve(path.format(id=1, number="1")).func is not not_found


def all_endpoints():
    return ENDPOINTS + [e for e in KNOWN_ELSEWHERE if _routed(e[1])]


def test_every_operation_in_the_schema_is_listed(client):
    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    operations = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    listed = {(method, path) for method, path, _scope in all_endpoints()}
    assert operations == listed


@pytest.fixture
def objects(company_no):
    from tests.factories import invoice_ready_company

    invoice_ready_company(company_no)
    customer = make_customer(company=company_no, number="777")
    invoice = make_invoice(company=company_no, customer=customer)
    return {"number": customer.number, "id": invoice.pk}


@pytest.mark.parametrize(("method", "path", "scope"), all_endpoints())
def test_each_endpoint_refuses_a_key_without_its_scope(
    company_no, admin_no, objects, method, path, scope
):
    url = path.format(**objects)
    if scope is None:
        for single in ALL_SCOPES:
            client = api_client(make_key(company_no, admin_no, [single])[1])
            assert getattr(client, method)(url, {}, format="json").status_code == 200
        return
    others = [s for s in ALL_SCOPES if s != scope]
    client = api_client(make_key(company_no, admin_no, others)[1], "sv")
    response = getattr(client, method)(url, {}, format="json")
    assert response.status_code == 403, (method, path, response.content)
    assert f"”{scope}”" in response.json()["detail"]  # Swedish: the scope is named
    with_scope = api_client(make_key(company_no, admin_no, [scope])[1])
    assert getattr(with_scope, method)(url, {}, format="json").status_code != 403


# Bad input per endpoint: (method, path, body or query); each must be 400/404/409/422 with a
# message that is translated (differs between en, nb and sv).
BAD_INPUT = [
    ("get", "/api/v1/customers/", {"kind": "alien"}),
    ("post", "/api/v1/customers/", {"number": "1", "name": "A", "national_id": "1"}),
    ("get", "/api/v1/customers/nope/", {}),
    ("put", "/api/v1/customers/{number}/", {"postcode": "ABC"}),
    ("patch", "/api/v1/customers/{number}/", {"einvoice_norway": True}),
    ("get", "/api/v1/customers/nope/agreements/", {}),
    ("get", "/api/v1/invoices/", {"date_from": "yesterday"}),
    ("post", "/api/v1/invoices/", {"customer": "777", "lines": []}),
    ("get", "/api/v1/invoices/999999/", {}),
    ("delete", "/api/v1/invoices/999999/", {}),
    ("patch", "/api/v1/invoices/{id}/", {"due_date": "2000-01-01"}),
    ("post", "/api/v1/invoices/999999/validate/", {}),
    ("post", "/api/v1/invoices/{id}/release/", {"release_date": "soon"}),
    ("post", "/api/v1/invoices/{id}/credit/", {}),
    ("post", "/api/v1/invoices/{id}/send/", {}),
    ("get", "/api/v1/invoices/999999/route/", {}),
    ("get", "/api/v1/invoices/999999/delivery/", {}),
    ("get", "/api/v1/invoices/999999/xml/", {}),
    ("get", "/api/v1/invoices/999999/pdf/", {}),
    ("get", "/api/v1/billing-report/", {"month": "November"}),
    ("get", "/api/v1/agreements/", {"status": "HAPPY"}),
]


@pytest.mark.parametrize(("method", "path", "data"), BAD_INPUT)
def test_bad_input_is_answered_in_the_requests_language(
    company_no, admin_no, objects, method, path, data
):
    url = path.format(**objects)
    messages = {}
    for language in ("en", "nb", "sv"):
        client = api_client(make_key(company_no, admin_no, name=language)[1], language)
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code in (400, 404, 409, 422), (language, response.content)
        assert response["Content-Language"] == language
        body = response.json()
        assert body["status"] == response.status_code
        if response.status_code == 400:
            assert all(error["field"] for error in body["errors"]), body
        messages[language] = body["errors"][0]["message"]
    assert len(set(messages.values())) == 3, messages


# Wrong shapes and types an ERP might send: never a 500, always a JSON error.
ODD_BODIES = [
    [],
    "text",
    None,
    {"lines": "x"},
    {"lines": [None]},
    {"lines": [{"description": "A", "quantity": "NaN", "unit_price": "Infinity"}]},
    {"lines": [{"description": "A", "quantity": "1e400", "unit_price": "1"}]},
    {"customer": None, "name": ["a"], "number": {"x": 1}},
    {"issue_date": 5, "due_date": "2026-02-30"},
    {"name": "x" * 10_000, "number": "9" * 500},
    {"release_date": "2026-13-01"},
    {"lines": [{"line": None, "quantity": "-1"}], "note": 7},
    {"einvoice_norway": "maybe", "national_id": 12345},
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_bodies_never_cause_a_500(no_api, objects, body):
    for method, path, _scope in all_endpoints():
        if method == "get" or method == "delete":
            continue
        response = getattr(no_api, method)(path.format(**objects), body, format="json")
        assert response.status_code < 500, (method, path, body)
        assert response.status_code != 201 or method in ("post", "put"), (method, path)
        assert "errors" in response.json() or response.status_code < 300, (method, path, body)


def test_odd_query_strings_never_cause_a_500(no_api, objects):
    odd = {
        "q": "\x00",
        "page_size": "-5",
        "cursor": "not-a-cursor",
        "month": "0000-00",
        "date_from": "1-1-1",
        "customer": "x" * 300,
        "branch": "\x00",
        "einvoice_norway": "2",
    }
    for method, path, _scope in all_endpoints():
        if method != "get":
            continue
        response = no_api.get(path.format(**objects), odd)
        assert response.status_code < 500, path
        assert response.json()["status"] == response.status_code, path
