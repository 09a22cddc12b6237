#!/usr/bin/env python
"""Benchmark: server time of the actions people wait for, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b2cportal \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 python bench/actions.py

Migrates, loads the demo data, warms up the validation rules the way the web server does at
start (`invoices.validation.warm_up()`, called from b2cportal/wsgi.py), then runs each action
REQUESTS times in-process with Django's test client (so the time is the server's, without the
browser): accepting the terms of service, *Validate*, *Activate* (Norway's dialog and Sweden's
B2CSE form), *Check status now*, *Add account*, *Deactivate* (all three queue the network call)
and the Django admin's change lists. Accepting the terms only records the acceptance
and queues the submission to the network (a worker sends it), so its figure has no network in it.
Prints p50/p95 milliseconds per action; the
last line is the headline (the worst p95): `actions_server_ms_p95: <number>`.
Target: p95 <= 300 ms for every action.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
TARGET_P95_MS = 300.0
ADMIN_LISTS = [
    "companies/company",
    "companies/branch",
    "customers/customer",
    "invoices/invoice",
    "agreements/consumeragreement",
    "routing/delivery",
    "audit/auditentry",
]


def _timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code >= 400:
        raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
    return elapsed


def _summary(name: str, samples: list[float]) -> float:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    print(f"{name:<34} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")
    return p95


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("bench/actions.py needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from stdnum import luhn

    from b2cportal.companies.models import (
        Company,
        NorwayActivationStatus,
        NorwayB2CActivation,
        SwedenB2CActivation,
    )
    from b2cportal.companies.services import norway as norway_services
    from invoices.models import Invoice
    from invoices.validation import warm_up

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    warm_up()
    print(f"validation warm-up at process start: {(time.perf_counter() - started):.1f} s")

    users = get_user_model().objects
    no_company = Company.objects.get(country="NO", name="Fjordkraft Demo AS")
    se_company = Company.objects.get(country="SE", name="Skärgård Demo AB")
    no_branch = no_company.branches.order_by("branch_id").last()
    se_branch = se_company.branches.get()
    client = Client(HTTP_HOST="127.0.0.1")
    results: dict[str, float] = {}

    # Activate (Norway): the dialog's OK emails the signer (queued on commit).
    client.force_login(users.get(username="no-admin"))
    client.post(reverse("switch_company"), {"company": no_company.pk, "next": "/"})
    client.post(reverse("switch_branch"), {"branch": no_branch.pk, "next": "/"})
    samples = []
    for i in range(REQUESTS):
        NorwayB2CActivation.objects.filter(branch=no_branch).delete()
        samples.append(
            _timed(
                lambda i=i: client.post(
                    reverse("companies:b2cno_activate"),
                    {"signer_name": "Kari Nordmann", "signer_email": f"kari{i}@example.no"},
                )
            )
        )
    results["Activate (Norway)"] = _summary("Activate (Norway)", samples)

    # Accept the terms of service: the signer's click on the emailed link.
    samples = []
    for i in range(REQUESTS):
        activation = NorwayB2CActivation.objects.get(branch=no_branch)
        if activation.status != NorwayActivationStatus.AWAITING_TERMS:
            NorwayB2CActivation.objects.filter(branch=no_branch).delete()
            client.post(
                reverse("companies:b2cno_activate"),
                {"signer_name": "Kari Nordmann", "signer_email": f"kari-{i}@example.no"},
            )
            activation = NorwayB2CActivation.objects.get(branch=no_branch)
        path = reverse("companies:terms", args=[norway_services.terms_token(activation)])
        samples.append(_timed(lambda path=path: Client(HTTP_HOST="127.0.0.1").post(path)))
    results["Accept terms"] = _summary("Accept terms", samples)
    NorwayB2CActivation.objects.filter(branch=no_branch).delete()

    # Validate a released invoice (XSD + CEN + Peppol rules, compiled at process start).
    invoice = Invoice.objects.filter(company=no_company, status="open").first()
    samples = [
        _timed(lambda: client.post(reverse("invoices:validate", args=[invoice.pk])))
        for _ in range(REQUESTS)
    ]
    results["Validate"] = _summary("Validate", samples)

    # Activate (Sweden): the B2CSE form, refused by the register check or submitted.
    client.force_login(users.get(username="se-admin"))
    client.post(reverse("switch_company"), {"company": se_company.pk, "next": "/"})
    samples = []
    for _ in range(REQUESTS):
        SwedenB2CActivation.objects.filter(branch=se_branch).delete()
        samples.append(
            _timed(
                lambda: client.post(
                    reverse("companies:b2cse"),
                    {"account_type": "bankgiro", "account_number": "5050-1055"},
                )
            )
        )
    results["Activate (Sweden, B2CSE)"] = _summary("Activate (Sweden, B2CSE)", samples)
    SwedenB2CActivation.objects.filter(branch=se_branch).delete()

    # Check status now (Sweden) and Add account: both only record and queue the question.
    waiting = SwedenB2CActivation.objects.create(
        branch=se_branch,
        status="pending",
        account_type="bankgiro",
        account_number="50501055",
        network_reference="bench",
    )
    samples = []
    for _ in range(REQUESTS):
        SwedenB2CActivation.objects.filter(pk=waiting.pk).update(pending_submission={})
        samples.append(
            _timed(
                lambda: client.post(
                    reverse("companies:refresh_activation"), {"next_view": "companies:b2cse"}
                )
            )
        )
    results["Check status now (Sweden)"] = _summary("Check status now (Sweden)", samples)
    SwedenB2CActivation.objects.filter(pk=waiting.pk).update(
        status="active", fui="005560169095.00002222222.FSPA.SE", pending_submission={}
    )
    samples = []
    for i in range(REQUESTS):
        number = f"{1000 + i}{luhn.calc_check_digit(str(1000 + i))}"
        samples.append(
            _timed(
                lambda number=number: client.post(
                    reverse("companies:b2cse_add_account"),
                    {"account_type": "plusgiro", "account_number": number},
                )
            )
        )
    results["Add account (Sweden)"] = _summary("Add account (Sweden)", samples)
    SwedenB2CActivation.objects.filter(branch=se_branch).delete()

    # Deactivate (Norway): recorded and queued; the service stays active until the network.
    client.force_login(users.get(username="no-admin"))
    client.post(reverse("switch_company"), {"company": no_company.pk, "next": "/"})
    client.post(reverse("switch_branch"), {"branch": no_branch.pk, "next": "/"})
    NorwayB2CActivation.objects.filter(branch=no_branch).delete()
    active = NorwayB2CActivation.objects.create(
        branch=no_branch, status=NorwayActivationStatus.ACTIVE, network_reference="bench"
    )
    samples = []
    for _ in range(REQUESTS):
        NorwayB2CActivation.objects.filter(pk=active.pk).update(pending_submission={})
        samples.append(_timed(lambda: client.post(reverse("companies:b2cno_deactivate"))))
    results["Deactivate (Norway)"] = _summary("Deactivate (Norway)", samples)
    NorwayB2CActivation.objects.filter(branch=no_branch).delete()

    # Django admin change lists, as the superuser.
    client.force_login(users.get(username="admin"))
    for model in ADMIN_LISTS:
        url = f"/admin/{model}/"
        samples = [_timed(lambda url=url: client.get(url)) for _ in range(REQUESTS)]
        results[f"admin {model}"] = _summary(f"admin {model}", samples)

    worst = max(results.values())
    missed = [name for name, p95 in results.items() if p95 > TARGET_P95_MS]
    if missed:
        print(f"Target p95 <= {TARGET_P95_MS:.0f} ms missed by: {', '.join(missed)}")
    print(f"actions_server_ms_p95: {worst:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
