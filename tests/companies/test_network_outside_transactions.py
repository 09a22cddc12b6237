"""Network calls happen outside our transactions, and a retry after a crash never repeats them.

The fake network below records every call in Python (outside the database), so a rollback of
ours cannot hide a call the way it would hide a row of the database-backed simulator.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase

from b2cportal.audit.models import AuditEntry
from b2cportal.companies import services
from b2cportal.companies.models import (
    NorwayActivationStatus,
    NorwayB2CActivation,
    SwedenActivationStatus,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)
from b2cportal.network import adapter
from b2cportal.network.adapter import NetworkError, TransientNetworkError
from simulator.adapter import SimulatedNetwork
from simulator.models import ActivationRequest
from tests.factories import make_register_entry

pytestmark = pytest.mark.django_db


class RecordingNetwork(SimulatedNetwork):
    """The simulator, plus a log of calls and the transaction depth each was made at."""

    calls: list[tuple[str, str, int]] = []
    refuse: set[str] = set()
    error: type[NetworkError] = NetworkError

    def _log(self, name: str, key: str) -> None:
        type(self).calls.append((name, key, len(connection.atomic_blocks)))
        if name in type(self).refuse:
            raise type(self).error("the network is down")

    def submit_activation(self, *, idempotency_key: str = "", **kwargs) -> str:
        self._log("submit", idempotency_key)
        return super().submit_activation(idempotency_key=idempotency_key, **kwargs)

    def deactivate(self, reference: str) -> None:
        self._log("deactivate", reference)
        super().deactivate(reference)

    def add_receiving_account(self, reference: str, **kwargs) -> None:
        self._log("add_account", kwargs["account_number"])
        super().add_receiving_account(reference, **kwargs)


@pytest.fixture
def network(settings, monkeypatch):
    monkeypatch.setitem(adapter.ADAPTERS, "recording", f"{__name__}.RecordingNetwork")
    adapter.adapter_class.cache_clear()
    settings.NETWORK_ADAPTER = "recording"
    RecordingNetwork.calls = []
    RecordingNetwork.refuse = set()
    RecordingNetwork.error = NetworkError
    # The test itself runs inside one atomic block; a call made inside ours would be deeper.
    RecordingNetwork.base_depth = len(connection.atomic_blocks)
    yield RecordingNetwork
    adapter.adapter_class.cache_clear()


def _fail_recording(monkeypatch, module: str, action: str) -> None:
    """Crash right after the network answered, when the result is being recorded."""
    target = f"b2cportal.companies.services.{module}.record"
    real = services.history.record

    def crash(**kwargs):
        if kwargs["action"] == action:
            raise RuntimeError("crash after the network call")
        return real(**kwargs)

    monkeypatch.setattr(target, crash)


def _outside_our_transactions(network) -> None:
    assert network.calls
    assert all(depth == network.base_depth for _name, _key, depth in network.calls)


# --- Norway ------------------------------------------------------------------------------------


@pytest.fixture
def branch_no(company_no):
    return company_no.branches.get()


def _terms_token(branch, user, capture) -> str:
    with capture(execute=True):
        services.request_norway_activation(
            branch=branch, acting_user=user, signer_name="Kari", signer_email="kari@example.no"
        )
    return re.search(r"/settings/terms/([^/\s]+)/", mail.outbox[-1].body).group(1)


def test_accept_terms_calls_the_network_outside_the_transaction(
    network, branch_no, admin_no, django_capture_on_commit_callbacks
):
    token = _terms_token(branch_no, admin_no, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_terms(token=token)
    _outside_our_transactions(network)
    activation = NorwayB2CActivation.objects.get(branch=branch_no)
    assert activation.status == NorwayActivationStatus.ACTIVATING
    assert activation.network_reference == network.calls[0][1]


def test_crash_while_accepting_sends_nothing_and_keeps_the_link(
    network, branch_no, admin_no, django_capture_on_commit_callbacks, monkeypatch
):
    token = _terms_token(branch_no, admin_no, django_capture_on_commit_callbacks)
    _fail_recording(monkeypatch, "norway", "b2cno.terms_accepted")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.accept_terms(token=token)
    # Consistent: still waiting for the terms, the link still works, nothing sent or recorded.
    activation = NorwayB2CActivation.objects.get(branch=branch_no)
    assert activation.status == NorwayActivationStatus.AWAITING_TERMS
    assert not AuditEntry.objects.filter(action="b2cno.terms_accepted").exists()
    assert not network.calls
    services.read_terms_link(token)


def test_lost_answer_and_transient_error_are_retried_with_one_key(
    network, branch_no, admin_no, django_capture_on_commit_callbacks, monkeypatch
):
    """A crash after the network took it, then a transient error: the periodic poll sends
    again with the key stored at acceptance, so the network holds one activation."""
    from b2cportal.companies.services import norway

    token = _terms_token(branch_no, admin_no, django_capture_on_commit_callbacks)
    activation = services.accept_terms(token=token)  # its task never ran (broker lost it)

    def crash(**kwargs):
        raise RuntimeError("crash after the network call")

    with monkeypatch.context() as patched:
        patched.setattr(norway, "_record_submission", crash)
        with pytest.raises(RuntimeError):
            services.submit_norway_activation(activation_id=activation.pk)
    network.error = TransientNetworkError
    network.refuse = {"submit"}
    with pytest.raises(TransientNetworkError):
        services.submit_norway_activation(activation_id=activation.pk)
    activation.refresh_from_db()
    assert activation.is_being_sent
    network.refuse = set()
    services.poll_pending_activations()
    activation.refresh_from_db()
    keys = {key for name, key, _depth in network.calls if name == "submit"}
    assert len(keys) == 1
    assert "" not in keys
    assert ActivationRequest.objects.count() == 1
    assert activation.status == NorwayActivationStatus.ACTIVATING
    assert activation.network_reference == keys.pop()
    assert AuditEntry.objects.filter(action="b2cno.terms_accepted").count() == 1
    _outside_our_transactions(network)


def test_crash_after_deactivating_then_retry_deactivates(
    network, branch_no, admin_no, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    token = _terms_token(branch_no, admin_no, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        activation = services.accept_terms(token=token)
    activation = services.poll_activation_status(activation=activation)
    assert activation.status == NorwayActivationStatus.ACTIVE
    _fail_recording(monkeypatch, "norway", "b2cno.deactivated")
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        services.deactivate_norway_service(branch=branch_no, acting_user=admin_no)
    activation = NorwayB2CActivation.objects.get(branch=branch_no)
    assert activation.status == "active"
    assert activation.is_being_deactivated
    monkeypatch.undo()
    services.poll_pending_activations()  # the sweep sends what the crashed task left
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.DEACTIVATED
    _outside_our_transactions(network)
    assert AuditEntry.objects.filter(action="b2cno.deactivated").count() == 1


def test_terms_email_leaves_only_after_the_commit(
    branch_no, admin_no, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        activation = services.request_norway_activation(
            branch=branch_no, acting_user=admin_no, signer_name="Kari", signer_email="k@x.no"
        )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.send_terms_email(
            activation_id=activation.pk, nonce=activation.terms_nonce, language="en"
        )
        assert mail.outbox == []  # not while the transaction is open
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_failed_terms_email_is_sent_by_the_retry(
    branch_no, admin_no, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=False):
        activation = services.request_norway_activation(
            branch=branch_no, acting_user=admin_no, signer_name="Kari", signer_email="k@x.no"
        )

    def broken(self, fail_silently=False):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(OSError), django_capture_on_commit_callbacks(execute=True):
        services.send_terms_email(
            activation_id=activation.pk, nonce=activation.terms_nonce, language="en"
        )
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_terms_email(
            activation_id=activation.pk, nonce=activation.terms_nonce, language="en"
        )
        assert not services.send_terms_email(
            activation_id=activation.pk, nonce=activation.terms_nonce, language="en"
        )
    assert len(mail.outbox) == 1


# --- Sweden ------------------------------------------------------------------------------------


@pytest.fixture
def branch_se(company_se):
    make_register_entry(company=company_se)
    return company_se.branches.get()


def _submit(branch, user):
    """*Activate*, then its task (on commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        activation = services.submit_sweden_activation(
            branch=branch, acting_user=user, account_type="bankgiro", account_number="5050-1055"
        )
    return SwedenB2CActivation.objects.get(pk=activation.pk)


def _add_account(branch, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.add_receiving_account(
            branch=branch, acting_user=user, account_type="plusgiro", account_number="4-2"
        )


def test_crash_after_submitting_then_retry_creates_one_network_activation(
    network, branch_se, admin_se, monkeypatch, settings
):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 3600
    _fail_recording(monkeypatch, "sweden", "b2cse.submitted")
    with pytest.raises(RuntimeError):
        _submit(branch_se, admin_se)
    activation = SwedenB2CActivation.objects.get(branch=branch_se)
    assert activation.status == SwedenActivationStatus.NOT_ACTIVATED
    assert activation.account_number == ""  # nothing half-saved on screen
    assert activation.is_being_sent
    monkeypatch.undo()
    services.poll_pending_activations()  # the sweep sends it again, with the same key
    activation.refresh_from_db()
    keys = {key for name, key, _depth in network.calls if name == "submit"}
    assert len(keys) == 1
    assert "" not in keys
    assert ActivationRequest.objects.count() == 1
    assert activation.status == SwedenActivationStatus.PENDING
    assert activation.network_reference == keys.pop()
    assert activation.pending_submission == {}
    _outside_our_transactions(network)


def test_network_refusing_the_submit_saves_nothing(network, branch_se, admin_se):
    network.refuse = {"submit"}
    activation = _submit(branch_se, admin_se)
    assert "the network is down" in activation.error  # shown on the page afterwards
    assert not activation.is_being_sent
    assert (activation.status, activation.account_number, activation.network_reference) == (
        SwedenActivationStatus.NOT_ACTIVATED,
        "",
        "",
    )
    assert not AuditEntry.objects.filter(action="b2cse.submitted").exists()


@pytest.fixture
def active_se(network, branch_se, admin_se, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    activation = services.poll_activation_status(activation=_submit(branch_se, admin_se))
    assert activation.status == SwedenActivationStatus.ACTIVE
    return activation


def test_crash_after_adding_an_account_then_retry_adds_it_once(
    network, active_se, branch_se, admin_se, monkeypatch
):
    _fail_recording(monkeypatch, "sweden", "b2cse.account_added")
    with pytest.raises(RuntimeError):
        _add_account(branch_se, admin_se)
    monkeypatch.undo()
    services.poll_pending_activations()  # the sweep asks again for the held account
    account = SwedenReceivingAccount.objects.get()
    assert account.confirmed
    assert SwedenReceivingAccount.objects.filter(activation=active_se).count() == 1
    request = ActivationRequest.objects.get(reference=active_se.network_reference)
    assert request.result["accounts"].count("plusgiro:42") == 1
    assert AuditEntry.objects.filter(action="b2cse.account_added").count() == 1
    _outside_our_transactions(network)


def test_network_refusing_an_account_frees_its_place(network, active_se, branch_se, admin_se):
    network.refuse = {"add_account"}
    _add_account(branch_se, admin_se)
    active_se.refresh_from_db()
    assert "the network is down" in active_se.error  # shown on the page afterwards
    assert not SwedenReceivingAccount.objects.exists()
    assert not AuditEntry.objects.filter(action="b2cse.account_added").exists()
