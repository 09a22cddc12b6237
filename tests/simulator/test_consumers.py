"""Simulated consumer pages: they reach the issuer through the signed inbound endpoint."""

import pytest
from django.urls import reverse

from agreements import services
from agreements.models import ConsumerAgreement
from b2cportal.network.adapter import get_network
from simulator.adapter.consumers import deliver_agreement_event
from simulator.models import EFakturaReceiver, FmiRegistration
from tests.agreements.conftest import CAPTURE_BBAN, FUI, activate_norway, make_agreement

pytestmark = pytest.mark.django_db


def bank_link(**overrides):
    data = {
        "issuer_organisation_number": "923609016",
        "issuer_name": "Fjordtech AS",
        "branch_reference": "MAIN",
        "customer_reference": "10001",
    }
    data.update(overrides)
    url = get_network().agreement_acceptance_link(**data)
    return url[url.index("/simulator/") :]


def test_in_process_delivery_is_signed_and_goes_through_the_view(customer_no, main_branch):
    result = deliver_agreement_event(
        {
            "event_id": "sim-1",
            "type": "activated",
            "issuer": "923609016",
            "branch": "MAIN",
            "customer_reference": "10001",
        }
    )
    assert result.status_code == 200
    assert result.body["status"] == "ACTIVE"
    assert ConsumerAgreement.objects.get().events.last().external_event_id == "sim-1"


def test_in_process_delivery_is_verified_with_the_simulators_secret(customer_no, main_branch):
    # The simulator signs with SIMULATOR_WEBHOOK_SECRET; a wrong secret proves the check runs.
    from simulator.adapter import consumers

    original = consumers.signed_headers

    def wrong_secret(*, secret, body):
        return original(secret="other", body=body)

    consumers.signed_headers = wrong_secret
    try:
        result = deliver_agreement_event({"event_id": "x", "type": "accepted"})
    finally:
        consumers.signed_headers = original
    assert result.status_code == 401


def test_bank_page_accept(client, admin_no, customer_no, main_branch):
    client.force_login(admin_no)
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    url = bank_link()
    response = client.get(url)
    assert response.status_code == 200
    assert b"Simulated online bank" in response.content
    assert b"simulated-badge" in response.content
    response = client.post(url, {"action": "accept"})
    assert b"You accepted" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"
    assert [e.to_status for e in agreement.events.all()][-2:] == ["ACCEPTED", "ACTIVE"]


def test_bank_page_reject(client, admin_no, customer_no, main_branch):
    client.force_login(admin_no)
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    response = client.post(bank_link(), {"action": "reject"})
    assert b"You declined" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "REJECTED"


def test_bank_page_shows_refusal_for_unknown_customer(client, admin_no, customer_no, main_branch):
    client.force_login(admin_no)
    response = client.post(bank_link(customer_reference="424242"), {"action": "accept"})
    assert b"could not be registered" in response.content
    assert b"424242" in response.content
    assert not ConsumerAgreement.objects.exists()


def test_forged_bank_link_is_404(client, admin_no):
    client.force_login(admin_no)
    assert client.get("/simulator/consumers/bank/forged-token/").status_code == 404


def test_bank_page_bad_action(client, admin_no, customer_no, main_branch):
    client.force_login(admin_no)
    response = client.post(bank_link(), {"action": "maybe"}, follow=True)
    assert b"Choose accept or reject" in response.content
    assert not ConsumerAgreement.objects.exists()


def test_onboarding_join_and_cancel(client, operator, customer_se, sweden_branch):
    client.force_login(operator)
    url = reverse("simulator_consumers:onboarding", args=[FUI])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "join", "join-ssn": "811228-9874", "join-bank_id": "SHB"}, follow=True
    )
    assert b"198112289874.SHB.SE" in response.content
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.status, agreement.reference) == ("ACTIVE", "198112289874.SHB.SE")
    registration = FmiRegistration.objects.get()
    response = client.post(url, {"action": "cancel", "registration": registration.pk}, follow=True)
    assert b"was cancelled" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "DELETED"
    registration.refresh_from_db()
    assert registration.active is False


def test_onboarding_bad_ssn(client, operator, customer_se, sweden_branch):
    client.force_login(operator)
    url = reverse("simulator_consumers:onboarding", args=[FUI])
    response = client.post(url, {"action": "join", "join-ssn": "123", "join-bank_id": "NB"})
    assert b"10 or 12 digits" in response.content
    assert not FmiRegistration.objects.exists()


def test_efaktura_directory_is_for_operators_and_validates(client, accountant_no, operator):
    url = reverse("simulator_consumers:efaktura")
    assert client.get(url).status_code == 302
    client.force_login(accountant_no)
    assert client.get(url).status_code == 403
    client.force_login(operator)
    response = client.post(url, {"national_id": "123", "name": "X", "always_efaktura": "on"})
    assert b"has 11 digits" in response.content
    response = client.post(
        url,
        {
            "national_id": "15108695088",
            "name": "Kari Nordmann",
            "mobile": "912 34 567",
            "postcode": "0155",
            "always_efaktura": "on",
            "blocked_issuers_text": "923609016",
        },
        follow=True,
    )
    receiver = EFakturaReceiver.objects.get()
    assert receiver.mobile == "+4791234567"
    assert receiver.blocked_issuers == ["923609016"]
    assert b"Kari Nordmann" in response.content


def test_ocr_payment_page_invites_and_refuses_bad_kid(client, operator, customer_no, main_branch):
    client.force_login(operator)
    activate_norway(main_branch, use_agreement_capture=True, capture_bban=CAPTURE_BBAN)
    url = reverse("simulator_consumers:ocr_payment")
    data = {"account": CAPTURE_BBAN, "amount": "100", "payer_name": "Kari"}
    response = client.post(url, {**data, "kid": "100010000047"})
    assert b"wrong check digit" in response.content
    assert not ConsumerAgreement.objects.exists()
    response = client.post(url, {**data, "kid": "100010000048"})
    assert b"capture-invitation" in response.content
    assert ConsumerAgreement.objects.get().status == "REQUEST_SENT"
    response = client.post(url, {**data, "account": "1234", "kid": "100010000048"})
    assert b"11 digits" in response.content


def test_check_now_sees_directory_entry_added_on_simulator(client, customer_no, main_branch):
    EFakturaReceiver.objects.create(national_id="15108695088", name="Kari Nordmann")
    services.check_efaktura_directory(customer=customer_no, acting_user=None)
    assert ConsumerAgreement.objects.get().status == "ACTIVE"


def test_accepting_an_offer_is_accepted_then_activated_on_the_network(customer_no, main_branch):
    from simulator.adapter.consumers import read_consumer_link, respond_to_agreement_offer

    offer = read_consumer_link(bank_link().rsplit("/bank/", 1)[1].strip("/")).offer
    response = respond_to_agreement_offer(offer=offer, action="accept")
    assert response.failed is None
    assert response.status == "ACTIVE"
    agreement = ConsumerAgreement.objects.get()
    assert list(agreement.events.values_list("to_status", flat=True)) == [
        "NEW",
        "ACCEPTED",
        "ACTIVE",
    ]
    with pytest.raises(ValueError, match="unknown bank action"):
        respond_to_agreement_offer(offer=offer, action="maybe")


def test_refused_accept_stops_after_the_first_event(customer_no, main_branch):
    from simulator.adapter.consumers import read_consumer_link, respond_to_agreement_offer

    token = bank_link(customer_reference="424242").rsplit("/bank/", 1)[1][:-1]
    offer = read_consumer_link(token).offer
    response = respond_to_agreement_offer(offer=offer, action="accept")
    assert len(response.results) == 1
    assert response.failed.status_code == 404


# --- Consumer simulator index: the agreement requests a consumer received -------------------


def _sent_request(agreement, *, channel="sms", recipient="+4791234567", link=None):
    from agreements.models import AgreementRequest

    return AgreementRequest.objects.create(
        agreement=agreement,
        channel=channel,
        recipient=recipient,
        text=f"Accept here: {link}",
        link=link or "http://testserver" + bank_link(customer_reference=agreement.customer.number),
        status="sent",
    )


def test_simulator_index_lists_this_companys_requests_with_the_bank_link(
    client, accountant_no, admin_se, customer_no, main_branch, customer_se, sweden_branch
):
    mine = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    sms = _sent_request(mine)
    _sent_request(mine, channel="email", recipient="kari@example.no")
    foreign = make_agreement(
        customer=customer_se, branch=sweden_branch, status="REQUEST_SENT", network="SE_BANK"
    )
    _sent_request(foreign, recipient="+46701234567")
    client.force_login(accountant_no)
    content = client.get(reverse("simulator_consumers:index")).content.decode()
    assert 'data-testid="simulated-agreement-requests"' in content
    assert content.count('data-testid="simulated-request"') == 2
    assert "+4791234567" in content
    assert "kari@example.no" in content
    assert "+46701234567" not in content
    assert f'href="{sms.link.removeprefix("http://testserver")}"' in content
    assert "Open in the simulated online bank" in content
    # Newest first: the email went out after the SMS.
    assert content.index("kari@example.no") < content.index("+4791234567")

    client.force_login(admin_se)
    content = client.get(reverse("simulator_consumers:index")).content.decode()
    assert content.count('data-testid="simulated-request"') == 1
    assert "+46701234567" in content
    assert "+4791234567" not in content


def test_simulator_index_query_count_is_constant_and_capped(
    client, accountant_no, company_no, customer_no, main_branch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agreements.selectors import SIMULATED_REQUESTS_LIMIT
    from tests.factories import make_customer

    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    _sent_request(agreement)
    client.force_login(accountant_no)
    client.get(reverse("simulator_consumers:index"))  # warm session/auth caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("simulator_consumers:index"))
    for n in range(SIMULATED_REQUESTS_LIMIT + 5):
        customer = make_customer(company=company_no, number=f"5{n:04d}", name=f"Extra {n}")
        _sent_request(make_agreement(customer=customer, branch=main_branch))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("simulator_consumers:index"))
    assert len(many) == len(few)
    assert response.content.decode().count('data-testid="simulated-request"') == (
        SIMULATED_REQUESTS_LIMIT
    )


def test_simulator_index_needs_a_login(client, customer_no, main_branch):
    _sent_request(make_agreement(customer=customer_no, branch=main_branch))
    response = client.get(reverse("simulator_consumers:index"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
