"""Concurrent events for one agreement on PostgreSQL (real row locks, real threads).

SQLite serialises all writers, so these tests only prove something on PostgreSQL. They are
skipped elsewhere for local runs; under CI (which always uses PostgreSQL) they never skip.
"""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection

from agreements import services
from agreements.models import AgreementEvent, ConsumerAgreement
from b2cportal.companies.models import Branch
from tests.conftest import requires_postgres
from tests.factories import make_company, make_customer

from .conftest import activate_norway, make_agreement

pytestmark = [
    pytest.mark.django_db(transaction=True),
    requires_postgres,
]


@pytest.fixture
def setup():
    company = make_company(country="NO", name="Fjordtech AS", organisation_number="923609016")
    branch = Branch.objects.create(company=company, branch_id="MAIN", name="Oslo")
    activate_norway(branch)
    customer = make_customer(company=company, number="10001", name="Kari Nordmann")
    return company, branch, customer


def run_threads(payloads):
    barrier = threading.Barrier(len(payloads))
    results: list = [None] * len(payloads)

    def worker(index, payload):
        try:
            barrier.wait()
            results[index] = services.apply_inbound_event(event=payload).result
        except services.AgreementError as exc:
            results[index] = exc.code
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            results[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, p)) for i, p in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def payload(event_id, kind):
    return {
        "event_id": event_id,
        "type": kind,
        "issuer": "923609016",
        "branch": "MAIN",
        "customer_reference": "10001",
        "national_id": "",
        "source": "",
    }


def assert_chain_is_consistent(agreement):
    events = list(AgreementEvent.objects.filter(agreement=agreement).order_by("id"))
    for previous, current in itertools.pairwise(events):
        assert current.from_status == previous.to_status, (previous, current)
    assert events[-1].to_status == ConsumerAgreement.objects.get(pk=agreement.pk).status


def test_concurrent_events_for_one_agreement_lose_no_update(setup):
    _company, branch, customer = setup
    agreement = make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")
    kinds = ["accepted", "activated"] * 5
    results = run_threads([payload(f"e{i}", kind) for i, kind in enumerate(kinds)])
    assert set(results) <= {"applied", "ignored"}, results
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"
    assert AgreementEvent.objects.filter(external_event_id__isnull=False).count() == 10
    assert_chain_is_consistent(agreement)


def test_concurrent_first_events_create_one_live_agreement(setup):
    _company, _branch, customer = setup
    results = run_threads([payload(f"n{i}", "activated") for i in range(8)])
    assert set(results) <= {"applied", "ignored"}, results
    live = ConsumerAgreement.objects.filter(customer=customer).exclude(
        status__in=["DELETED", "REJECTED"]
    )
    assert live.count() == 1
    assert live.get().status == "ACTIVE"
    assert_chain_is_consistent(live.get())


def test_the_same_event_delivered_concurrently_is_applied_once(setup):
    _company, branch, customer = setup
    agreement = make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")
    results = run_threads([payload("same", "rejected") for _ in range(6)])
    assert results.count("applied") == 1, results
    assert results.count("replay") == 5, results
    assert AgreementEvent.objects.filter(external_event_id="same").count() == 1
    agreement.refresh_from_db()
    assert agreement.status == "REJECTED"
