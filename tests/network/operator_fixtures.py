"""Shared set-up for tests on the real adapter path (a pytest plugin, see tests/conftest.py).

`fake_operator` runs the contract-validating fake operator; `operator_mode` points the adapter at
it; `connect()` gives a company its operator connection; the guard fails any operator call made
inside a database transaction. The terminal summary reports the contract coverage.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from b2cportal.companies import services as company_services
from b2cportal.network.maventa.client import MaventaClient

from .fake_operator import FakeOperator


def connect(company, fake, *, environment: str = "testing"):
    """Register the company at the fake operator and save its connection on our side."""
    operator_company = fake.add_company(
        name=company.name, bid=company.organisation_number, country=company.country
    )
    company_services.save_operator_connection(
        company=company,
        acting_user=None,
        environment=environment,
        company_uuid=operator_company.uuid,
        api_key=operator_company.api_key,
    )
    return operator_company


@pytest.fixture
def operator_mode(settings, fake_operator):
    """NETWORK_ADAPTER=maventa against the fake operator, short timeouts, a clean token cache."""
    settings.NETWORK_ADAPTER = "maventa"
    settings.MAVENTA_BASE_URL = fake_operator.base_url
    settings.MAVENTA_TIMEOUT_SECONDS = 1.5
    settings.MAVENTA_VENDOR_API_KEY = "vendor-key"
    cache.clear()
    yield fake_operator
    cache.clear()


def _in_our_transaction() -> bool:
    """A transaction is open that is not the test case's own wrapper (pytest-django's `db`)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@pytest.fixture(autouse=True)
def no_operator_call_in_a_transaction(monkeypatch):
    """Every test: fails if any operator HTTP call is made while a transaction is open.

    Returns the list of calls made (method and path), for tests that want to look.
    """
    original = MaventaClient._send
    calls: list[str] = []

    def guarded(self, method, path, **kwargs):
        assert not _in_our_transaction(), (
            f"operator call {method} {path} inside a database transaction"
        )
        calls.append(f"{method} {path}")
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(MaventaClient, "_send", guarded)
    return calls


@pytest.fixture
def fake_operator():
    """A running fake operator; the test fails if any request or response broke the contract."""
    fake = FakeOperator().start()
    try:
        yield fake
    finally:
        fake.stop()
        record_contract_coverage(fake)
    assert not fake.violations, "contract violations:\n" + "\n".join(fake.violations)


CONTRACT_TOTALS: dict[str, int] = {"requests": 0, "responses": 0}
CONTRACT_OPERATIONS: set[str] = set()


def record_contract_coverage(fake: FakeOperator) -> None:
    CONTRACT_TOTALS["requests"] += fake.validated_requests
    CONTRACT_TOTALS["responses"] += fake.validated_responses
    CONTRACT_OPERATIONS.update(fake.operations)


def pytest_terminal_summary(terminalreporter):
    if CONTRACT_TOTALS["requests"]:
        terminalreporter.write_line(
            f"operator contract: {CONTRACT_TOTALS['requests']} requests and "
            f"{CONTRACT_TOTALS['responses']} responses validated against the OpenAPI document, "
            f"{len(CONTRACT_OPERATIONS)} operations: " + ", ".join(sorted(CONTRACT_OPERATIONS))
        )
