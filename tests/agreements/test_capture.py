"""Agreement capture: a KID payment to the capture account invites the payer."""

import pytest
from stdnum import luhn

from agreements.models import AgreementRequest, ConsumerAgreement
from b2cportal.identifiers import customer_number_from_kid, is_valid_kid

from .conftest import CAPTURE_BBAN, activate_norway, post_event, set_prefs

pytestmark = pytest.mark.django_db


def mod10_kid(body: str) -> str:
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def capture_branch(main_branch):
    activate_norway(main_branch, use_agreement_capture=True, capture_bban=CAPTURE_BBAN)
    return main_branch


def payment(kid, **overrides):
    data = {
        "event_id": f"pay-{kid}",
        "type": "capture_payment",
        "account": CAPTURE_BBAN,
        "kid": kid,
        "amount": "250.00",
        "payer_name": "Kari Nordmann",
    }
    data.update(overrides)
    return data


def test_capture_uses_the_configured_positions_of_a_valid_kid():
    kid = mod10_kid("10001000004")
    assert is_valid_kid(kid, "mod10")
    assert customer_number_from_kid(kid, start=1, end=5) == "10001"
    assert customer_number_from_kid("000420000048", start=1, end=5) == "42"


def test_payment_invites_and_acceptance_creates_capture_agreement(
    client, customer_no, capture_branch
):
    kid = mod10_kid("10001000004")
    response = post_event(client, payment(kid))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "REQUEST_SENT"
    assert "/simulator/consumers/bank/" in body["link"]
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.customer, agreement.source) == (customer_no, "agreement_capture")
    invitation = AgreementRequest.objects.get()
    assert (invitation.channel, invitation.recipient) == ("online_bank", "Kari Nordmann")
    event = agreement.events.last()
    assert event.detail["kid"] == kid
    assert event.detail["customer_number"] == "10001"
    # The consumer accepts the invitation in the bank.
    for n, kind in enumerate(("accepted", "activated")):
        post_event(
            client,
            {
                "event_id": f"acc-{n}",
                "type": kind,
                "issuer": "923609016",
                "branch": "MAIN",
                "customer_reference": "10001",
                "source": "agreement_capture",
            },
        )
    agreement.refresh_from_db()
    assert (agreement.status, agreement.source) == ("ACTIVE", "agreement_capture")
    assert agreement.events.last().source == "agreement_capture"


def test_bad_check_digit_is_refused_clearly(client, customer_no, capture_branch):
    response = post_event(client, payment("100010000047"))
    assert response.status_code == 422
    assert "wrong check digit" in response.json()["error"]
    assert not ConsumerAgreement.objects.exists()


def test_wrong_length_is_refused(client, customer_no, capture_branch):
    response = post_event(client, payment(mod10_kid("1000100")))
    assert response.status_code == 422
    assert "expects 12" in response.json()["error"]


def test_configured_positions_and_mod11(client, company_no, customer_no, main_branch):
    activate_norway(
        main_branch,
        use_agreement_capture=True,
        capture_bban=CAPTURE_BBAN,
        capture_kid_length=10,
        capture_customer_number_start=4,
        capture_customer_number_end=8,
    )
    set_prefs(company_no, kid_algorithm="mod11")
    # Customer number 10001 at positions 4-8; MOD11 sum leaves remainder 0 -> check digit 0.
    kid = "999100014" + "0"
    assert is_valid_kid(kid, "mod11")
    assert not is_valid_kid(kid, "mod10")
    response = post_event(client, payment(kid))
    assert response.status_code == 200, response.json()
    assert ConsumerAgreement.objects.get().customer == customer_no


def test_unknown_customer_number_in_kid(client, customer_no, capture_branch):
    response = post_event(client, payment(mod10_kid("55555000004")))
    assert response.status_code == 404
    assert "55555" in response.json()["error"]


def test_account_without_capture_is_refused(client, customer_no, main_branch):
    response = post_event(client, payment(mod10_kid("10001000004")))
    assert response.status_code == 404
    assert "agreement capture" in response.json()["error"]


def test_payment_from_customer_with_active_agreement_invites_nobody(
    client, customer_no, capture_branch
):
    from .conftest import make_agreement

    make_agreement(customer=customer_no, branch=capture_branch, status="ACTIVE")
    response = post_event(client, payment(mod10_kid("10001000004")))
    assert response.json()["result"] == "ignored"
    assert not AgreementRequest.objects.exists()
