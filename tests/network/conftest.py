"""The fake operator fixture: a real HTTP server that checks every exchange against the contract."""

from __future__ import annotations

import pytest

from .fake_operator import FakeOperator


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
