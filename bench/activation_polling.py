"""Benchmark: how fast the periodic poll answers many waiting activations (PostgreSQL).

Creates N branches with an activation waiting for the (simulated) network, lets the network's
delay pass, runs `poll_pending_activations()` once and reports activations per second. All rows
are created inside a transaction that is rolled back at the end, so the database is unchanged.

DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_activation python bench/activation_polling.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from b2cportal.companies import services  # noqa: E402
from b2cportal.companies.models import (  # noqa: E402
    Branch,
    Company,
    NorwayActivationStatus,
    NorwayB2CActivation,
    SwedenActivationStatus,
    SwedenB2CActivation,
)
from simulator.models import ActivationRequest, RegisterEntry  # noqa: E402

COUNT = int(os.environ.get("BENCH_ACTIVATIONS", "400"))
ORGNR_NO, ORGNR_SE = "889640782", "5560360793"


class Rollback(Exception):
    pass


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("Run this benchmark against PostgreSQL (set DATABASE_URL).")
    due = timezone.now()
    try:
        with transaction.atomic():
            norway = Company.objects.create(
                name="Bench AS", country="NO", organisation_number=ORGNR_NO
            )
            sweden = Company.objects.create(
                name="Bench AB", country="SE", organisation_number=ORGNR_SE
            )
            RegisterEntry.objects.create(
                country="SE", organisation_number=ORGNR_SE, name="Bench AB"
            )
            branches_no = Branch.objects.bulk_create(
                Branch(company=norway, branch_id=f"N{i}", name=f"N{i}") for i in range(COUNT // 2)
            )
            branches_se = Branch.objects.bulk_create(
                Branch(company=sweden, branch_id=f"S{i}", name=f"S{i}") for i in range(COUNT // 2)
            )
            requests_no = ActivationRequest.objects.bulk_create(
                ActivationRequest(service="b2cno", organisation_number=ORGNR_NO, completes_at=due)
                for _ in branches_no
            )
            requests_se = ActivationRequest.objects.bulk_create(
                ActivationRequest(
                    service="b2cse",
                    organisation_number=ORGNR_SE,
                    completes_at=due,
                    payload={"company_name": "Bench AB", "account": "bankgiro:50501055"},
                )
                for _ in branches_se
            )
            NorwayB2CActivation.objects.bulk_create(
                NorwayB2CActivation(
                    branch=branch,
                    status=NorwayActivationStatus.ACTIVATING,
                    network_reference=str(request.reference),
                )
                for branch, request in zip(branches_no, requests_no, strict=True)
            )
            SwedenB2CActivation.objects.bulk_create(
                SwedenB2CActivation(
                    branch=branch,
                    status=SwedenActivationStatus.PENDING,
                    account_type="bankgiro",
                    account_number="50501055",
                    network_reference=str(request.reference),
                )
                for branch, request in zip(branches_se, requests_se, strict=True)
            )
            started = time.perf_counter()
            polled = services.poll_pending_activations()
            elapsed = time.perf_counter() - started
            active = (
                # Only this run's companies: other benchmarks may share the database.
                NorwayB2CActivation.objects.filter(
                    branch__company=norway, status=NorwayActivationStatus.ACTIVE
                ).count()
                + SwedenB2CActivation.objects.filter(
                    branch__company=sweden, status=SwedenActivationStatus.ACTIVE
                ).count()
            )
            assert polled == active == 2 * (COUNT // 2), (polled, active)
            print(f"polled {polled} activations in {elapsed:.2f}s")
            raise Rollback
    except Rollback:
        pass
    print(f"activation_polls_per_second: {polled / elapsed:.1f}")


if __name__ == "__main__":
    main()
