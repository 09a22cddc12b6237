"""B2CSE (Sweden): submit, register check, polling until active, receiving accounts."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
import time_machine
from django.test import TestCase
from django.urls import resolve

from b2cportal.audit.models import AuditEntry
from b2cportal.companies import selectors, services
from b2cportal.companies.forms import ReceivingAccountForm, SwedenActivationForm
from b2cportal.companies.models import (
    SwedenActivationStatus,
    SwedenB2CActivation,
    SwedenReceivingAccount,
)
from b2cportal.companies.services import CompanyError
from simulator.models import ActivationRequest
from tests.factories import make_branch, make_company, make_register_entry

pytestmark = pytest.mark.django_db

FUI = "005560169095.00002222222.FSPA.SE"


@pytest.fixture
def branch(company_se):
    make_register_entry(company=company_se)
    return company_se.branches.get()


def _submit(branch, user, **overrides):
    """*Activate*, then the queued task (on commit) that talks to the network."""
    kwargs = {"account_type": "bankgiro", "account_number": "5050-1055"}
    kwargs.update(overrides)
    with TestCase.captureOnCommitCallbacks(execute=True):
        activation = services.submit_sweden_activation(branch=branch, acting_user=user, **kwargs)
    return SwedenB2CActivation.objects.get(pk=activation.pk)


def _add_account(branch, user, account_type, account_number):
    with TestCase.captureOnCommitCallbacks(execute=True):
        reserved = services.add_receiving_account(
            branch=branch,
            acting_user=user,
            account_type=account_type,
            account_number=account_number,
        )
    return SwedenReceivingAccount.objects.filter(pk=reserved.pk).first()


def _make_active(branch, user, settings, **overrides):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    activation = _submit(branch, user, **overrides)
    return services.poll_activation_status(activation=activation)


def test_submit_sends_the_activation_and_waits_for_the_network(branch, admin_se, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 3600
    activation = _submit(branch, admin_se)
    assert activation.status == SwedenActivationStatus.PENDING
    assert activation.account_number == "50501055"
    request = ActivationRequest.objects.get(reference=activation.network_reference)
    assert request.service == "b2cse"
    assert request.payload["company_name"] == "Svea Handel AB"
    # Sent by the task, recorded as the administrator's click.
    assert AuditEntry.objects.get(action="b2cse.submitted").actor_user == admin_se
    services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == SwedenActivationStatus.PENDING
    with time_machine.travel(timedelta(hours=1, seconds=1)):
        services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == SwedenActivationStatus.ACTIVE
    assert AuditEntry.objects.filter(action="b2cse.active").count() == 1


def test_network_generates_fui_and_agreement_id_when_not_given(branch, admin_se, settings):
    activation = _make_active(branch, admin_se, settings)
    assert activation.is_active
    orgnr12, agreement_id, bank_id, country = activation.fui.split(".")
    assert orgnr12 == "005560169095"
    assert agreement_id == activation.agreement_id
    assert len(agreement_id) == 11
    assert (bank_id, country) == ("BGC", "SE")
    # The onboarding page is a page of the simulated network that the app can serve.
    path = urlparse(activation.onboarding_url).path
    assert resolve(path).namespace in {"network", "simulator_consumers"}
    assert activation.fui in path or activation.network_reference in path
    assert selectors.b2cse_fui(branch=branch) == activation.fui
    assert selectors.is_b2c_active(branch=branch)


def test_given_fui_and_agreement_id_are_kept(branch, admin_se, settings):
    activation = _make_active(
        branch, admin_se, settings, fui=FUI.lower(), agreement_id="00002222222"
    )
    assert activation.fui == FUI
    assert activation.agreement_id == "00002222222"


def test_name_not_matching_the_register_is_refused_with_both_names(company_se, admin_se):
    make_register_entry(company=company_se, name="Svea Handel Aktiebolag")
    activation = _submit(company_se.branches.get(), admin_se)
    # Checked by the task after the click: the refusal waits on the page, form details kept.
    assert activation.refused_field == "company_name"
    assert not activation.is_being_sent
    assert "Registered name: Svea Handel Aktiebolag, company name: Svea Handel AB" in (
        activation.error
    )
    assert activation.pending_submission["fields"]["account_number"] == "50501055"
    assert not ActivationRequest.objects.exists()
    assert not SwedenB2CActivation.objects.exclude(status="not_activated").exists()


def test_company_missing_from_the_register_is_refused(company_se, admin_se):
    activation = _submit(company_se.branches.get(), admin_se)
    assert "not found in the national register" in activation.error


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"account_number": "5050-1056"}, "account_number", "check digit"),
        ({"account_number": "12345"}, "account_number", "7 or 8 digits"),
        ({"account_type": "plusgiro", "account_number": "449853"}, "account_number", "check digit"),
        ({"account_type": "plusgiro", "account_number": "123456789"}, "account_number", "2 to 8"),
        ({"fui": "005565475489.00002222222.FSPA.SE"}, "fui", "company's organisation number"),
        ({"fui": "005560169095.2222.FSPA.SE"}, "fui", "11 digits"),
        ({"fui": "005560169095.00002222222.FSPA.NO"}, "fui", "SE"),
        ({"fui": "005560169095.00002222222.TOOLONG.SE"}, "fui", "bank ID"),
        ({"fui": "not-an-fui"}, "fui", "four parts"),
        ({"agreement_id": "123"}, "agreement_id", "11 digits"),
        ({"fui": FUI, "agreement_id": "00003333333"}, "agreement_id", "same as the agreement"),
    ],
)
def test_bad_input_is_refused_naming_the_field(branch, admin_se, overrides, field, message):
    with pytest.raises(CompanyError, match=message) as excinfo:
        _submit(branch, admin_se, **overrides)
    assert excinfo.value.field == field
    assert not ActivationRequest.objects.exists()
    form = SwedenActivationForm(
        data={"account_type": "bankgiro", "account_number": "5050-1055", **overrides},
        company=branch.company,
    )
    assert not form.is_valid()
    assert field in form.errors
    assert message.lower() in " ".join(form.errors[field]).lower()


@pytest.mark.parametrize(
    ("account_type", "number", "canonical"),
    [
        ("bankgiro", "5050-1055", "50501055"),
        ("bankgiro", "1234-5674", "12345674"),
        ("plusgiro", "4 49 85-0", "449850"),
        ("plusgiro", "44982-7", "449827"),
    ],
)
def test_valid_accounts_are_accepted_in_canonical_form(account_type, number, canonical):
    form = ReceivingAccountForm(data={"account_type": account_type, "account_number": number})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["account_number"] == canonical


def test_double_submit_sends_one_activation(branch, admin_se, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 3600
    first = _submit(branch, admin_se)
    second = _submit(branch, admin_se, account_number="50501055")
    assert first.pk == second.pk
    assert ActivationRequest.objects.count() == 1
    assert AuditEntry.objects.filter(action="b2cse.submitted").count() == 1
    with pytest.raises(CompanyError, match="already in status “Activation pending”"):
        _submit(branch, admin_se, account_number="1234-5674")


def test_rejected_by_the_network_can_be_submitted_again(branch, admin_se, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    activation = _submit(branch, admin_se)
    # The register changed after our check: the network's own check rejects it.
    make_register_entry(company=branch.company, name="Other Name AB")
    activation = services.poll_activation_status(activation=activation)
    assert activation.status == SwedenActivationStatus.REJECTED
    assert "Bolagsverket" in activation.error
    make_register_entry(company=branch.company)
    again = _submit(branch, admin_se)
    assert again.status == SwedenActivationStatus.PENDING


def test_receiving_accounts_up_to_99_per_fui(branch, admin_se, settings):
    activation = _make_active(branch, admin_se, settings)
    added = _add_account(branch, admin_se, "plusgiro", "44985-0")
    assert added.account_number == "449850"
    assert added.confirmed
    assert AuditEntry.objects.filter(action="b2cse.account_added").count() == 1
    # Fill the FUI up to 99 (the activation's own account + 98 extra).
    SwedenReceivingAccount.objects.bulk_create(
        SwedenReceivingAccount(activation=activation, account_type="bankgiro", account_number=n)
        for n in (f"{i:07d}" for i in range(97))
    )
    assert services.accounts_under_fui(activation.fui) == 99
    with pytest.raises(CompanyError, match="already holds 99 accounts") as excinfo:
        services.add_receiving_account(
            branch=branch, acting_user=admin_se, account_type="bankgiro", account_number="1234-5674"
        )
    assert excinfo.value.field == "account_number"
    assert services.accounts_under_fui(activation.fui) == 99


def test_duplicate_account_is_refused(branch, admin_se, settings):
    _make_active(branch, admin_se, settings)
    with pytest.raises(CompanyError, match="already registered"):
        services.add_receiving_account(
            branch=branch, acting_user=admin_se, account_type="bankgiro", account_number="50501055"
        )


def test_accounts_only_once_active(branch, admin_se):
    with pytest.raises(CompanyError, match="once the B2CSE service is active"):
        services.add_receiving_account(
            branch=branch, acting_user=admin_se, account_type="bankgiro", account_number="50501055"
        )


def test_norwegian_company_cannot_use_b2cse(company_no, admin_no):
    with pytest.raises(CompanyError, match="only available for Swedish"):
        _submit(company_no.branches.get(), admin_no)


def test_active_b2c_branches_lists_only_active_ones(company_se, admin_se, settings):
    make_register_entry(company=company_se)
    main = company_se.branches.get()
    make_branch(company=company_se, branch_id="GBG", name="Göteborg")
    _make_active(main, admin_se, settings)
    assert list(selectors.active_b2c_branches(company=company_se)) == [main]
    other = make_company(country="SE")
    assert list(selectors.active_b2c_branches(company=other)) == []


def test_network_refusal_leaves_the_previous_state_intact(branch, admin_se, monkeypatch):
    from b2cportal.network.adapter import NetworkError
    from simulator.adapter.activation import SimulatedActivation

    def refuse(self, **kwargs):
        raise NetworkError("InConx is not answering")

    monkeypatch.setattr(SimulatedActivation, "submit_activation", refuse)
    _submit(branch, admin_se)
    activation = selectors.sweden_activation_of(branch=branch)
    assert "InConx is not answering" in activation.error
    assert not activation.is_being_sent
    assert activation.status == SwedenActivationStatus.NOT_ACTIVATED
    assert activation.account_number == ""
    assert not AuditEntry.objects.exists()


def test_poll_survives_an_unknown_reference(branch, admin_se, settings):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    broken = _submit(branch, admin_se)
    ActivationRequest.objects.all().delete()  # the network lost it: polling must not crash
    assert services.poll_pending_activations() == 1
    broken.refresh_from_db()
    assert broken.status == SwedenActivationStatus.PENDING


def test_active_b2cse_is_set_as_the_consumer_einvoice_service(branch, admin_se, settings):
    from b2cportal.companies.models import AutoInvoiceSettings

    _submit(branch, admin_se)
    assert not AutoInvoiceSettings.objects.filter(
        branch=branch, consumer_einvoice_service="b2cse"
    ).exists()
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    activation = SwedenB2CActivation.objects.get(branch=branch)
    with time_machine.travel(timedelta(days=8)):
        services.poll_activation_status(activation=activation)
    assert AutoInvoiceSettings.objects.get(branch=branch).consumer_einvoice_service == "b2cse"
    change = AuditEntry.objects.get(action="autoinvoice.updated")
    assert change.changes == [{"field": "consumer_einvoice_service", "old": "none", "new": "b2cse"}]


def test_rejected_b2cse_leaves_the_consumer_einvoice_service_alone(company_se, admin_se, settings):
    from b2cportal.companies.models import AutoInvoiceSettings

    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    entry = make_register_entry(company=company_se)
    branch = company_se.branches.get()
    activation = _submit(branch, admin_se)
    entry.name = "Someone Else AB"
    entry.save()
    activation = services.poll_activation_status(activation=activation)
    assert activation.status == SwedenActivationStatus.REJECTED
    assert not AutoInvoiceSettings.objects.filter(
        branch=branch, consumer_einvoice_service="b2cse"
    ).exists()
