"""Contract tests: the operator client against the fake operator, which validates every request
and response against the operator's published OpenAPI document."""

from __future__ import annotations

import io
import time
import zipfile

import httpx
import pytest
from django.core.cache import cache

from b2cportal.network.maventa.client import (
    MaventaClient,
    OperatorCredentials,
    OperatorPermanentError,
    OperatorTimeout,
    OperatorTransientError,
    parse_retry_after,
)

UBL = b"""<?xml version="1.0"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>10042</cbc:ID></Invoice>"""


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def operator_company(fake_operator):
    return fake_operator.add_company(name="Fjordkraft Demo AS", bid="923609016", country="NO")


@pytest.fixture
def client(fake_operator, operator_company):
    creds = OperatorCredentials(
        company_uuid=operator_company.uuid,
        api_key=operator_company.api_key,
        vendor_api_key="vendor-key",
        base_url=fake_operator.base_url,
    )
    with MaventaClient(creds, timeout=httpx.Timeout(2.0, connect=1.0)) as c:
        yield c


def _send(client, uuid="3f1c2d4e-0000-4000-8000-000000000001", **fields):
    base = {
        "format": "PEPPOLBIS30",
        "recipient_type": "consumer",
        "route_order": ["netbank", "email", "print"],
        "disabled_routes": ["einvoice"],
        "recipient_email": "kari@example.no",
        "b2cno_document_type": "INVOICE",
        "lang": "NO",
    }
    base.update(fields)
    return client.send_invoice(
        file_name="10042.xml", content=UBL, content_type="application/xml", uuid=uuid, fields=base
    )


def test_token_is_cached_and_who_am_i(client, fake_operator, operator_company):
    current = client.current()
    assert current["company"]["id"] == operator_company.uuid
    assert client.authenticated_status()["client_id"] == operator_company.uuid
    assert fake_operator.token_requests == 1


def test_wrong_api_key_is_a_permanent_error_in_words(fake_operator, operator_company):
    creds = OperatorCredentials(
        company_uuid=operator_company.uuid, api_key="wrong", base_url=fake_operator.base_url
    )
    with MaventaClient(creds) as c, pytest.raises(OperatorPermanentError) as info:
        c.current()
    assert info.value.status == 401
    assert info.value.code == "auth_unauthorized"
    assert "Invalid client credentials" in str(info.value)
    assert "check the company UUID and API key" in str(info.value)


def test_expired_token_is_refreshed_once(client, fake_operator):
    client.current()
    fake_operator.expire_tokens()
    client.current()
    assert fake_operator.token_requests == 2
    assert fake_operator.status_codes[401] == 1


def test_token_cached_shortly_before_expiry(fake_operator, operator_company):
    fake_operator.token_lifetime = 2
    creds = OperatorCredentials(
        company_uuid=operator_company.uuid,
        api_key=operator_company.api_key,
        base_url=fake_operator.base_url,
    )
    with MaventaClient(creds) as c:
        c.current()
        time.sleep(1.2)  # half the lifetime has passed: the cached token is gone
        c.current()
    assert fake_operator.token_requests == 2
    assert fake_operator.status_codes[401] == 0


def test_send_status_and_actions(client, fake_operator):
    fake_operator.consumers["01017012345"] = "RECEIVING"
    created = _send(client, recipient_ssn="01017012345", disabled_routes=[])
    assert created["status"] == "PENDING"
    assert created["id"] != "3f1c2d4e-0000-4000-8000-000000000001"  # the operator's own id
    invoice = client.get_invoice(created["id"])
    assert invoice["status"] == "DELIVERED"
    actions = client.invoice_actions(created["id"])
    assert [a["type"] for a in actions] == ["CREATED", "SENT", "DELIVERED"]
    assert actions[-1]["channel"] == "EINVOICE"


def test_send_zip_with_pdf(client, fake_operator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("10042.xml", UBL)
        archive.writestr("10042.pdf", b"%PDF-1.4")
    created = client.send_invoice(
        file_name="10042.zip",
        content=buffer.getvalue(),
        content_type="application/zip",
        uuid="3f1c2d4e-0000-4000-8000-000000000002",
        fields={"format": "PEPPOLBIS30", "recipient_type": "consumer", "route_order": ["print"]},
    )
    assert {f["filename"] for f in created["files"]} == {"10042.xml", "10042.pdf"}


def test_list_sent_by_number_and_ids(client):
    created = _send(client)
    by_number = client.list_sent_invoices(number="10042")
    assert [row["id"] for row in by_number] == [created["id"]]
    assert client.list_sent_invoices(ids=[created["id"]])[0]["number"] == "10042"
    assert client.list_sent_invoices(number="99999") == []
    with pytest.raises(ValueError, match="100"):
        client.list_sent_invoices(ids=[str(n) for n in range(101)])


def test_failed_invoice_rerouted_by_email_then_print(client, fake_operator):
    fake_operator.failing_recipients["kari@example.no"] = "Mailbox full"
    created = _send(client)
    assert client.get_invoice(created["id"])["status"] == "FAILED"
    assert client.invoice_actions(created["id"])[-1]["message"] == "Mailbox full"
    client.reroute_email(created["id"], recipient_email="ola@example.no")
    assert client.get_invoice(created["id"])["status"] == "DELIVERED"
    with pytest.raises(OperatorPermanentError, match="Only a failed invoice"):
        client.reroute_print(
            created["id"],
            address={
                "recipient_name": "Kari",
                "recipient_address1": "Storgata 1",
                "recipient_post_code": "0155",
                "recipient_post_office": "Oslo",
                "recipient_country": "NO",
            },
        )


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limit_and_unavailable_are_transient_with_retry_after(client, fake_operator, status):
    client.current()
    fake_operator.fail_next(status, path_prefix="/oauth2/current", retry_after="7")
    with pytest.raises(OperatorTransientError) as info:
        client.current()
    assert info.value.retry_after == 7
    assert info.value.status == status


def test_retry_after_as_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("12") == 12
    assert parse_retry_after("soon") is None


def test_bad_parameters_are_permanent(client, fake_operator):
    fake_operator.fail_next(
        400, path_prefix="/v1/invoices", code="invalid_parameters", message="Invalid format"
    )
    with pytest.raises(OperatorPermanentError, match=r"400: Invalid format \[invalid_parameters\]"):
        _send(client)


def test_timeout_after_accept_is_unknown_not_lost(client, fake_operator):
    fake_operator.hang_after_accepting(seconds=4)
    with pytest.raises(OperatorTimeout):
        _send(client, uuid="3f1c2d4e-0000-4000-8000-000000000009")
    # The operator has it: found by our invoice number, never posted again.
    found = client.list_sent_invoices(number="10042")
    assert len(found) == 1
    assert fake_operator.uuid_posts["3f1c2d4e-0000-4000-8000-000000000009"] == 1


def test_unreachable_operator_is_transient():
    creds = OperatorCredentials(company_uuid="x", api_key="y", base_url="http://127.0.0.1:9")
    with MaventaClient(creds) as c, pytest.raises(OperatorTransientError, match="reached"):
        c.current()


def test_services_and_notifications(client, fake_operator, operator_company):
    assert client.b2cno_status() == "FREE"
    assert client.b2cno_consumers(statuses=["ACTIVE", "NEW"]) == []
    assert client.b2cse_agreement() is None
    client.request_b2cse_agreement(account_number="9020900", account_type="BankGiro")
    operator_company.b2cse_status = "SOMETHING_NEW"
    agreement = client.b2cse_agreement()
    assert agreement["status"] == "SOMETHING_NEW"
    assert agreement["account_type"] == "BankGiro"
    subscription = client.register_webhook(
        destination="https://portal.example/hook/abc", events=["DOCUMENTS.INVOICE.DELIVERED"]
    )
    assert client.notifications() == [subscription]


def test_lookups(client, fake_operator):
    fake_operator.consumers["01017012345"] = "RECEIVING"
    fake_operator.peppol_receivers.add("0192:923609016")
    consumer = client.lookup_consumer(ssn="01017012345")
    assert consumer["routes"]["yes2all"]["status"] == "RECEIVING"
    assert client.lookup_consumer(ssn="02027012345")["routes"]["yes2all"]["status"] == (
        "NOT_RECEIVING"
    )
    assert client.lookup_receivers(eia="0192:923609016")[0]["network"] == "PEPPOL"
    assert client.lookup_receivers(eia="0192:999999999") == []
    rows = client.lookup_endpoints(["923609016", "999999999"], country="NO")
    assert rows[0]["sending"][0] == "PEPPOL"
    with pytest.raises(ValueError, match="10"):
        client.lookup_endpoints([str(n) for n in range(11)])


def test_fake_operator_rejects_requests_off_contract(fake_operator, operator_company):
    """The guard itself: a request outside the contract is refused and recorded."""
    token = httpx.post(
        f"{fake_operator.base_url}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": operator_company.uuid,
            "client_secret": operator_company.api_key,
        },
    ).json()["access_token"]
    response = httpx.get(
        f"{fake_operator.base_url}/v1/invoices",
        params={"direction": "SIDEWAYS"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert len(fake_operator.violations) == 1
    fake_operator.violations.clear()


@pytest.mark.django_db
def test_the_guard_fails_an_operator_call_inside_a_transaction(
    client, no_operator_call_in_a_transaction
):
    """Positive control of the suite-wide guard (tests/network/operator_fixtures.py)."""
    from django.db import transaction

    client.current()  # outside: fine (pytest-django's own wrapper does not count)
    with transaction.atomic(), pytest.raises(AssertionError, match="inside a database transaction"):
        client.current()
    assert no_operator_call_in_a_transaction[0] == "POST /oauth2/token"
