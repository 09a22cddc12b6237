"""Every status transition writes an event; dead agreements stay dead; one live agreement."""

import pytest
from django.db import IntegrityError, transaction

from agreements import services
from agreements.models import AgreementEvent, AgreementStatus, ConsumerAgreement
from agreements.services import ALLOWED_TRANSITIONS
from agreements.services.core import _transition

from .conftest import make_agreement

pytestmark = pytest.mark.django_db

ALL = list(AgreementStatus.values)
PAIRS = [(a, b) for a in ALL for b in ALL]


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
def test_transition_table(customer_no, main_branch, from_status, to_status):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status=from_status)
    before = AgreementEvent.objects.count()
    if to_status in ALLOWED_TRANSITIONS[from_status]:
        event = _transition(agreement, to_status=to_status, source="network")
        agreement.refresh_from_db()
        assert agreement.status == to_status
        assert (event.from_status, event.to_status) == (from_status, to_status)
        assert AgreementEvent.objects.count() == before + 1
    elif to_status == from_status:
        # A repeated status is recorded as "no change", never an error.
        event = _transition(agreement, to_status=to_status, source="network")
        assert event.detail["ignored"] == f"{from_status} -> {to_status}"
    else:
        with pytest.raises(services.AgreementError, match="cannot go from"):
            _transition(agreement, to_status=to_status, source="network")
        agreement.refresh_from_db()
        assert agreement.status == from_status
        assert AgreementEvent.objects.count() == before


def test_the_lifecycle_the_product_uses(customer_no, main_branch):
    """NEW -> REQUEST_SENT -> ACCEPTED -> ACTIVE -> DELETED is allowed; DELETED is final."""
    agreement = make_agreement(customer=customer_no, branch=main_branch)
    for status in ("REQUEST_SENT", "ACCEPTED", "ACTIVE", "DELETED"):
        _transition(agreement, to_status=status, source="network")
    assert ALLOWED_TRANSITIONS["DELETED"] == set()
    assert ALLOWED_TRANSITIONS["REJECTED"] == set()
    assert "ERROR" in ALLOWED_TRANSITIONS["NEW"]
    assert "REQUEST_SENT" in ALLOWED_TRANSITIONS["ERROR"]


def test_non_strict_transition_records_ignored_event(customer_no, main_branch):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    event = _transition(agreement, to_status="ACCEPTED", source="network", strict=False)
    agreement.refresh_from_db()
    assert agreement.status == "ACTIVE"
    assert (event.from_status, event.to_status) == ("ACTIVE", "ACTIVE")
    assert event.detail["ignored"] == "ACTIVE -> ACCEPTED"


def test_database_allows_one_live_agreement_per_customer_branch_network(
    customer_no, main_branch, second_branch
):
    make_agreement(customer=customer_no, branch=main_branch, status="REQUEST_SENT")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_agreement(customer=customer_no, branch=main_branch, status="NEW")
    # Other branch, other network, or dead agreements are fine.
    make_agreement(customer=customer_no, branch=second_branch)
    make_agreement(customer=customer_no, branch=main_branch, network="SE_BANK")
    make_agreement(customer=customer_no, branch=main_branch, status="DELETED")
    make_agreement(customer=customer_no, branch=main_branch, status="REJECTED")
    assert ConsumerAgreement.objects.count() == 5


def test_admin_marks_deleted_and_a_new_request_starts_a_new_agreement(
    customer_no, main_branch, admin_no, run_on_commit
):
    agreement = make_agreement(customer=customer_no, branch=main_branch, status="ACTIVE")
    services.mark_agreement_deleted(agreement=agreement, acting_user=admin_no)
    agreement.refresh_from_db()
    assert agreement.status == "DELETED"
    last = agreement.events.last()
    assert (last.from_status, last.to_status, last.source, last.actor) == (
        "ACTIVE",
        "DELETED",
        "user",
        admin_no,
    )
    with pytest.raises(services.AgreementError, match="already closed"):
        services.mark_agreement_deleted(agreement=agreement, acting_user=admin_no)
    run_on_commit(
        services.request_agreements_for_customer,
        customer=customer_no,
        acting_user=admin_no,
        current_branch=main_branch,
    )
    assert ConsumerAgreement.objects.filter(status="REQUEST_SENT").count() == 1
    assert ConsumerAgreement.objects.count() == 2
