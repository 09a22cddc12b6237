from __future__ import annotations

import pytest

from simulator.demo import seed_simulated_network as seed_network_directory
from simulator.models import DigitalMailboxAccount, FmiRegistration, Participant
from tests.factories import make_customer
from tests.routing.builders import SE_SSNS

pytestmark = pytest.mark.django_db


class _Context:
    def __init__(self, companies):
        self.companies = companies
        self.lines = []

    def log(self, message):
        self.lines.append(message)


def test_demo_directory_is_seeded_once(company_se, company_no):
    for ssn in SE_SSNS[:4]:
        make_customer(company=company_se, national_id=ssn)
    make_customer(company=company_no, kind="business", organisation_number="974760673")
    context = _Context({"SE": company_se, "NO": company_no})
    seed_network_directory(context)
    seed_network_directory(context)
    assert FmiRegistration.objects.count() == 1
    assert DigitalMailboxAccount.objects.count() == 2
    assert Participant.objects.get().kind == "internal"
    assert "simulated network directory" in context.lines[0]
