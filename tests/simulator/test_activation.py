"""The simulated network's activation side and its simulator pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse

from b2cportal.audit.models import AuditEntry
from b2cportal.companies import services
from b2cportal.network.adapter import NetworkError, get_network
from simulator.models import ActivationRequest, RegisterEntry
from tests.factories import make_register_entry

pytestmark = pytest.mark.django_db


def test_register_name_answers_from_the_register():
    RegisterEntry.objects.create(country="SE", organisation_number="5560169095", name="Svea AB")
    network = get_network()
    assert network.register_name(country="SE", organisation_number="5560169095") == "Svea AB"
    assert network.register_name(country="NO", organisation_number="5560169095") is None


def test_norwegian_activation_completes_after_the_configured_delay(settings):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 30
    network = get_network()
    reference = network.submit_activation(
        service="b2cno", organisation_number="923609016", company_name="Fjordtech AS", payload={}
    )
    assert network.activation_status(reference).status == "pending"
    with time_machine.travel(timedelta(seconds=29)):
        assert network.activation_status(reference).status == "pending"
    with time_machine.travel(timedelta(seconds=31)):
        assert network.activation_status(reference).status == "active"


def test_swedish_activation_uses_its_own_delay(settings):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 600
    RegisterEntry.objects.create(country="SE", organisation_number="5560169095", name="Svea AB")
    network = get_network()
    reference = network.submit_activation(
        service="b2cse",
        organisation_number="5560169095",
        company_name="Svea AB",
        payload={"account": "bankgiro:50501055"},
    )
    assert network.activation_status(reference).status == "pending"
    network.complete_now(reference)
    state = network.activation_status(reference)
    assert state.status == "active"
    assert state.fui.startswith("005560169095.")
    assert state.accounts == ("bankgiro:50501055",)


def test_unknown_reference_is_a_network_error():
    with pytest.raises(NetworkError):
        get_network().activation_status(str(uuid.uuid4()))
    with pytest.raises(NetworkError):
        get_network().activation_status("not-a-uuid")


def test_complete_now_only_for_pending(settings):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    network = get_network()
    reference = network.submit_activation(
        service="b2cno", organisation_number="923609016", company_name="X", payload={}
    )
    network.activation_status(reference)
    with pytest.raises(NetworkError, match="Only a pending"):
        network.complete_now(reference)


# --- Simulator pages -----------------------------------------------------------------------


def _pending_b2cse(company, user, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 7 * 24 * 3600
    make_register_entry(company=company)
    with TestCase.captureOnCommitCallbacks(execute=True):  # *Activate*, then its task
        activation = services.submit_sweden_activation(
            branch=company.branches.get(),
            acting_user=user,
            account_type="bankgiro",
            account_number="5050-1055",
        )
    activation.refresh_from_db()
    return activation


def test_complete_now_button_completes_through_polling(
    client, admin_se, operator, company_se, settings, django_capture_on_commit_callbacks
):
    activation = _pending_b2cse(company_se, admin_se, settings)
    client.force_login(operator)
    page = client.get(reverse("simulator:activations")).content.decode()
    assert "Simulated" in page
    assert 'data-testid="complete-now"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("simulator:activation_complete", args=[activation.network_reference])
        )
    assert response.status_code == 302
    activation.refresh_from_db()
    assert activation.is_active  # learned through poll_activations, triggered after commit


def test_complete_now_polls_synchronously_so_the_redirect_shows_active(
    client, admin_se, operator, company_se, settings
):
    # No on-commit callbacks run here, and no Celery: the view itself must poll the activation.
    activation = _pending_b2cse(company_se, admin_se, settings)
    client.force_login(operator)
    response = client.post(
        reverse("simulator:activation_complete", args=[activation.network_reference]), follow=True
    )
    activation.refresh_from_db()
    assert activation.is_active
    assert ActivationRequest.objects.get().status == "active"
    page = response.content.decode()
    assert "the app polled it: active." in page
    assert AuditEntry.objects.filter(company=company_se, action="b2cse.active").exists()


@pytest.mark.parametrize("role", ["admin_se", "accountant_se", "support_se"])
def test_the_networks_activation_pages_are_for_simulator_operators_only(
    client, request, admin_se, company_se, settings, role
):
    activation = _pending_b2cse(company_se, admin_se, settings)
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("simulator:activations")).status_code == 403
    url = reverse("simulator:activation_complete", args=[activation.network_reference])
    assert client.post(url).status_code == 403
    assert client.post(reverse("simulator:register_name"), {"name": "X"}).status_code == 403


def test_anonymous_gets_the_login_page_and_unknown_references_are_404(
    client, admin_se, operator, company_se, settings
):
    activation = _pending_b2cse(company_se, admin_se, settings)
    url = reverse("simulator:activation_complete", args=[activation.network_reference])
    assert client.post(url).status_code == 302
    assert client.get(reverse("simulator:activations")).status_code == 302
    client.force_login(operator)
    unknown = reverse("simulator:activation_complete", args=[uuid.uuid4()])
    assert client.post(unknown).status_code == 404
    assert client.get(url).status_code == 405
    assert ActivationRequest.objects.get().status == "pending"


def test_register_name_can_be_fixed_for_demos(client, operator, company_se):
    make_register_entry(company=company_se, name="Wrong AB")
    client.force_login(operator)
    url = reverse("simulator:register_name")
    data = {"country": "SE", "organisation_number": "5560169095", "name": "Svea Handel AB"}
    client.post(url, data)
    assert RegisterEntry.objects.get().name == "Svea Handel AB"
    response = client.post(url, {**data, "organisation_number": "12"}, follow=True)
    assert "Enter 9 (Norway) or 10 (Sweden) digits." in response.content.decode()
    assert RegisterEntry.objects.count() == 1


def test_the_same_idempotency_key_is_the_same_activation(settings):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    network = get_network()
    key = str(uuid.uuid4())
    kwargs = {
        "service": "b2cno",
        "organisation_number": "923609016",
        "company_name": "Fjordtech AS",
        "payload": {},
    }
    first = network.submit_activation(**kwargs, idempotency_key=key)
    again = network.submit_activation(**kwargs, idempotency_key=key)
    assert first == again == key
    assert ActivationRequest.objects.count() == 1
    other = network.submit_activation(**kwargs, idempotency_key=str(uuid.uuid4()))
    assert other != first
    with pytest.raises(NetworkError):
        network.submit_activation(**kwargs, idempotency_key="not-a-uuid")


def test_deactivating_twice_is_harmless(settings):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    network = get_network()
    reference = network.submit_activation(
        service="b2cno", organisation_number="923609016", company_name="Fjordtech AS", payload={}
    )
    assert network.activation_status(reference).status == "active"
    network.deactivate(reference)
    network.deactivate(reference)  # a retry after a crash between the call and our record
    assert network.activation_status(reference).status == "deactivated"
