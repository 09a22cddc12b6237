"""Agreement capture: a KID payment to the capture account invites the payer."""

import pytest
from stdnum import luhn

from agreements import services
from agreements.models import AgreementRequest, ConsumerAgreement

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


def test_kid_check_digits():
    assert services.kid_is_valid("100010000048", "mod10")
    assert not services.kid_is_valid("100010000047", "mod10")
    # MOD11: weights 2..7 from the right; remainder 10 gives "-".
    assert services.kid_is_valid("1234567890128", "mod11") is False
    body = "123456"
    total = sum(int(d) * [2, 3, 4, 5, 6, 7][i % 6] for i, d in enumerate(reversed(body)))
    check = 11 - total % 11
    digit = "0" if check == 11 else "-" if check == 10 else str(check)
    assert services.kid_is_valid(body + digit, "mod11")
    assert not services.kid_is_valid("abc", "mod10")


def test_customer_number_from_default_positions():
    assert services.customer_number_in_kid("100010000048", start=1, end=5) == "10001"
    assert services.customer_number_in_kid("000420000048", start=1, end=5) == "42"
    assert services.customer_number_in_kid("999910001048", start=5, end=9) == "10001"


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
    assert services.kid_is_valid(kid, "mod11")
    assert not services.kid_is_valid(kid, "mod10")
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
