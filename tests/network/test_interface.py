"""The network interface: its own types, one error hierarchy, per-company adapters, and inbound
traffic parsed by the adapter into our own event types."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import RequestFactory, TestCase

from b2cportal.companies import services
from b2cportal.network import adapter
from b2cportal.network.adapter import (
    NETWORK_CALLS,
    ActivationStatus,
    AgreementEvent,
    AgreementEventType,
    InboundError,
    Network,
    NetworkError,
    NetworkTimeout,
    NotSupportedByNetwork,
    PermanentNetworkError,
    ReceiptStatus,
    TransientNetworkError,
    get_network,
)
from b2cportal.network.signing import signed_headers


class BareNetwork(Network):
    """A network that offers nothing: every call says so explicitly."""

    name = "bare"
    made_for: list = []

    @classmethod
    def for_company(cls, company=None):
        cls.made_for.append(company)
        return super().for_company(company)


@pytest.fixture
def bare(settings, monkeypatch):
    monkeypatch.setitem(adapter.ADAPTERS, "bare", f"{__name__}.BareNetwork")
    adapter.adapter_class.cache_clear()
    settings.NETWORK_ADAPTER = "bare"
    BareNetwork.made_for = []
    yield BareNetwork
    adapter.adapter_class.cache_clear()


def test_error_hierarchy_separates_transient_from_permanent():
    assert issubclass(TransientNetworkError, NetworkError)
    assert issubclass(NetworkTimeout, TransientNetworkError)
    assert issubclass(PermanentNetworkError, NetworkError)
    assert not issubclass(PermanentNetworkError, TransientNetworkError)
    assert issubclass(NotSupportedByNetwork, NetworkError)
    assert not issubclass(NotSupportedByNetwork, TransientNetworkError)
    error = TransientNetworkError("busy", code="http_429", retry_after=30)
    assert (error.code, error.retry_after) == ("http_429", 30)


def test_enums_are_the_interfaces_own_strings():
    assert ActivationStatus("active") is ActivationStatus.ACTIVE
    assert ReceiptStatus.ACCEPTED.is_final is False
    assert ReceiptStatus.DELIVERED.is_final
    assert ReceiptStatus.FAILED.is_final
    assert ReceiptStatus.REJECTED == "rejected"


def test_get_network_passes_the_company_to_the_adapter(bare, company_no):
    network = get_network(company_no)
    assert isinstance(network, BareNetwork)
    assert bare.made_for == [company_no]


def test_unknown_adapter_is_a_configuration_error(settings):
    adapter.adapter_class.cache_clear()
    settings.NETWORK_ADAPTER = "nowhere"
    with pytest.raises(ImproperlyConfigured, match="nowhere"):
        get_network()
    adapter.adapter_class.cache_clear()


@pytest.mark.parametrize("method", NETWORK_CALLS)
def test_an_operation_a_network_lacks_raises_not_supported(bare, method):
    network = get_network()
    call = getattr(network, method)
    args = {
        "register_name": {"country": "NO", "organisation_number": "923609016"},
        "submit_activation": {
            "service": "b2cno",
            "organisation_number": "923609016",
            "company_name": "X",
            "payload": {},
        },
        "activation_status": {"reference": "r"},
        "deactivate": {"reference": "r"},
        "add_receiving_account": {"reference": "r", "account_type": "b", "account_number": "1"},
        "agreement_acceptance_link": {
            "issuer_organisation_number": "1",
            "issuer_name": "X",
            "branch_reference": "B",
            "customer_reference": "C",
        },
        "send_consumer_message": {"channel": "sms", "recipient": "+4791234567", "text": "t"},
        "find_efaktura_receiver": {"issuer_organisation_number": "1"},
        "lookup_participants": {"identifiers": ["1"]},
        "lookup_fmi": {"ssns": ["1"]},
        "lookup_mailboxes": {"ssns": ["1"]},
        "deliver": {"document": None},
        "status": {"external_id": "x"},
        "reroute": {"network_id": "x", "route": "email", "email": "a@example.no"},
    }
    if method == "deliver_many":
        # The default loop reports each document's error in place.
        [result] = call([None])
        assert isinstance(result, NotSupportedByNetwork)
        return
    with pytest.raises(NotSupportedByNetwork):
        call(**args[method])


def test_swedish_activation_skips_the_register_check_when_the_network_has_none(
    bare, company_se, admin_se
):
    # The bare network also lacks activation: the refusal is the network's, not the name check
    # (recorded by the queued task and shown on the page).
    with TestCase.captureOnCommitCallbacks(execute=True):
        activation = services.submit_sweden_activation(
            branch=company_se.branches.get(),
            acting_user=admin_se,
            account_type="bankgiro",
            account_number="5050-1055",
        )
    activation.refresh_from_db()
    assert "could not take the activation" in activation.error
    assert activation.refused_field == ""


def test_adding_an_account_the_network_cannot_take_says_so_and_records_nothing(
    company_se, admin_se, settings, monkeypatch
):
    from b2cportal.companies.models import SwedenB2CActivation, SwedenReceivingAccount

    branch = company_se.branches.get()
    SwedenB2CActivation.objects.create(
        branch=branch,
        status="active",
        fui="005560169095.00002222222.FSPA.SE",
        account_type="bankgiro",
        account_number="50501055",
        network_reference="ref",
    )

    monkeypatch.setitem(adapter.ADAPTERS, "no-accounts", f"{__name__}.NoAccountsNetwork")
    adapter.adapter_class.cache_clear()
    settings.NETWORK_ADAPTER = "no-accounts"
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.add_receiving_account(
                branch=branch,
                acting_user=admin_se,
                account_type="plusgiro",
                account_number="1234566",
            )
    finally:
        adapter.adapter_class.cache_clear()
    assert "Ask the operator" in SwedenB2CActivation.objects.get(branch=branch).error
    assert not SwedenReceivingAccount.objects.exists()


class NoAccountsNetwork(Network):
    name = "no-accounts"


def _signed_request(payload, *, secret: str):
    body = json.dumps(payload).encode()
    headers = signed_headers(secret=secret, body=body, now=time.time())
    return RequestFactory().post(
        "/agreements/inbound/", data=body, content_type="application/json", headers=headers
    )


def test_parse_inbound_turns_signed_json_into_our_event_type(bare):
    network = get_network()
    request = _signed_request(
        {
            "event_id": "e-1",
            "type": "capture_payment",
            "account": "12345678903",
            "kid": "100010000041",
            "amount": "250.00",
            "payer_name": "Kari",
        },
        secret=network.inbound_secret(),
    )
    [event] = network.parse_inbound(request)
    assert isinstance(event, AgreementEvent)
    assert event.type is AgreementEventType.CAPTURE_PAYMENT
    assert event.amount == Decimal("250.00")
    assert event.as_dict()["kid"] == "100010000041"


@pytest.mark.parametrize(
    ("payload", "secret", "code", "status"),
    [
        ({"event_id": "e", "type": "accepted"}, "wrong", "unauthorized", 401),
        ({"event_id": "e", "type": "accepted"}, None, "malformed", 400),
        ({"event_id": "e", "type": "no-such-type"}, None, "malformed", 400),
        (["not", "an", "object"], None, "malformed", 400),
    ],
)
def test_parse_inbound_refuses_before_anything_is_applied(bare, payload, secret, code, status):
    network = get_network()
    request = _signed_request(payload, secret=secret or network.inbound_secret())
    with pytest.raises(InboundError) as refused:
        network.parse_inbound(request)
    assert (refused.value.code, refused.value.http_status) == (code, status)


def test_inbound_endpoint_is_404_for_a_network_without_agreement_events(
    client, settings, monkeypatch
):
    monkeypatch.setitem(adapter.ADAPTERS, "silent", f"{__name__}.SilentNetwork")
    adapter.adapter_class.cache_clear()
    settings.NETWORK_ADAPTER = "silent"
    try:
        response = client.post("/agreements/inbound/", data=b"{}", content_type="application/json")
    finally:
        adapter.adapter_class.cache_clear()
    assert response.status_code == 404


class SilentNetwork(Network):
    name = "silent"

    def parse_inbound(self, request):
        raise NotSupportedByNetwork("agreement events", self.name)


def test_the_suite_fails_a_network_call_inside_a_transaction(network_call_guard, company_no):
    violations = network_call_guard
    get_network(company_no).lookup_participants(["923609016"])
    assert violations == []
    with transaction.atomic():
        get_network(company_no).lookup_participants(["923609016"])
    assert len(violations) == 1
    assert "lookup_participants() called inside a transaction" in violations[0]
    violations.clear()  # proven; let this test pass


def test_nothing_outside_the_simulator_imports_it():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    pattern = re.compile(r"^\s*(from|import)\s+simulator\b|network\.(models|simulated)\b", re.M)
    offenders = []
    for folder in ("b2cportal", "agreements", "invoices", "routing"):
        for path in (root / folder).rglob("*.py"):
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(root)))
    assert not offenders
