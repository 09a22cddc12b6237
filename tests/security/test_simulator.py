"""Issue 9 part 2: the simulated network is not a back door.

One test per finding; each fails on the code before the simulator became its own fenced app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.urls import reverse

from agreements import services
from agreements.models import ConsumerAgreement
from b2cportal.network import adapter
from b2cportal.network.adapter import Network, get_network
from b2cportal.network.signing import signed_headers
from simulator.models import ConsumerLink, EFakturaReceiver, FmiRegistration
from tests.agreements.conftest import (
    CAPTURE_BBAN,
    FUI,
    activate_norway,
    activate_sweden,
    make_agreement,
)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def norway(company_no):
    branch = company_no.branches.get()
    activate_norway(branch, use_agreement_capture=True, capture_bban=CAPTURE_BBAN)
    customer = make_customer(
        company=company_no, number="10001", name="Kari Nordmann", national_id="15108695088"
    )
    return branch, customer


@pytest.fixture
def sweden(company_se):
    branch = company_se.branches.get()
    activate_sweden(branch)
    customer = make_customer(
        company=company_se, number="20001", name="Sven Svensson", national_id="198112289874"
    )
    return branch, customer


def _bank_path(customer_reference: str = "10001") -> str:
    url = get_network().agreement_acceptance_link(
        issuer_organisation_number="923609016",
        issuer_name="Fjordtech AS",
        branch_reference="MAIN",
        customer_reference=customer_reference,
    )
    return url[url.index("/simulator/") :]


def test_anonymous_fmi_onboarding_join_creates_nothing(client, sweden):
    url = reverse("simulator_consumers:onboarding", args=[FUI])
    response = client.post(
        url, {"action": "join", "join-ssn": "811228-9874", "join-bank_id": "SHB"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not FmiRegistration.objects.exists()
    assert not ConsumerAgreement.objects.exists()


def test_company_users_cannot_join_an_fmi_either(client, sweden, admin_se, support_se):
    url = reverse("simulator_consumers:onboarding", args=[FUI])
    for user in (admin_se, support_se):
        client.force_login(user)
        response = client.post(
            url, {"action": "join", "join-ssn": "811228-9874", "join-bank_id": "SHB"}
        )
        assert response.status_code == 403
    assert not ConsumerAgreement.objects.exists()


def test_anonymous_ocr_payment_then_bank_accept_creates_no_agreement(client, norway):
    response = client.post(
        reverse("simulator_consumers:ocr_payment"),
        {"account": CAPTURE_BBAN, "kid": "100010000048", "amount": "100", "payer_name": "Kari"},
    )
    assert response.status_code == 302
    assert not ConsumerAgreement.objects.exists()
    # Even holding a genuine bank link, an anonymous visitor cannot accept.
    response = client.post(_bank_path(), {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not ConsumerAgreement.objects.exists()


def test_fmi_lookup_does_not_tell_anonymous_users_whether_a_personnummer_has_one(client, sweden):
    FmiRegistration.objects.create(ssn="198112289874", bank_id="SHB", issuer_fui=FUI)
    url = reverse("simulator_consumers:onboarding", args=[FUI])
    for response in (
        client.get(url, {"lookup-ssn": "198112289874"}),
        client.post(url, {"action": "lookup", "lookup-ssn": "198112289874"}),
    ):
        assert response.status_code == 302
        assert b"198112289874" not in response.content
        assert b"SHB" not in response.content


def test_a_bank_link_works_once(client, admin_no, norway):
    branch, customer = norway
    agreement = make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")
    path = _bank_path()
    client.force_login(admin_no)
    assert b"You accepted" in client.post(path, {"action": "accept"}).content
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"
    # Reusing the link to flip the agreement is refused; nothing changes.
    reused = client.post(path, {"action": "reject"})
    assert reused.status_code == 410
    assert b"already been used" in reused.content
    assert client.get(path).status_code == 410
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"
    assert ConsumerLink.objects.get().used_for == "accept"


def test_a_bank_link_expires_within_seven_days(client, admin_no, norway, monkeypatch):
    branch, customer = norway
    agreement = make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")
    path = _bank_path()
    client.force_login(admin_no)
    later = time.time() + 7 * 24 * 3600 + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.post(path, {"action": "accept"})
    assert response.status_code == 410
    assert b"has expired" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "REQUEST_SENT"


def test_a_bank_link_is_only_for_the_issuers_users(client, admin_se, norway):
    branch, customer = norway
    make_agreement(customer=customer, branch=branch, status="REQUEST_SENT")
    client.force_login(admin_se)
    path = _bank_path()
    assert client.get(path).status_code == 404
    assert client.post(path, {"action": "accept"}).status_code == 404
    assert ConsumerAgreement.objects.get().status == "REQUEST_SENT"


def test_se_support_cannot_add_a_global_efaktura_directory_entry(
    client, support_se, admin_no, norway
):
    """se-support once blocked a Norwegian company's customer, whose *Check now* then went
    REJECTED."""
    _branch, customer = norway
    client.force_login(support_se)
    response = client.post(
        reverse("simulator_consumers:efaktura"),
        {
            "national_id": customer.national_id,
            "name": customer.name,
            "always_efaktura": "on",
            "blocked_issuers_text": "923609016",
        },
    )
    assert response.status_code == 403
    assert not EFakturaReceiver.objects.exists()
    assert services.check_efaktura_directory(customer=customer, acting_user=admin_no) == []
    assert not ConsumerAgreement.objects.filter(status="REJECTED").exists()


def test_company_users_do_not_see_other_companies_directory_entries(
    client, admin_no, admin_se, accountant_se
):
    EFakturaReceiver.objects.create(national_id="15108695088", name="Hemmelig Mottaker")
    for user in (admin_no, admin_se, accountant_se):
        client.force_login(user)
        response = client.get(reverse("simulator_consumers:efaktura"))
        assert response.status_code == 403
        assert b"Hemmelig Mottaker" not in response.content


def test_the_simulator_never_signs_with_the_production_secret(norway, monkeypatch):
    from simulator.adapter import consumers

    used = []
    real = consumers.signed_headers

    def spy(*, secret, body):
        used.append(secret)
        return real(secret=secret, body=body)

    monkeypatch.setattr(consumers, "signed_headers", spy)
    result = consumers.deliver_agreement_event(
        {
            "event_id": "sim-secret",
            "type": "accepted",
            "issuer": "923609016",
            "branch": "MAIN",
            "customer_reference": "10001",
        }
    )
    assert result.status_code == 200
    assert used == [settings.SIMULATOR_WEBHOOK_SECRET]
    assert settings.SIMULATOR_WEBHOOK_SECRET != settings.NETWORK_WEBHOOK_SECRET


def test_with_the_simulator_the_production_secret_opens_nothing(client, norway):
    body = json.dumps(
        {
            "event_id": "prod-secret",
            "type": "activated",
            "issuer": "923609016",
            "branch": "MAIN",
            "customer_reference": "10001",
        }
    ).encode()
    headers = signed_headers(secret=settings.NETWORK_WEBHOOK_SECRET, body=body)
    response = client.post(
        "/agreements/inbound/", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert not ConsumerAgreement.objects.exists()


class DirectNetwork(Network):
    """A real network using our signed-JSON protocol with NETWORK_WEBHOOK_SECRET."""

    name = "direct"


def test_without_the_simulator_its_signature_is_refused(client, norway, settings, monkeypatch):
    monkeypatch.setitem(adapter.ADAPTERS, "direct", f"{__name__}.DirectNetwork")
    adapter.adapter_class.cache_clear()
    settings.NETWORK_ADAPTER = "direct"
    body = json.dumps(
        {
            "event_id": "sim-signed",
            "type": "activated",
            "issuer": "923609016",
            "branch": "MAIN",
            "customer_reference": "10001",
        }
    ).encode()
    try:
        refused = client.post(
            "/agreements/inbound/",
            data=body,
            content_type="application/json",
            headers=signed_headers(secret=settings.SIMULATOR_WEBHOOK_SECRET, body=body),
        )
        accepted = client.post(
            "/agreements/inbound/",
            data=body,
            content_type="application/json",
            headers=signed_headers(secret=settings.NETWORK_WEBHOOK_SECRET, body=body),
        )
    finally:
        adapter.adapter_class.cache_clear()
    assert refused.status_code == 401
    assert accepted.status_code == 200


def test_the_simulator_refuses_to_start_with_the_production_secret(settings):
    from simulator.checks import own_webhook_secret

    settings.SIMULATOR_WEBHOOK_SECRET = settings.NETWORK_WEBHOOK_SECRET
    assert [e.id for e in own_webhook_secret(None)] == ["simulator.E002"]


@pytest.mark.parametrize(
    "path",
    [
        "/simulator/activations/",
        "/simulator/consumers/",
        "/simulator/consumers/efaktura/",
        "/simulator/consumers/ocr-payment/",
        f"/simulator/consumers/onboarding/{FUI}/",
        "/simulator/deliveries/",
        "/simulator/deliveries/print-spool/",
    ],
)
def test_every_simulator_page_needs_a_login(client, path, settings):
    settings.DEBUG = False
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, (path, method)
        assert response["Location"].startswith(reverse("login"))


def test_with_another_adapter_the_simulator_is_not_installed_and_its_urls_are_404():
    script = """
import django
from django.test.utils import setup_test_environment
django.setup()
setup_test_environment()
from django.apps import apps
from django.conf import settings
from django.test import Client
client = Client()
print(apps.is_installed("simulator"), "simulator" in settings.INSTALLED_APPS)
for path in ("/simulator/consumers/", "/simulator/activations/", "/simulator/deliveries/"):
    print(path, client.get(path).status_code)
print("/accounts/login/", client.get("/accounts/login/").status_code)
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "b2cportal.settings",
        "NETWORK_ADAPTER": "another",
        "DJANGO_READ_ENV_FILE": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "False False"
    assert lines[1:4] == [
        "/simulator/consumers/ 404",
        "/simulator/activations/ 404",
        "/simulator/deliveries/ 404",
    ]
    assert lines[4] == "/accounts/login/ 200"
