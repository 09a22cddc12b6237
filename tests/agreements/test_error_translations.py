"""Errors shown to people (consumer pages, the customer tab, support) are in their language."""

import pytest
from django.urls import reverse
from django.utils import translation

from agreements import services
from agreements.models import AgreementRequest
from agreements.services.requests import OUTCOME_UNKNOWN, SEND_FAILED, SENDING_TIMED_OUT
from tests.simulator.test_consumers import bank_link

from .conftest import CAPTURE_BBAN, activate_norway, make_agreement

pytestmark = pytest.mark.django_db


def _capture_payment(kid):
    return {
        "event_id": f"pay-{kid}",
        "type": "capture_payment",
        "account": CAPTURE_BBAN,
        "kid": kid,
        "amount": "250.00",
        "payer_name": "Kari Nordmann",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "has a wrong check digit"),
        ("nb", "har feil kontrollsiffer"),
        ("sv", "har fel kontrollsiffra"),
    ],
)
def test_capture_refusal_is_translated(customer_no, main_branch, language, expected):
    activate_norway(main_branch, use_agreement_capture=True, capture_bban=CAPTURE_BBAN)
    with translation.override(language), pytest.raises(services.AgreementError) as refused:
        services.apply_inbound_event(event=_capture_payment("100010000041"))
    assert expected in str(refused.value)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", b"Ukjent kunde (referanse 424242)"), ("sv", b"Ok\xc3\xa4nd kund (referens 424242)")],
)
def test_bank_page_refusal_is_in_the_consumers_language(
    client, admin_no, customer_no, main_branch, language, expected
):
    client.force_login(admin_no)
    response = client.post(
        bank_link(customer_reference="424242"),
        {"action": "accept"},
        headers={"Accept-Language": language},
    )
    assert expected in response.content


@pytest.mark.parametrize("message", [SEND_FAILED, OUTCOME_UNKNOWN, SENDING_TIMED_OUT])
def test_stored_error_ids_have_translations(message):
    for language in ("nb", "sv"):
        with translation.override(language):
            assert translation.gettext(message) != message


def test_customer_tab_shows_stored_errors_in_the_readers_language(
    client, support_no, customer_no, main_branch
):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ERROR")
    AgreementRequest.objects.create(
        agreement=agreement,
        channel="sms",
        recipient="+4791234567",
        status="failed",
        error=SEND_FAILED,
    )
    agreement.events.create(
        from_status="REQUEST_SENT",
        to_status="ERROR",
        source="network",
        detail={"error": SENDING_TIMED_OUT},
    )
    client.force_login(support_no)
    url = reverse("agreements:customer", args=[customer_no.pk])
    html = client.get(url, headers={"Accept-Language": "nb"}).content.decode()
    assert "Sendingen mislyktes: nettverket tok ikke imot meldingen" in html
    assert "Sendingen fikk tidsavbrudd." in html
    html = client.get(url, headers={"Accept-Language": "sv"}).content.decode()
    assert "Sändningen misslyckades" in html
