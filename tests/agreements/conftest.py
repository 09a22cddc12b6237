"""Builders and fixtures for the agreements tests."""

from __future__ import annotations

import json
import time

import pytest

from agreements.models import AgreementEvent, AgreementSource, ConsumerAgreement
from b2cportal.companies.models import (
    CustomerLedgerPreferences,
    NorwayB2CActivation,
    SwedenB2CActivation,
)
from b2cportal.network.adapter import get_network
from b2cportal.network.signing import signed_headers
from tests.factories import make_branch, make_customer

FUI = "005560169095.00002222222.FSPA.SE"
CAPTURE_BBAN = "12345678903"  # valid MOD11 Norwegian account number


def activate_norway(branch, **overrides) -> NorwayB2CActivation:
    defaults = {"status": "active"}
    defaults.update(overrides)
    activation, _ = NorwayB2CActivation.objects.update_or_create(branch=branch, defaults=defaults)
    return activation


def activate_sweden(branch, *, fui: str = FUI) -> SwedenB2CActivation:
    activation, _ = SwedenB2CActivation.objects.update_or_create(
        branch=branch, defaults={"status": "active", "fui": fui}
    )
    return activation


def set_prefs(company, **values) -> CustomerLedgerPreferences:
    prefs, _ = CustomerLedgerPreferences.objects.update_or_create(company=company, defaults=values)
    return prefs


def make_agreement(*, customer, branch, status="NEW", network="NO_EFAKTURA", **extra):
    agreement = ConsumerAgreement.objects.create(
        customer=customer,
        branch=branch,
        network=network,
        status=status,
        reference=extra.pop("reference", customer.number),
        source=extra.pop("source", AgreementSource.REQUEST_SMS),
        **extra,
    )
    AgreementEvent.objects.create(agreement=agreement, to_status=status, source="network")
    return agreement


def post_event(client, payload, *, secret=None, now=None, raw: bytes | None = None, headers=None):
    """POST a signed event to the inbound endpoint (like the network does)."""
    body = raw if raw is not None else json.dumps(payload).encode()
    signed = signed_headers(
        secret=secret or get_network().inbound_secret(), body=body, now=now or time.time()
    )
    if headers is not None:
        signed = headers
    return client.post(
        "/agreements/inbound/",
        data=body,
        content_type="application/json",
        headers=signed,
    )


@pytest.fixture
def main_branch(company_no):
    branch = company_no.branches.get(is_main_office=True)
    activate_norway(branch)
    return branch


@pytest.fixture
def customer_no(company_no, main_branch):
    return make_customer(
        company=company_no,
        number="10001",
        name="Kari Nordmann",
        email="kari@example.no",
        phone_2="+4791234567",
        national_id="15108695088",
        postcode="0155",
        einvoice_norway=True,
    )


@pytest.fixture
def second_branch(company_no):
    branch = make_branch(company=company_no, branch_id="BERGEN", name="Bergen")
    activate_norway(branch)
    return branch


@pytest.fixture
def sweden_branch(company_se):
    branch = company_se.branches.get(is_main_office=True)
    activate_sweden(branch)
    return branch


@pytest.fixture
def customer_se(company_se, sweden_branch):
    return make_customer(
        company=company_se, number="20001", name="Sven Svensson", national_id="198112289874"
    )


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit work (queued tasks) as a committed request would."""

    def _run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return _run
