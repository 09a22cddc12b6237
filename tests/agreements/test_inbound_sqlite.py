"""The inbound hot path's own SQL (`agreements.services.events._LIVE_AGREEMENT_SQL`) on SQLite,
the demo's database; the rest of the suite runs on PostgreSQL."""

from __future__ import annotations

import json

from tests.test_settings import _manage

SCRIPT = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from agreements.models import ConsumerAgreement
from agreements.services import apply_inbound_event
from b2cportal.companies.models import CustomerLedgerPreferences
from tests.factories import make_branch, make_company, make_customer

company = make_company(country="NO", organisation_number="923609016")
branch = make_branch(company=company, branch_id="MAIN", is_main_office=True)
CustomerLedgerPreferences.objects.create(company=company, consumer_route_anyway=True)
customer = make_customer(company=company, number="10001", name="Kari Nordmann")
agreement = ConsumerAgreement.objects.create(
    customer=customer, branch=branch, network="NO_EFAKTURA", status="REQUEST_SENT",
    source="request_sms", reference="10001",
)
from django.db import connection
from django.test.utils import CaptureQueriesContext
with CaptureQueriesContext(connection) as queries:
    outcome = apply_inbound_event(event={
        "event_id": "evt-1", "type": "activated", "issuer": "923609016", "branch": "MAIN",
        "customer_reference": "10001",
    })
agreement.refresh_from_db()
print(json.dumps({
    "result": outcome.result, "agreement": outcome.agreement_id == agreement.pk,
    "status": agreement.status, "holds_possible": outcome.holds_possible,
    "company": outcome.company_id == company.pk, "events": agreement.events.count(),
    "statements": [q["sql"].split()[0] for q in queries.captured_queries],
}))
"""


def test_an_inbound_event_for_a_held_agreement_applies_on_sqlite():
    result = _manage("shell", "--no-imports", "-c", SCRIPT, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "result": "applied",
        "agreement": True,
        "status": "ACTIVE",
        "holds_possible": True,
        "company": True,
        "events": 1,
        # One statement found and locked the agreement (the slow path would read more).
        "statements": ["BEGIN", "SELECT", "UPDATE", "INSERT", "COMMIT"],
    }
