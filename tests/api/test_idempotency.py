"""Idempotency-Key: replay, 409 on a different body, concurrent requests with one key."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from api.models import IdempotencyRecord
from api.services import purge_idempotency_records
from b2cportal.customers.models import Customer
from tests.conftest import requires_postgres

from .conftest import api_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"
BODY = {"number": "7001", "name": "Kari Nordmann", "postcode": "0155", "city": "Oslo"}


def post(client, body, key="k-1", **extra):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_same_key_and_body_replays_the_first_answer(no_api, company_no):
    first = post(no_api, BODY)
    assert first.status_code == 201
    again = post(no_api, dict(reversed(list(BODY.items()))))  # key order does not matter
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Customer.objects.filter(company=company_no, number="7001").count() == 1


def test_same_key_with_another_body_is_409(no_api, company_no):
    assert post(no_api, BODY).status_code == 201
    response = post(no_api, {**BODY, "name": "Ola Nordmann"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Customer.objects.get(company=company_no, number="7001").name == "Kari Nordmann"


def test_same_key_on_another_endpoint_is_409(no_api):
    assert post(no_api, BODY).status_code == 201
    response = no_api.put(f"{URL}7001/", {"name": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # PUT is not a POST: the key is ignored there, the request runs.
    assert response.status_code == 200
    other = no_api.post(f"{URL}?x=1", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 201  # same path and body: the query string is not part of it
    other = no_api.post("/api/v1/me/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


def test_without_a_key_every_post_runs(no_api):
    assert no_api.post(URL, BODY, format="json").status_code == 201
    second = no_api.post(URL, BODY, format="json")
    assert second.status_code == 400
    assert second.json()["errors"][0]["field"] == "number"


def test_keys_are_per_company(no_api, se_api, company_se):
    assert post(no_api, BODY).status_code == 201
    response = post(se_api, {**BODY, "postcode": "11122", "city": "Stockholm"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Customer.objects.filter(company=company_se, number="7001").exists()


def test_invalid_input_gives_the_key_back(no_api):
    bad = post(no_api, {**BODY, "country": "DK"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "country"
    assert not IdempotencyRecord.objects.exists()
    assert post(no_api, BODY).status_code == 201


def test_a_refusal_by_a_rule_is_replayed(no_api, company_no):
    from tests.factories import make_customer

    make_customer(company=company_no, number="7001")
    first = post(no_api, BODY)
    assert first.status_code == 400  # duplicate number: input refused, key given back
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "ÆØÅ"])
def test_bad_keys_are_400_with_the_header_named(no_api, key):
    response = post(no_api, BODY, key=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_old_records_are_purged(no_api, settings):
    import datetime

    from django.utils import timezone

    post(no_api, BODY)
    assert purge_idempotency_records() == 0
    later = timezone.now() + datetime.timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS + 1)
    assert purge_idempotency_records(now=later) == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_once(company_no, no_key):
    results: list[tuple[int, dict, bool]] = []
    barrier = threading.Barrier(4)

    def run():
        try:
            client = api_client(no_key[1])
            barrier.wait()
            response = post(client, BODY, key="same")
            results.append(
                (response.status_code, response.json(), response.has_header("Idempotent-Replayed"))
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4
    assert {code for code, _body, _replayed in results} == {201}
    assert len({body["id"] for _code, body, _replayed in results}) == 1
    assert sum(1 for *_rest, replayed in results if not replayed) == 1
    assert Customer.objects.filter(company=company_no, number="7001").count() == 1


def test_a_rule_refusal_is_stored_and_replayed(no_api, company_no):
    make = no_api.post(
        "/api/v1/invoices/",
        {
            "customer": "ABC",
            "lines": [{"description": "x", "quantity": "1", "unit_price": "10"}],
        },
        format="json",
    )
    assert make.status_code == 400  # no such customer yet: input refused, nothing stored
    from tests.factories import make_customer

    make_customer(company=company_no, number="ABC")  # no digits: no KID, release is refused
    draft = no_api.post(
        "/api/v1/invoices/",
        {"customer": "ABC", "lines": [{"description": "x", "quantity": "1", "unit_price": "10"}]},
        format="json",
    ).json()
    url = f"/api/v1/invoices/{draft['id']}/release/"
    first = no_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="rel")
    assert first.status_code == 422
    again = no_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="rel")
    assert again.status_code == 422
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_key_still_running_is_409_after_the_wait(no_api, settings, monkeypatch):
    from api import services

    settings.API_IDEMPOTENCY_WAIT_SECONDS = 0
    # The first request's answer is never recorded: as if it were still running.
    monkeypatch.setattr(services, "complete_idempotency_key", lambda **kwargs: None)
    assert post(no_api, BODY).status_code == 201
    response = post(no_api, BODY)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert response["Retry-After"] == "1"


def test_an_unexpected_failure_gives_the_key_back(no_api, monkeypatch):
    from api.v1 import customers

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(customers, "create_customer", boom)
    with pytest.raises(RuntimeError):
        post(no_api, BODY)
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert post(no_api, BODY).status_code == 201
