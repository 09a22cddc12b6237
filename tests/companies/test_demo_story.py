"""The demo data tells a true story, and seed_demo reports what it created."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from agreements.models import AgreementNetwork, AgreementStatus, ConsumerAgreement
from b2cportal.companies.models import AutoInvoiceSettings, Company
from invoices.models import Invoice
from simulator.models import ActivationRequest

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_active_agreements_only_where_the_b2c_service_is_active():
    _seed()
    live = ConsumerAgreement.objects.exclude(status__in=["DELETED", "REJECTED"])
    assert live.filter(network=AgreementNetwork.NO_EFAKTURA, status=AgreementStatus.ACTIVE)
    assert live.filter(network=AgreementNetwork.SE_BANK, status=AgreementStatus.ACTIVE)
    for agreement in live.select_related("branch"):
        branch = agreement.branch
        if agreement.network == AgreementNetwork.NO_EFAKTURA:
            activation, service = branch.b2cno, "autoinvoice_b2c"
        else:
            activation, service = branch.b2cse, "b2cse"
        assert activation.status == "active", (agreement, activation.status)
        # The settings follow it, and the network holds the same active activation.
        settings_row = AutoInvoiceSettings.objects.get(branch=branch)
        assert settings_row.consumer_einvoice_service == service
        network_side = ActivationRequest.objects.get(reference=activation.network_reference)
        assert network_side.status == "active"
    # Bergen stays not activated, so activation can still be tried in the demo.
    bergen = Company.objects.get(country="NO").branches.get(branch_id="BGO")
    assert not hasattr(bergen, "b2cno") or bergen.b2cno.status == "not_activated"


def test_seed_demo_reports_what_it_created():
    output = _seed()
    for company in Company.objects.all():
        reported = re.search(
            rf"Invoices: (\d+) demo documents for {re.escape(company.name)}", output
        )
        assert reported, output
        assert int(reported.group(1)) == Invoice.objects.filter(company=company).count()
    created = int(re.search(r"agreements: (\d+) created", output).group(1))
    assert created == ConsumerAgreement.objects.count()
    again = _seed()
    # Idempotent, and it says so: nothing new the second time.
    assert "agreements: 0 created" in again
    assert "Invoices:" not in again
    assert re.search(r"directory, created: \{[^}]*\}", again)
    assert not re.search(r"directory, created: \{[^}]*[1-9]", again)
