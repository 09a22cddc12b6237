"""The signed inbound endpoint: security, validation, idempotency, and each event type."""

import json
import time

import pytest

from agreements.models import AgreementEvent, ConsumerAgreement
from b2cportal.network.adapter import get_network
from b2cportal.network.signing import signed_headers
from b2cportal.webhooks.models import WebhookEndpoint, WebhookMessage
from tests.factories import make_branch, make_company, make_customer

from .conftest import FUI, activate_norway, make_agreement, post_event

pytestmark = pytest.mark.django_db


def event(**overrides):
    data = {
        "event_id": "evt-1",
        "type": "accepted",
        "issuer": "923609016",
        "branch": "MAIN",
        "customer_reference": "10001",
    }
    data.update(overrides)
    return data


def test_accept_then_activate_from_request(
    client, customer_no, main_branch, django_assert_num_queries
):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    response = post_event(client, event())
    assert response.status_code == 200
    assert response.json() == {"result": "applied", "agreement": agreement.pk, "status": "ACCEPTED"}
    # The hot path: one query loads and locks the agreement with what the event needs, one
    # update, one event row (+ the transaction's savepoint and release).
    with django_assert_num_queries(5):
        response = post_event(client, event(event_id="evt-2", type="activated"))
    assert response.json()["status"] == "ACTIVE"
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"
    assert agreement.source == "request_sms"  # how it came stays the request
    assert list(agreement.events.values_list("external_event_id", flat=True))[-2:] == [
        "evt-1",
        "evt-2",
    ]


def test_consumer_initiated_in_online_bank_creates_agreement(client, customer_no, main_branch):
    response = post_event(client, event(type="activated"))
    assert response.status_code == 200
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.status, agreement.source) == ("ACTIVE", "online_bank")


def test_bad_signature_is_refused_and_changes_nothing(client, customer_no, main_branch):
    response = post_event(client, event(), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "bad signature"
    assert not ConsumerAgreement.objects.exists()


def test_missing_signature_is_refused(client, customer_no, main_branch):
    response = client.post(
        "/agreements/inbound/", data=json.dumps(event()), content_type="application/json"
    )
    assert response.status_code == 401


def test_tampered_body_is_refused(client, customer_no, main_branch):
    body = json.dumps(event()).encode()

    headers = signed_headers(secret=get_network().inbound_secret(), body=body)
    tampered = body.replace(b"accepted", b"rejected")
    response = post_event(client, None, raw=tampered, headers=headers)
    assert response.status_code == 401


def test_stale_timestamp_is_refused(client, customer_no, main_branch):
    response = post_event(client, event(), now=time.time() - 301)
    assert response.status_code == 401
    assert response.json()["error"] == "stale timestamp"
    response = post_event(client, event(), now=time.time() + 400)
    assert response.status_code == 401
    assert not ConsumerAgreement.objects.exists()
    # Just inside the window is fine.
    assert post_event(client, event(), now=time.time() - 240).status_code == 200


def test_replayed_event_id_is_refused_and_applied_once(client, customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    assert post_event(client, event(type="rejected")).status_code == 200
    events_after_first = AgreementEvent.objects.count()
    replay = post_event(client, event(type="rejected"))
    assert replay.status_code == 409
    assert replay.json()["code"] == "replay"
    # Same id, different content: still the same event, still refused.
    assert post_event(client, event(type="activated")).status_code == 409
    assert AgreementEvent.objects.count() == events_after_first
    agreement.refresh_from_db()
    assert agreement.status == "REJECTED"
    assert not ConsumerAgreement.objects.filter(status="ACTIVE").exists()


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'],
)
def test_malformed_json_is_400_and_changes_nothing(client, customer_no, main_branch, raw):
    response = post_event(client, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert not AgreementEvent.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "accepted", "issuer": "923609016", "branch": "MAIN"}, "event_id"),
        (event(type="exploded"), "type"),
        (event(branch=""), "branch"),
        (event(customer_reference=""), "customer_reference"),
        ({"event_id": "x", "type": "fmi_created", "issuer_fui": FUI}, "fmi"),
        ({"event_id": "x", "type": "capture_payment", "account": "12345678903"}, "kid"),
        (event(amount="lots"), "amount"),
    ],
)
def test_invalid_payload_is_400_with_field_errors(client, customer_no, main_branch, payload, field):
    response = post_event(client, payload)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ConsumerAgreement.objects.exists()


def test_unknown_customer_is_404_with_a_clear_error(client, customer_no, main_branch):
    response = post_event(client, event(customer_reference="99999"))
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_customer"
    assert "99999" in body["error"]
    # Nothing recorded, so the network may deliver it again once the customer exists.
    assert not AgreementEvent.objects.exists()


def test_unknown_issuer_and_branch_are_404(client, customer_no, main_branch):
    assert post_event(client, event(issuer="974760673")).json()["code"] == "unknown_issuer"
    response = post_event(client, event(branch="NOPE"))
    assert (response.status_code, response.json()["code"]) == (404, "unknown_branch")


def test_an_event_changes_only_the_named_customers_agreement(client, customer_no, main_branch):
    ours = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    neighbour = make_customer(company=main_branch.company, number="10002")
    theirs = make_agreement(customer=neighbour, branch=main_branch, status="REQUEST_SENT")
    post_event(client, event(event_id="evt-1", customer_reference="10002"))
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status) == ("REQUEST_SENT", "ACCEPTED")
    post_event(client, event(event_id="evt-2", customer_reference="10001"))
    ours.refresh_from_db()
    assert ours.status == "ACCEPTED"


def test_an_event_changes_only_the_issuers_agreement(client, customer_no, main_branch):
    """Another company's customer with the same number and branch code is never touched."""
    other = make_company(country="NO", organisation_number="974760673")
    other_branch = make_branch(company=other, branch_id="MAIN", is_main_office=True)
    activate_norway(other_branch)
    twin = make_customer(company=other, number=customer_no.number)
    theirs = make_agreement(customer=twin, branch=other_branch, status="REQUEST_SENT")
    ours = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    post_event(client, event(event_id="evt-1"))
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status) == ("ACCEPTED", "REQUEST_SENT")
    post_event(client, event(event_id="evt-2", issuer="974760673"))
    theirs.refresh_from_db()
    assert theirs.status == "ACCEPTED"


@pytest.mark.parametrize("active", [True, False])
def test_an_event_is_told_to_the_issuers_active_webhook_endpoints_only(
    client, customer_no, main_branch, active
):
    WebhookEndpoint.objects.create(
        company=main_branch.company, url="https://erp.example.no/hooks", is_active=active
    )
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    post_event(client, event(type="activated"))
    messages = [m.payload for m in WebhookMessage.objects.filter(company=main_branch.company)]
    if not active:
        assert messages == []
        return
    (message,) = messages
    assert message["type"] == "agreement.status_changed"
    assert message["data"] == {
        "agreement_id": agreement.pk,
        "customer_id": customer_no.pk,
        "customer_number": "10001",
        "branch": "MAIN",
        "network": "NO_EFAKTURA",
        "from_status": "REQUEST_SENT",
        "status": "ACTIVE",
        "source": "request_sms",
    }


def test_match_by_national_id_when_reference_is_unknown(client, customer_no, main_branch):
    response = post_event(
        client, event(type="activated", customer_reference="", national_id="15108695088")
    )
    assert response.status_code == 200
    assert ConsumerAgreement.objects.get().customer == customer_no


def test_late_accepted_after_active_is_ignored_not_applied(client, customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    response = post_event(client, event(type="accepted"))
    assert response.status_code == 200
    assert response.json()["result"] == "ignored"
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"


def test_deleted_without_live_agreement_is_ignored(client, customer_no, main_branch):
    response = post_event(client, event(type="deleted"))
    assert response.status_code == 200
    assert response.json()["result"] == "ignored"
    assert not ConsumerAgreement.objects.exists()


def test_deleted_closes_the_agreement(client, customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    assert post_event(client, event(type="deleted")).json()["status"] == "DELETED"
    agreement.refresh_from_db()
    assert agreement.status == "DELETED"


def test_get_is_not_allowed(client):
    assert client.get("/agreements/inbound/").status_code == 405


# --- Sweden: FMI ---------------------------------------------------------------------------


def test_fmi_created_makes_an_active_agreement_matched_by_ssn(client, customer_se, sweden_branch):
    fmi = "198112289874.NB.SE"
    response = post_event(
        client, {"event_id": "f1", "type": "fmi_created", "fmi": fmi, "issuer_fui": FUI}
    )
    assert response.status_code == 200
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.customer, agreement.branch) == (customer_se, sweden_branch)
    assert (agreement.network, agreement.status) == ("SE_BANK", "ACTIVE")
    assert (agreement.reference, agreement.source) == (fmi, "fmi_onboarding")
    assert agreement.events.last().detail["matched_on"] == ["national_id"]
    response = post_event(
        client, {"event_id": "f2", "type": "fmi_cancelled", "fmi": fmi, "issuer_fui": FUI}
    )
    agreement.refresh_from_db()
    assert agreement.status == "DELETED"


def test_fmi_for_unknown_ssn_and_malformed_fmi(client, customer_se, sweden_branch):
    response = post_event(
        client,
        {"event_id": "f1", "type": "fmi_created", "fmi": "199001011234.NB.SE", "issuer_fui": FUI},
    )
    assert response.status_code == 404
    response = post_event(
        client, {"event_id": "f2", "type": "fmi_created", "fmi": "1981.NB", "issuer_fui": FUI}
    )
    assert response.status_code == 400
    assert not ConsumerAgreement.objects.exists()


def test_new_fmi_replaces_old_and_cancel_of_old_fmi_is_ignored(client, customer_se, sweden_branch):
    post_event(
        client,
        {"event_id": "a", "type": "fmi_created", "fmi": "198112289874.NB.SE", "issuer_fui": FUI},
    )
    post_event(
        client,
        {"event_id": "b", "type": "fmi_created", "fmi": "198112289874.SHB.SE", "issuer_fui": FUI},
    )
    response = post_event(
        client,
        {"event_id": "c", "type": "fmi_cancelled", "fmi": "198112289874.NB.SE", "issuer_fui": FUI},
    )
    assert response.json()["result"] == "ignored"
    agreement = ConsumerAgreement.objects.get()
    assert (agreement.status, agreement.reference) == ("ACTIVE", "198112289874.SHB.SE")
