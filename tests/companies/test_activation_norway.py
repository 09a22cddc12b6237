"""AutoInvoice B2C (Norway): every state transition of the activation, through the services."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from b2cportal.audit.models import AuditEntry
from b2cportal.companies import selectors, services
from b2cportal.companies.models import NorwayActivationStatus, NorwayB2CActivation
from b2cportal.companies.services import CompanyError, TermsLinkError
from simulator.models import ActivationRequest, ActivationRequestStatus

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
VALID_BBAN = "86011117947"


@pytest.fixture
def branch(company_no):
    return company_no.branches.get()


def _request(branch, user, **overrides):
    kwargs = {"signer_name": "Kari Nordmann", "signer_email": "kari@example.no", "language": "en"}
    kwargs.update(overrides)
    return services.request_norway_activation(branch=branch, acting_user=user, **kwargs)


def _token_from_mail(message) -> str:
    match = re.search(r"/settings/terms/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def _activate_until_accepted(branch, user, capture):
    """Request, accept, and run what the acceptance queued (the submission to the network)."""
    with capture(execute=True):
        _request(branch, user)
    with capture(execute=True):
        activation = services.accept_terms(token=_token_from_mail(mail.outbox[-1]))
    activation.refresh_from_db()
    return activation


def test_activate_sends_one_terms_email_with_a_one_time_link(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        activation = _request(branch, admin_no)
    assert activation.status == NorwayActivationStatus.AWAITING_TERMS
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kari@example.no"]
    assert "terms of service" in message.subject
    assert message.alternatives
    assert "text/html" in message.alternatives[0][1]
    assert services.read_terms_link(_token_from_mail(message)).pk == activation.pk
    change = AuditEntry.objects.get(action="b2cno.terms_sent")
    assert change.actor_user == admin_no
    assert {"field": "status", "old": "not_activated", "new": "awaiting_terms"} in change.changes


def test_terms_email_is_written_in_the_admins_language(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request(branch, admin_no, language="nb")
    assert "vilkår" in mail.outbox[0].subject.lower()


def test_double_submit_creates_one_activation_and_one_email(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _request(branch, admin_no)
        second = _request(branch, admin_no)
    assert first.pk == second.pk
    assert NorwayB2CActivation.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="b2cno.terms_sent").count() == 1


def test_new_details_replace_the_open_request_and_the_old_link(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request(branch, admin_no)
    old_token = _token_from_mail(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        _request(branch, admin_no, signer_email="ola@example.no")
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["ola@example.no"]
    with pytest.raises(TermsLinkError) as excinfo:
        services.read_terms_link(old_token)
    assert excinfo.value.reason == "used"


def test_accepting_the_terms_makes_the_service_activating_with_expected_date(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 3, 6, 10, 0, tzinfo=OSLO), tick=False):  # Friday
        activation = _activate_until_accepted(branch, admin_no, django_capture_on_commit_callbacks)
    assert activation.status == NorwayActivationStatus.ACTIVATING
    assert activation.expected_active_on == date(2026, 3, 9)  # Monday
    assert activation.network_reference
    request = ActivationRequest.objects.get(reference=activation.network_reference)
    assert request.service == "b2cno"
    assert request.organisation_number == branch.company.organisation_number
    accepted = AuditEntry.objects.get(action="b2cno.terms_accepted")
    assert accepted.actor_user is None
    # The date went in as a `Change` and is stored as ISO text.
    assert {"field": "expected_active_on", "old": None, "new": "2026-03-09"} in accepted.changes


@pytest.mark.parametrize(
    ("accepted_on", "expected"),
    [
        (datetime(2026, 4, 1, 15, 0), date(2026, 4, 7)),  # before Easter: Thu-Mon are holidays
        (datetime(2026, 4, 2, 9, 0), date(2026, 4, 7)),  # on Maundy Thursday
        (datetime(2026, 12, 24, 12, 0), date(2026, 12, 28)),  # Christmas Eve -> after 25/26
        (datetime(2026, 12, 23, 12, 0), date(2026, 12, 24)),  # Christmas Eve is a working day
        (datetime(2026, 12, 31, 12, 0), date(2027, 1, 4)),  # New Year's Day, then a weekend
        (datetime(2026, 5, 13, 12, 0), date(2026, 5, 15)),  # Ascension Day (14 May)
    ],
)
def test_expected_date_is_one_norwegian_working_day_later(
    branch, admin_no, django_capture_on_commit_callbacks, accepted_on, expected
):
    with time_machine.travel(accepted_on.replace(tzinfo=OSLO), tick=False):
        activation = _activate_until_accepted(branch, admin_no, django_capture_on_commit_callbacks)
    assert activation.expected_active_on == expected


def test_a_used_link_cannot_be_used_again(branch, admin_no, django_capture_on_commit_callbacks):
    activation = _activate_until_accepted(branch, admin_no, django_capture_on_commit_callbacks)
    token = _token_from_mail(mail.outbox[-1])
    with pytest.raises(TermsLinkError) as excinfo:
        services.accept_terms(token=token)
    assert excinfo.value.reason == "used"
    assert ActivationRequest.objects.count() == 1
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.ACTIVATING


def test_an_expired_link_is_refused_and_changes_nothing(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=OSLO), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _request(branch, admin_no)
    token = _token_from_mail(mail.outbox[0])
    with (
        time_machine.travel(datetime(2026, 3, 9, 9, 1, tzinfo=OSLO), tick=False),
        pytest.raises(TermsLinkError) as excinfo,
    ):
        services.accept_terms(token=token)
    assert excinfo.value.reason == "expired"
    assert NorwayB2CActivation.objects.get().status == NorwayActivationStatus.AWAITING_TERMS
    assert not ActivationRequest.objects.exists()


def test_a_tampered_link_is_invalid(branch, admin_no, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request(branch, admin_no)
    token = _token_from_mail(mail.outbox[0])
    with pytest.raises(TermsLinkError) as excinfo:
        services.read_terms_link(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert excinfo.value.reason == "invalid"


def test_poll_keeps_activating_until_the_network_confirms(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with override_settings(SIMULATED_ACTIVATION_DELAY_SECONDS=60):
        activation = _activate_until_accepted(branch, admin_no, django_capture_on_commit_callbacks)
    assert services.poll_pending_activations() == 1
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.ACTIVATING
    with time_machine.travel(timedelta(seconds=61)):
        services.poll_pending_activations()
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.ACTIVE
    assert activation.activated_at is not None
    assert selectors.is_b2c_active(branch=branch)
    assert list(selectors.active_b2c_branches(company=branch.company)) == [branch]
    assert AuditEntry.objects.filter(action="b2cno.active").count() == 1
    # A second poll has nothing left to ask.
    assert services.poll_pending_activations() == 0


def test_periodic_task_polls_through_the_network(
    branch, admin_no, django_capture_on_commit_callbacks, settings
):
    from b2cportal.companies.tasks import poll_activations

    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    activation = _activate_until_accepted(branch, admin_no, django_capture_on_commit_callbacks)
    assert "poll-activations" in settings.CELERY_BEAT_SCHEDULE
    poll_activations.delay()
    activation.refresh_from_db()
    assert activation.is_active


def _make_active(branch, user, capture, settings):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    activation = _activate_until_accepted(branch, user, capture)
    return services.poll_activation_status(activation=activation)


def test_deactivate_an_active_service(
    branch, admin_no, django_capture_on_commit_callbacks, settings
):
    activation = _make_active(branch, admin_no, django_capture_on_commit_callbacks, settings)
    assert activation.is_active
    with django_capture_on_commit_callbacks() as queued:
        services.deactivate_norway_service(branch=branch, acting_user=admin_no)
    # The click only records the request: still active, the network not yet asked.
    activation.refresh_from_db()
    assert activation.is_active
    assert activation.is_being_deactivated
    assert ActivationRequest.objects.get(reference=activation.network_reference).status != (
        ActivationRequestStatus.DEACTIVATED
    )
    for callback in queued:
        callback()
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.DEACTIVATED
    assert not activation.is_being_deactivated
    assert (
        ActivationRequest.objects.get(reference=activation.network_reference).status
        == ActivationRequestStatus.DEACTIVATED
    )
    assert not selectors.is_b2c_active(branch=branch)
    assert AuditEntry.objects.get(action="b2cno.deactivated").actor_user == admin_no


def test_only_an_active_service_can_be_deactivated(branch, admin_no):
    with pytest.raises(CompanyError, match="Only an active service"):
        services.deactivate_norway_service(branch=branch, acting_user=admin_no)


def test_cannot_activate_again_while_active(
    branch, admin_no, django_capture_on_commit_callbacks, settings
):
    _make_active(branch, admin_no, django_capture_on_commit_callbacks, settings)
    with pytest.raises(CompanyError, match="already in status “Active”"):
        _request(branch, admin_no, signer_email="new@example.no")


def test_can_activate_again_after_deactivation(
    branch, admin_no, django_capture_on_commit_callbacks, settings
):
    _make_active(branch, admin_no, django_capture_on_commit_callbacks, settings)
    with django_capture_on_commit_callbacks(execute=True):
        services.deactivate_norway_service(branch=branch, acting_user=admin_no)
    with django_capture_on_commit_callbacks(execute=True):
        activation = _request(branch, admin_no)
    assert activation.status == NorwayActivationStatus.AWAITING_TERMS


def test_agreement_capture_is_stored_and_sent_to_the_network(
    branch, admin_no, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request(
            branch,
            admin_no,
            use_agreement_capture=True,
            capture_bban="8601.11.17947",
            capture_kid_length=10,
            capture_customer_number_start=2,
            capture_customer_number_end=6,
        )
    with django_capture_on_commit_callbacks(execute=True):
        activation = services.accept_terms(token=_token_from_mail(mail.outbox[0]))
    assert activation.capture_bban == VALID_BBAN
    payload = ActivationRequest.objects.get().payload
    assert payload["agreement_capture"] == {
        "bban": VALID_BBAN,
        "kid_length": 10,
        "customer_number_start": 2,
        "customer_number_end": 6,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"capture_bban": "86011117948"}, "capture_bban", "check digit"),
        ({"capture_bban": "1234"}, "capture_bban", "11 digits"),
        ({"capture_customer_number_end": 12}, "capture_customer_number_end", "at most 11"),
        ({"capture_kid_length": 1}, "capture_kid_length", "between 2 and 25"),
        (
            {"capture_customer_number_start": 6, "capture_customer_number_end": 5},
            "capture_customer_number_start",
            "must not be after",
        ),
    ],
)
def test_bad_agreement_capture_is_refused_and_nothing_is_saved(
    branch, admin_no, overrides, field, message
):
    kwargs = {"use_agreement_capture": True, "capture_bban": VALID_BBAN, **overrides}
    with pytest.raises(CompanyError, match=message) as excinfo:
        _request(branch, admin_no, **kwargs)
    assert excinfo.value.field == field
    assert not NorwayB2CActivation.objects.exclude(
        status=NorwayActivationStatus.NOT_ACTIVATED
    ).exists()
    assert not AuditEntry.objects.exists()


def test_the_acceptance_does_not_wait_for_the_network_and_a_refusal_is_shown(
    branch, admin_no, django_capture_on_commit_callbacks, monkeypatch
):
    from b2cportal.network.adapter import NetworkError
    from simulator.adapter.activation import SimulatedActivation

    with django_capture_on_commit_callbacks(execute=True):
        _request(branch, admin_no)
    token = _token_from_mail(mail.outbox[0])

    def refuse(self, **kwargs):
        raise NetworkError("down for maintenance")

    monkeypatch.setattr(SimulatedActivation, "submit_activation", refuse)
    with django_capture_on_commit_callbacks() as queued:
        activation = services.accept_terms(token=token)
    # Recorded at once; the network is asked only after commit, by the queued task.
    assert activation.status == NorwayActivationStatus.ACTIVATING
    assert activation.is_being_sent
    assert len(queued) == 1
    queued[0]()
    activation.refresh_from_db()
    assert activation.status == NorwayActivationStatus.NOT_ACTIVATED
    assert "down for maintenance" in activation.error
    assert AuditEntry.objects.filter(action="b2cno.rejected").count() == 1
    with pytest.raises(TermsLinkError):
        services.read_terms_link(token)  # used: the administrator starts again
    with django_capture_on_commit_callbacks(execute=True):
        activation = _request(branch, admin_no)
    assert activation.status == NorwayActivationStatus.AWAITING_TERMS
    assert activation.error == ""


def test_stale_email_task_sends_nothing(branch, admin_no, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        activation = _request(branch, admin_no)
    nonce = activation.terms_nonce
    # A retried task for the same link must not mail it twice.
    assert not services.send_terms_email(activation_id=activation.pk, nonce=nonce, language="en")
    assert not services.send_terms_email(activation_id=activation.pk, nonce="old", language="en")
    assert len(mail.outbox) == 1


def test_resend_rotates_the_link(branch, admin_no, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request(branch, admin_no)
    first = _token_from_mail(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_terms_email(branch=branch, acting_user=admin_no, language="en")
    assert len(mail.outbox) == 2
    with pytest.raises(TermsLinkError):
        services.read_terms_link(first)
    assert services.read_terms_link(_token_from_mail(mail.outbox[1]))


def test_swedish_company_cannot_use_the_norwegian_service(company_se, admin_se):
    with pytest.raises(CompanyError, match="only available for Norwegian"):
        _request(company_se.branches.get(), admin_se)


def test_active_service_is_set_as_the_consumer_einvoice_service_and_cleared_on_deactivation(
    branch, admin_no, django_capture_on_commit_callbacks, settings
):
    from b2cportal.companies.models import AutoInvoiceSettings

    assert not AutoInvoiceSettings.objects.filter(
        branch=branch, consumer_einvoice_service="autoinvoice_b2c"
    ).exists()
    _make_active(branch, admin_no, django_capture_on_commit_callbacks, settings)
    row = AutoInvoiceSettings.objects.get(branch=branch)
    assert row.consumer_einvoice_service == "autoinvoice_b2c"
    change = AuditEntry.objects.get(action="autoinvoice.updated")
    assert change.actor_user is None  # the poll set it
    assert change.changes == [
        {"field": "consumer_einvoice_service", "old": "none", "new": "autoinvoice_b2c"}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.deactivate_norway_service(branch=branch, acting_user=admin_no)
    row.refresh_from_db()
    assert row.consumer_einvoice_service == "none"
    last = AuditEntry.objects.filter(action="autoinvoice.updated").order_by("-id").first()
    assert last.actor_user == admin_no
    assert last.changes[0]["new"] == "none"
