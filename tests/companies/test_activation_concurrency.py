"""Two administrators (or one double click) submitting at the same moment: one activation."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
from django.core import mail
from django.db import OperationalError, connection

from b2cportal.audit.models import AuditEntry
from b2cportal.companies import services
from b2cportal.companies.models import (
    NorwayB2CActivation,
    Role,
    SwedenB2CActivation,
)
from simulator.models import ActivationRequest
from tests.conftest import requires_postgres
from tests.factories import make_branch, make_company, make_member, make_register_entry

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def _assert_no_errors(errors: list[BaseException]) -> None:
    """PostgreSQL serialises the two on the row lock: neither caller sees an error."""
    assert errors == []


def _run_twice(target) -> list[BaseException]:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def _slow(function):
    """Widen the window between the status check and the write, where a race would slip in."""

    def slowed(*args, **kwargs):
        time.sleep(0.3)
        return function(*args, **kwargs)

    return slowed


def test_simultaneous_norwegian_submits_send_one_email(monkeypatch):
    monkeypatch.setattr(services.norway.secrets, "token_urlsafe", _slow(secrets.token_urlsafe))
    company = make_company(country="NO")
    branch = make_branch(company=company, is_main_office=True)
    admin = make_member(company=company, role=Role.ADMINISTRATOR)
    # The row exists already (as after a deactivation), so only the row lock can serialise.
    NorwayB2CActivation.objects.create(branch=branch)

    errors = _run_twice(
        lambda: services.request_norway_activation(
            branch=branch,
            acting_user=admin,
            signer_name="Kari Nordmann",
            signer_email="kari@example.no",
        )
    )
    _assert_no_errors(errors)
    assert AuditEntry.objects.filter(action="b2cno.terms_sent").count() == 1
    assert len(mail.outbox) == 1


def test_simultaneous_swedish_submits_send_one_activation(settings, monkeypatch):
    from simulator.adapter.activation import SimulatedActivation

    monkeypatch.setattr(
        SimulatedActivation,
        "submit_activation",
        _slow(SimulatedActivation.submit_activation),
    )
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 3600
    company = make_company(country="SE")
    branch = make_branch(company=company, is_main_office=True)
    make_register_entry(company=company)
    admin = make_member(company=company, role=Role.ADMINISTRATOR)
    SwedenB2CActivation.objects.create(branch=branch)

    errors = _run_twice(
        lambda: services.submit_sweden_activation(
            branch=branch, acting_user=admin, account_type="bankgiro", account_number="50501055"
        )
    )
    _assert_no_errors(errors)
    assert ActivationRequest.objects.count() == 1
    assert AuditEntry.objects.filter(action="b2cse.submitted").count() == 1


def _plusgiro(n: int) -> str:
    from stdnum import luhn

    return f"{n}{luhn.calc_check_digit(str(n))}"


def test_two_simultaneous_adds_at_98_accounts_let_exactly_one_in(settings, monkeypatch):
    """The 99-per-FUI limit holds under concurrency: the activation's row lock serialises."""
    from b2cportal.companies.models import SwedenReceivingAccount
    from simulator.adapter.activation import SimulatedActivation

    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    company = make_company(country="SE", organisation_number="5560169095")
    branch = make_branch(company=company, is_main_office=True)
    make_register_entry(company=company)
    admin = make_member(company=company, role=Role.ADMINISTRATOR)
    activation = services.poll_activation_status(
        activation=services.submit_sweden_activation(
            branch=branch, acting_user=admin, account_type="bankgiro", account_number="50501055"
        )
    )
    assert activation.status == "active"
    SwedenReceivingAccount.objects.bulk_create(
        SwedenReceivingAccount(
            activation=activation, account_type="plusgiro", account_number=_plusgiro(1000 + n)
        )
        for n in range(97)
    )
    assert services.accounts_under_fui(activation.fui) == 98
    # Widen the windows where a race would slip in: after the count, and before the network
    # answers (the place is held by then).
    from b2cportal.companies.services import sweden

    counted = sweden.accounts_under_fui

    def slow_count(fui: str) -> int:
        result = counted(fui)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(sweden, "accounts_under_fui", slow_count)
    monkeypatch.setattr(
        SimulatedActivation,
        "add_receiving_account",
        _slow(SimulatedActivation.add_receiving_account),
    )
    numbers = iter([_plusgiro(5000), _plusgiro(6000)])
    lock = threading.Lock()
    added: list[str] = []

    def add():
        with lock:
            number = next(numbers)
        services.add_receiving_account(
            branch=branch, acting_user=admin, account_type="plusgiro", account_number=number
        )
        added.append(number)

    errors = _run_twice(add)
    assert services.accounts_under_fui(activation.fui) == 99
    assert len(added) == 1
    assert AuditEntry.objects.filter(action="b2cse.account_added").count() == 1
    if connection.vendor == "postgresql":
        assert len(errors) == 1
        assert isinstance(errors[0], services.CompanyError)
        assert errors[0].field == "account_number"
        assert "99" in errors[0].message
    else:
        assert len(errors) == 1
        assert isinstance(errors[0], services.CompanyError | OperationalError)
