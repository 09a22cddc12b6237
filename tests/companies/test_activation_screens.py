"""Activation screens: the Activate dialog, the public terms page, the B2CSE page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from b2cportal.companies.models import NorwayB2CActivation, SwedenB2CActivation
from tests.factories import make_register_entry

pytestmark = pytest.mark.django_db


def _token(message) -> str:
    return re.search(r"/settings/terms/([^/\s]+)/", message.body).group(1)


def _activate(client, django_capture_on_commit_callbacks, **extra):
    data = {"signer_name": "Kari Nordmann", "signer_email": "kari@example.no", **extra}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("companies:b2cno_activate"), data)


def test_activate_dialog_sends_the_email(client, admin_no, django_capture_on_commit_callbacks):
    client.force_login(admin_no)
    response = _activate(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    page = client.get(reverse("companies:autoinvoice")).content.decode()
    assert "Awaiting acceptance of the terms of service" in page
    assert "kari@example.no" in page


def test_activate_dialog_with_bad_bban_reopens_with_the_error(
    client, admin_no, django_capture_on_commit_callbacks
):
    client.force_login(admin_no)
    response = _activate(
        client,
        django_capture_on_commit_callbacks,
        use_agreement_capture="on",
        capture_bban="86011117948",
        capture_kid_length="12",
        capture_customer_number_start="1",
        capture_customer_number_end="5",
    )
    assert response.status_code == 400
    assert "The check digit is wrong." in response.context["activation_form"].errors["capture_bban"]
    assert response.context["show_activation_modal"]
    assert not mail.outbox
    assert not NorwayB2CActivation.objects.exists()


def test_activate_dialog_kid_positions_outside_length(
    client, admin_no, django_capture_on_commit_callbacks
):
    client.force_login(admin_no)
    response = _activate(
        client,
        django_capture_on_commit_callbacks,
        use_agreement_capture="on",
        capture_bban="86011117947",
        capture_kid_length="5",
        capture_customer_number_start="1",
        capture_customer_number_end="5",
    )
    assert response.status_code == 400
    errors = response.context["activation_form"].errors
    assert "within the KID length" in errors["capture_customer_number_end"][0]


def test_terms_page_is_public_and_accepting_twice_gets_a_clear_page(
    client, admin_no, django_capture_on_commit_callbacks
):
    client.force_login(admin_no)
    _activate(client, django_capture_on_commit_callbacks)
    client.logout()
    url = reverse("companies:terms", args=[_token(mail.outbox[0])])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Simulated" in page.content
    assert NorwayB2CActivation.objects.get().status == "awaiting_terms"  # GET changes nothing
    with django_capture_on_commit_callbacks() as queued:
        accepted = client.post(url)
    assert accepted.status_code == 200
    assert b'data-testid="terms-accepted"' in accepted.content
    # The answer did not wait for the network, and says so.
    assert b"being sent to AutoInvoice" in accepted.content
    assert NorwayB2CActivation.objects.get().status == "activating"
    client.force_login(admin_no)
    page = client.get(reverse("companies:autoinvoice")).content.decode()
    assert 'data-testid="b2cno-being-sent"' in page
    assert 'data-testid="refresh-status"' not in page
    status_url = reverse("companies:activation_status")
    assert client.get(status_url).json() == {"finished": False}
    for callback in queued:
        callback()  # the worker sends it
    assert client.get(status_url).json() == {"finished": True}
    history = client.get(reverse("companies:autoinvoice")).content.decode()
    assert 'data-testid="b2cno-being-sent"' not in history
    assert 'data-testid="b2cno-expected"' in history
    assert "Terms of service accepted" in history
    assert "Kari Nordmann &lt;kari@example.no&gt;" in history
    client.logout()
    again = client.post(url)
    assert again.status_code == 410
    assert b"already been used" in again.content
    assert client.get(url).status_code == 410


def test_expired_terms_link_gets_a_clear_page(client, admin_no, django_capture_on_commit_callbacks):
    client.force_login(admin_no)
    _activate(client, django_capture_on_commit_callbacks)
    url = reverse("companies:terms", args=[_token(mail.outbox[0])])
    with time_machine.travel(timedelta(days=8)):
        response = client.post(url)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert NorwayB2CActivation.objects.get().status == "awaiting_terms"


def test_garbage_terms_link_is_400_not_500(client):
    response = client.get(reverse("companies:terms", args=["nonsense:abc:def"]))
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_active_service_shows_disabled_button_and_support_note(
    client, admin_no, settings, django_capture_on_commit_callbacks
):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    client.force_login(admin_no)
    _activate(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("companies:terms", args=[_token(mail.outbox[0])]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("companies:refresh_activation"))
    page = client.get(reverse("companies:autoinvoice")).content.decode()
    assert re.search(r"<button[^>]*disabled[^>]*b2cno-active-button", page)
    assert "The service is active" in page
    assert "contact the AutoInvoice support" in page
    assert "Visma" not in page  # the seed's wording speaks of this product
    assert 'data-testid="b2cno-activate"' not in page


def test_deactivate_from_the_screen(client, admin_no, settings, django_capture_on_commit_callbacks):
    settings.SIMULATED_ACTIVATION_DELAY_SECONDS = 0
    client.force_login(admin_no)
    _activate(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("companies:terms", args=[_token(mail.outbox[0])]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("companies:refresh_activation"))
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("companies:b2cno_deactivate"), follow=True)
    # The click answers at once; the network is asked after it, and the page says so.
    page = response.content.decode()
    assert "The deactivation is being sent to AutoInvoice" in page
    assert 'data-testid="b2cno-deactivate"' not in page
    assert client.get(reverse("companies:activation_status")).json() == {"finished": False}
    for callback in queued:
        callback()
    assert client.get(reverse("companies:activation_status")).json() == {"finished": True}
    assert NorwayB2CActivation.objects.get().status == "deactivated"


def test_b2cse_page_only_for_swedish_companies(client, admin_no):
    client.force_login(admin_no)
    assert client.get(reverse("companies:b2cse")).status_code == 404


def test_b2cse_name_mismatch_is_shown(
    client, admin_se, company_se, django_capture_on_commit_callbacks
):
    make_register_entry(company=company_se, name="Svea Handel Aktiebolag")
    client.force_login(admin_se)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("companies:b2cse"), {"account_type": "bankgiro", "account_number": "5050-1055"}
        )
    assert response.status_code == 302
    # Checked after the click: the page shows the refusal, the way to fix it and the details.
    page = client.get(reverse("companies:b2cse")).content.decode()
    assert "Registered name: Svea Handel Aktiebolag, company name: Svea Handel AB" in page
    assert 'data-testid="correct-company-name"' in page
    assert 'value="50501055"' in page
    assert not SwedenB2CActivation.objects.exclude(status="not_activated").exists()


def test_b2cse_submit_then_active_page(
    client, admin_se, company_se, settings, django_capture_on_commit_callbacks
):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    make_register_entry(company=company_se)
    client.force_login(admin_se)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("companies:b2cse"), {"account_type": "bankgiro", "account_number": "5050-1055"}
        )
    assert response.status_code == 302
    page = client.get(reverse("companies:b2cse")).content.decode()
    assert "The activation is being sent to Maventa" in page
    assert "AutoInvoice" not in page
    assert 'data-testid="b2cse-submit"' not in page
    card = client.get(reverse("companies:autoinvoice")).content.decode()
    assert 'data-testid="b2cse-card-being-sent"' in card
    for callback in queued:
        callback()
    assert b"up to one week" in client.get(reverse("companies:b2cse")).content
    with django_capture_on_commit_callbacks() as queued:
        client.post(reverse("companies:refresh_activation"), {"next_view": "companies:b2cse"})
    assert "Asking Maventa about the activation" in (
        client.get(reverse("companies:b2cse")).content.decode()
    )
    for callback in queued:
        callback()
    page = client.get(reverse("companies:b2cse")).content.decode()
    activation = SwedenB2CActivation.objects.get()
    assert activation.fui in page
    assert activation.onboarding_url in page
    response = client.post(
        reverse("companies:b2cse_add_account"),
        {"account_type": "plusgiro", "account_number": "44985-1"},
    )
    assert response.status_code == 400
    assert "check digit" in response.content.decode()


@pytest.mark.parametrize("role", ["accountant_se", "support_se"])
def test_b2cse_read_only_for_others(client, request, role):
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("companies:b2cse")).content.decode()
    assert 'data-testid="b2cse-submit"' not in page
    data = {"account_type": "bankgiro", "account_number": "5050-1055"}
    assert client.post(reverse("companies:b2cse"), data).status_code == 403
    assert client.post(reverse("companies:b2cse_add_account"), data).status_code == 403


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"signer_email": "not-an-email"}, "signer_email", "valid email"),
        ({"signer_name": ""}, "signer_name", "required"),
        ({"use_agreement_capture": "on", "capture_bban": ""}, "capture_bban", "Enter the bank"),
        ({"use_agreement_capture": "on", "capture_bban": "86011117948"}, "capture_bban", "check"),
        (
            {"use_agreement_capture": "on", "capture_bban": "8601111794"},
            "capture_bban",
            "11 digits",
        ),
        (
            {"use_agreement_capture": "on", "capture_customer_number_end": "12"},
            "capture_customer_number_end",
            "at most 11",
        ),
        (
            {"use_agreement_capture": "on", "capture_kid_length": "26"},
            "capture_kid_length",
            "between 2 and 25",
        ),
    ],
)
def test_activation_dialog_validation_table(data, field, message):
    from b2cportal.companies.forms import NorwayActivationForm

    base = {
        "signer_name": "Kari Nordmann",
        "signer_email": "kari@example.no",
        "capture_bban": "86011117947",
        "capture_kid_length": "12",
        "capture_customer_number_start": "1",
        "capture_customer_number_end": "5",
    }
    form = NorwayActivationForm(data={**base, **data})
    assert not form.is_valid()
    assert message.lower() in " ".join(form.errors[field]).lower()


def test_activation_dialog_ignores_capture_fields_when_unchecked():
    from b2cportal.companies.forms import NorwayActivationForm

    form = NorwayActivationForm(
        data={"signer_name": "Kari", "signer_email": "kari@example.no", "capture_bban": "123"}
    )
    assert form.is_valid(), form.errors


def test_b2cse_account_type_defaults_to_bankgiro(client, admin_se):
    client.force_login(admin_se)
    page = client.get(reverse("companies:b2cse")).content.decode()

    checked = re.search(r'<input[^>]*name="account_type"[^>]*value="bankgiro"[^>]*>', page)
    assert checked is not None
    assert "checked" in checked.group(0)


def test_b2cse_reports_a_wrong_check_digit_with_the_other_errors_in_one_submit(client, admin_se):
    client.force_login(admin_se)
    # No account type chosen, a bad Bankgiro/PlusGiro check digit and a bad agreement ID.
    response = client.post(
        reverse("companies:b2cse"), {"account_number": "5050-1056", "agreement_id": "123"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"account_type", "account_number", "agreement_id"}
    response = client.post(
        reverse("companies:b2cse"),
        {"account_type": "bankgiro", "account_number": "5050-1056", "agreement_id": "123"},
    )
    assert set(response.context["form"].errors) >= {"account_number", "agreement_id"}


# --- Sentences around dates, giro numbers, Norwegian-only Altinn ---------------------------------


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
def test_no_double_full_stop_after_a_date_in_any_language(
    client, admin_no, admin_se, company_se, django_capture_on_commit_callbacks, language
):
    # 02:47 renders as "2:47 a.m." in English: a sentence ending there used to show "a.m..".
    with time_machine.travel("2026-11-21 02:47:00+01:00", tick=False):
        client.force_login(admin_no)
        _activate(client, django_capture_on_commit_callbacks)
        make_register_entry(company=company_se)
        client.force_login(admin_se)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("companies:b2cse"),
                {"account_type": "bankgiro", "account_number": "5050-1055"},
            )
    client.force_login(admin_no)
    page = client.get(
        reverse("companies:autoinvoice"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert "Kari Nordmann (kari@example.no)" in page
    assert ".." not in page
    client.force_login(admin_se)
    page = client.get(reverse("companies:b2cse"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-testid="b2cse-pending"' in page
    assert ".." not in page


def test_giro_numbers_are_shown_formatted_on_the_b2cse_screen(
    client, admin_se, company_se, settings, django_capture_on_commit_callbacks
):
    settings.SIMULATED_B2CSE_ACTIVATION_DELAY_SECONDS = 0
    make_register_entry(company=company_se)
    client.force_login(admin_se)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("companies:b2cse"), {"account_type": "bankgiro", "account_number": "50501055"}
        )
    page = client.get(reverse("companies:b2cse")).content.decode()
    assert "Bankgiro 5050-1055" in page
    assert "50501055" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("companies:refresh_activation"), {"next_view": "companies:b2cse"})
    with django_capture_on_commit_callbacks() as queued:
        client.post(
            reverse("companies:b2cse_add_account"),
            {"account_type": "plusgiro", "account_number": "9020033"},
        )
    page = client.get(reverse("companies:b2cse")).content.decode()
    being_added = page[page.index('data-testid="b2cse-account-being-added"') :]
    assert "PlusGiro 902003-3: being added at Maventa" in being_added
    for callback in queued:
        callback()
    page = client.get(reverse("companies:b2cse")).content.decode()
    accounts = page[page.index('data-testid="b2cse-accounts"') :]
    assert "Bankgiro 5050-1055" in accounts
    assert "PlusGiro 902003-3" in accounts
    history = page[page.index('data-testid="history"') :]
    assert "5050-1055" in history
    assert "PlusGiro 902003-3" in history
    assert "50501055" not in page
    assert "9020033" not in page


def test_swedish_branches_have_no_altinn_column_or_link(client, admin_se, admin_no, company_se):
    client.force_login(admin_se)
    page = client.get(reverse("companies:branches")).content.decode()
    branch = company_se.branches.get()
    assert "RF-1301" not in page
    assert reverse("companies:branch_altinn", args=[branch.pk]) not in page
    assert client.get(reverse("companies:branch_altinn", args=[branch.pk])).status_code == 404
    client.force_login(admin_no)
    page = client.get(reverse("companies:branches")).content.decode()
    assert "RF-1301" in page
