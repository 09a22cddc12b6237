"""Demo agreements: every status with history, directory entries, idempotent."""

import itertools

import pytest

from agreements.models import AgreementEvent, ConsumerAgreement
from b2cportal.companies import demo
from simulator.models import EFakturaReceiver

pytestmark = pytest.mark.django_db


def test_demo_agreements_are_varied_consistent_and_idempotent():
    demo.seed_demo()
    agreements = ConsumerAgreement.objects.all()
    counts = (agreements.count(), AgreementEvent.objects.count(), EFakturaReceiver.objects.count())
    statuses = set(agreements.values_list("status", flat=True))
    assert {"ACTIVE", "REQUEST_SENT", "REJECTED", "ERROR", "DELETED"} <= statuses
    assert set(agreements.values_list("network", flat=True)) == {"NO_EFAKTURA", "SE_BANK"}
    for agreement in agreements:
        events = list(agreement.events.order_by("id"))
        assert events[0].from_status == ""
        assert events[-1].to_status == agreement.status
        assert all(b.from_status == a.to_status for a, b in itertools.pairwise(events))
    assert any(r.blocked_issuers for r in EFakturaReceiver.objects.all())
    demo.seed_demo()
    assert (
        ConsumerAgreement.objects.count(),
        AgreementEvent.objects.count(),
        EFakturaReceiver.objects.count(),
    ) == counts
