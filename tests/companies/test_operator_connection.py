"""Settings -> Operator connection: encrypted write-only key, roles, the test against the fake
operator (outside any transaction), the connect_operator command, the adapter's activations."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from b2cportal.audit.models import AuditEntry
from b2cportal.companies import credentials, services
from b2cportal.companies.models import OperatorConnection
from b2cportal.network.adapter import ActivationStatus, NotSupportedByNetwork, Service, get_network
from b2cportal.network.maventa.adapter import MaventaNetwork
from tests.network.operator_fixtures import connect

pytestmark = pytest.mark.django_db

UUID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def _post(client, **data):
    payload = {"environment": "testing", "company_uuid": UUID, "api_key": "s3cret-key"}
    payload.update(data)
    return client.post(reverse("companies:operator"), payload)


def test_admin_saves_the_connection_key_encrypted_and_never_shown(client, admin_no, company_no):
    client.force_login(admin_no)
    response = _post(client)
    assert response.status_code == 302
    row = OperatorConnection.objects.get(company=company_no)
    assert "s3cret-key" not in row.api_key_encrypted
    assert credentials.decrypt(row.api_key_encrypted) == "s3cret-key"
    assert len(row.webhook_token) >= 40
    page = client.get(reverse("companies:operator")).content.decode()
    assert "s3cret-key" not in page
    assert row.api_key_encrypted not in page
    assert "A key is stored" in page
    change = AuditEntry.objects.get(action="operator.saved")
    assert "s3cret-key" not in str(change.changes)


def test_blank_key_keeps_the_stored_one(client, admin_no, company_no):
    client.force_login(admin_no)
    _post(client)
    assert _post(client, api_key="", environment="production").status_code == 302
    row = OperatorConnection.objects.get(company=company_no)
    assert row.environment == "production"
    assert credentials.decrypt(row.api_key_encrypted) == "s3cret-key"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"company_uuid": "not-a-uuid"}, "company_uuid", "Enter the company UUID"),
        ({"api_key": ""}, "api_key", "Enter the user API key."),
        ({"api_key": "has space"}, "api_key", "An API key has no spaces."),
        ({"environment": "staging"}, "environment", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_field_error(client, admin_no, company_no, data, field, words):
    client.force_login(admin_no)
    response = _post(client, **data)
    assert response.status_code == 400
    assert words in response.context["form"].errors[field][0]
    assert not OperatorConnection.objects.exists()


def test_bad_input_in_norwegian(client, admin_no, company_no):
    client.force_login(admin_no)
    client.cookies["django_language"] = "nb"
    response = client.post(
        reverse("companies:operator"),
        {"environment": "testing", "company_uuid": UUID, "api_key": ""},
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert response.status_code == 400
    assert "Skriv inn brukerens API-nøkkel." in response.content.decode()


def test_others_read_only_and_post_refused(client, accountant_no, support_no, company_no):
    services.save_operator_connection(
        company=company_no,
        acting_user=None,
        environment="testing",
        company_uuid=UUID,
        api_key="k",
    )
    for user in (accountant_no, support_no):
        client.force_login(user)
        page = client.get(reverse("companies:operator"))
        assert page.status_code == 200
        assert b"operator-form" not in page.content
        assert b"Stored (hidden)" in page.content
        assert _post(client).status_code == 403
        assert client.post(reverse("companies:operator_test")).status_code == 403


def test_the_other_countrys_admin_sees_only_their_own(client, admin_se, company_no):
    services.save_operator_connection(
        company=company_no,
        acting_user=None,
        environment="testing",
        company_uuid=UUID,
        api_key="k",
    )
    client.force_login(admin_se)
    page = client.get(reverse("companies:operator")).content.decode()
    assert UUID not in page
    assert "B2CSE" in page
    assert "AutoInvoice B2C (eFaktura" not in page


def test_norwegian_page_explains_activation_with_this_operator(client, admin_no):
    client.force_login(admin_no)
    page = client.get(reverse("companies:operator")).content.decode()
    assert "cannot be switched on through the operator" in page
    assert "B2CSE" not in page


def test_connection_test_succeeds_and_subscribes_the_webhook(
    client, admin_no, company_no, operator_mode, no_operator_call_in_a_transaction
):
    operator_company = connect(company_no, operator_mode)
    client.force_login(admin_no)
    response = client.post(reverse("companies:operator_test"), follow=True)
    assert "Connected to the operator as Fjordtech AS (923609016)." in response.content.decode()
    row = OperatorConnection.objects.get(company=company_no)
    assert row.last_test_ok is True
    (subscription,) = operator_company.notifications
    assert subscription["destination"].endswith(f"/hooks/operator/{row.webhook_token}/")
    assert row.webhook_subscription_id == subscription["id"]
    # A second test does not subscribe again.
    client.post(reverse("companies:operator_test"))
    assert len(operator_company.notifications) == 1
    assert no_operator_call_in_a_transaction


def test_connection_test_shows_the_operators_refusal_in_words(
    client, admin_no, company_no, operator_mode, no_operator_call_in_a_transaction
):
    operator_mode.add_company(uuid=UUID, api_key="the-right-key")
    services.save_operator_connection(
        company=company_no,
        acting_user=None,
        environment="testing",
        company_uuid=UUID,
        api_key="a-wrong-key",
    )
    client.force_login(admin_no)
    page = client.post(reverse("companies:operator_test"), follow=True).content.decode()
    assert "The operator refused the connection" in page
    assert "Invalid client credentials" in page
    assert OperatorConnection.objects.get(company=company_no).last_test_ok is False


def test_connection_test_when_the_operator_is_down(
    client, admin_no, company_no, operator_mode, no_operator_call_in_a_transaction
):
    connect(company_no, operator_mode)
    operator_mode.go_down(30, retry_after="30")
    result = services.check_operator_connection(company=company_no, acting_user=admin_no)
    assert not result.ok
    assert "not available right now" in result.message
    assert "down for maintenance" in result.message


def test_undecryptable_key_is_reported_not_crashed(company_no, settings, operator_mode):
    connect(company_no, operator_mode)
    settings.OPERATOR_CREDENTIALS_KEY = Fernet.generate_key().decode()
    result = services.check_operator_connection(company=company_no, acting_user=None)
    assert not result.ok
    assert "OPERATOR_CREDENTIALS_KEY" in result.message


def test_key_rotation_reads_old_values(company_no, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OPERATOR_CREDENTIALS_KEY = old
    token = credentials.encrypt("k1")
    settings.OPERATOR_CREDENTIALS_KEY = f"{new},{old}"
    assert credentials.decrypt(token) == "k1"


def test_connect_operator_command(company_no, monkeypatch, operator_mode):
    operator_company = operator_mode.add_company(
        name=company_no.name, bid=company_no.organisation_number
    )
    monkeypatch.setattr("django.conf.settings.MAVENTA_API_KEY", operator_company.api_key)
    call_command(
        "connect_operator",
        "923 609 016",
        "--company-uuid",
        operator_company.uuid,
        "--environment",
        "production",
        "--test",
    )
    row = OperatorConnection.objects.get(company=company_no)
    assert row.environment == "production"
    assert row.last_test_ok is True


def test_connect_operator_refuses_without_key_or_company(company_no, monkeypatch):
    monkeypatch.setattr("django.conf.settings.MAVENTA_API_KEY", "")
    with pytest.raises(CommandError, match="MAVENTA_API_KEY"):
        call_command("connect_operator", "923609016", "--company-uuid", UUID)
    monkeypatch.setattr("django.conf.settings.MAVENTA_API_KEY", "k")
    with pytest.raises(CommandError, match="No company"):
        call_command("connect_operator", "111111111", "--company-uuid", UUID)
    with pytest.raises(CommandError, match="company UUID"):
        call_command("connect_operator", "923609016", "--company-uuid", "nope")


def test_adapter_per_company_and_its_activations(company_se, operator_mode):
    operator_company = connect(company_se, operator_mode)
    network = get_network(company_se)
    assert isinstance(network, MaventaNetwork)
    reference = network.submit_activation(
        service=Service.B2CSE,
        organisation_number=company_se.organisation_number,
        company_name=company_se.name,
        payload={"account_type": "bankgiro", "account_number": "5050-1055"},
    )
    assert operator_company.b2cse_agreement["account_number"] == "50501055"
    assert operator_company.b2cse_agreement["account_type"] == "BankGiro"
    state = network.activation_status(reference)
    assert state.status == ActivationStatus.PENDING
    operator_company.b2cse_status = "AWAITING_BANK_SIGNATURE"
    state = network.activation_status(reference)
    assert state.status == ActivationStatus.UNKNOWN
    assert state.raw_status == "AWAITING_BANK_SIGNATURE"
    operator_company.b2cse_status = "ACTIVE"
    assert network.activation_status(reference).status == ActivationStatus.ACTIVE
    with pytest.raises(NotSupportedByNetwork, match="cannot add receiving accounts"):
        network.add_receiving_account(reference, account_type="bankgiro", account_number="1")
    with pytest.raises(NotSupportedByNetwork):
        network.lookup_fmi(["198112189876"])
    with pytest.raises(NotSupportedByNetwork):
        network.lookup_mailboxes(["198112189876"])


def test_norway_service_state_and_consumer_lookups(company_no, operator_mode):
    operator_company = connect(company_no, operator_mode)
    network = get_network(company_no)
    reference = network.submit_activation(
        service=Service.B2CNO,
        organisation_number=company_no.organisation_number,
        company_name=company_no.name,
        payload={},
    )
    assert network.activation_status(reference).status == ActivationStatus.PENDING
    operator_company.b2cno_status = "ACTIVE"
    assert network.activation_status(reference).status == ActivationStatus.ACTIVE
    operator_company.b2cno_status = "FAULT"
    state = network.activation_status(reference)
    assert (state.status, state.raw_status) == (ActivationStatus.REJECTED, "FAULT")
    operator_mode.consumers["15076500565"] = "RECEIVING"
    found = network.find_efaktura_receiver(
        issuer_organisation_number=company_no.organisation_number, national_id="15076500565"
    )
    assert found.matched_on == ("national_id",)
    assert (
        network.find_efaktura_receiver(
            issuer_organisation_number=company_no.organisation_number,
            national_id="01010750160",
        )
        is None
    )
    operator_company.b2cno_consumers = [{"name": "Kari", "status": "ACTIVE"}]
    assert network.b2cno_consumers(statuses=["ACTIVE"]) == [{"name": "Kari", "status": "ACTIVE"}]
    operator_mode.peppol_receivers.add("0192:974760673")
    assert network.lookup_participants(["974760673", "999999999"]) == {"974760673": {"peppol"}}
    assert network.lookup_peppol_receiver("0192:974760673")
    with pytest.raises(NotSupportedByNetwork, match="cannot switch a service off"):
        network.deactivate(reference)


def test_without_a_connection_the_adapter_says_so(company_no, operator_mode):
    from b2cportal.network.adapter import NetworkError

    with pytest.raises(NetworkError, match="Operator connection"):
        get_network(company_no)


def test_swedish_activation_through_the_operator_end_to_end(company_se, admin_se, operator_mode):
    """Settings -> B2CSE activation on the operator: POST, then polling reads the agreement."""
    from b2cportal.companies.models import SwedenActivationStatus

    operator_company = connect(company_se, operator_mode)
    with TestCase.captureOnCommitCallbacks(execute=True):  # *Activate*, then its task
        activation = services.submit_sweden_activation(
            branch=company_se.branches.first(),
            acting_user=admin_se,
            account_type="bankgiro",
            account_number="5050-1055",
        )
    activation.refresh_from_db()
    assert activation.status == SwedenActivationStatus.PENDING
    assert operator_company.b2cse_agreement["account_type"] == "BankGiro"
    operator_company.b2cse_status = "SOMETHING_THE_DOCS_NEVER_NAMED"
    services.poll_pending_activations()  # an unknown word: still pending, nothing breaks
    services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == SwedenActivationStatus.PENDING
    # ... and shown as it came, once, in the activation's history.
    (reported,) = AuditEntry.objects.filter(action="b2cse.network_status_unknown")
    assert reported.changes[0]["new"] == "SOMETHING_THE_DOCS_NEVER_NAMED"
    operator_company.b2cse_status = "ACTIVE"
    operator_company.b2cse_agreement.update(fui="005560169095.00002222222.FSPA.SE")
    operator_company.b2cse_agreement.update(agreement_id="00002222222")
    services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == SwedenActivationStatus.ACTIVE
    assert activation.fui == "005560169095.00002222222.FSPA.SE"


def test_norwegian_activation_through_the_operator_end_to_end(company_no, admin_no, operator_mode):
    """No REST activation: accepting the terms records it; polling reads GET /v1/services/b2cno."""
    from b2cportal.companies.models import NorwayActivationStatus

    operator_company = connect(company_no, operator_mode)
    activation = services.request_norway_activation(
        branch=company_no.branches.first(),
        acting_user=admin_no,
        signer_name="Kari Nordmann",
        signer_email="kari@example.no",
    )
    activation = services.accept_terms(token=services.terms_token(activation))
    assert activation.status == NorwayActivationStatus.ACTIVATING
    services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.ACTIVATING  # FREE: not yet
    operator_company.b2cno_status = "ACTIVE"
    services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.ACTIVE


def test_unknown_b2cse_status_is_shown_on_the_activation_screen(
    client, company_se, admin_se, operator_mode
):
    """A word the operator's document never names: shown where the status is, never a crash."""
    operator_company = connect(company_se, operator_mode)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.submit_sweden_activation(
            branch=company_se.branches.first(),
            acting_user=admin_se,
            account_type="bankgiro",
            account_number="5050-1055",
        )
    operator_company.b2cse_status = "<b>AWAITING_BANK</b>"
    services.poll_pending_activations()
    client.force_login(admin_se)
    page = client.get(reverse("companies:b2cse"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Okänd status från operatören: &lt;b&gt;AWAITING_BANK&lt;/b&gt;" in page
    operator_company.b2cse_status = "PENDING"  # a word we know: the line goes away
    services.poll_pending_activations()
    page = client.get(reverse("companies:b2cse")).content.decode()
    assert 'data-testid="b2cse-unknown-status"' not in page
    assert 'data-testid="b2cse-pending"' in page
