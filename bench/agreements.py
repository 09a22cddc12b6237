"""Benchmark: agreement status screen at 100,000 customers, and inbound event ingestion.

Standalone: `DATABASE_URL=postgres://... python bench/agreements.py`. Refuses anything but
PostgreSQL. It migrates the database, (re)creates one bench company with 100,000 customers and
agreements (bulk insert, reused on later runs), then measures through the real code:

- the support screen (`/agreements/`) first page, a national-ID search and a status filter, over
  the full request path (middleware, view, template) with a logged-in support user: p95 and the
  number of queries (which must not depend on the data size);
- ingesting 10,000 signed inbound agreement events through the simulated network's delivery
  path (`deliver_agreement_event`: signed WSGI request -> resolve -> the inbound view -> form ->
  service).

Targets: p95 <= 150 ms, constant queries, >= 500 events/s. The last line is
`agreement_events_per_s: <number>`.
"""

from __future__ import annotations

import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2cportal.settings")

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    sys.exit("bench/agreements.py needs DATABASE_URL pointing at PostgreSQL (refusing to run)")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Measure production behaviour: no per-query debug logging (DEBUG only decided static files).
settings.DEBUG = False

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from agreements.models import (  # noqa: E402
    AgreementEvent,
    AgreementRequest,
    AgreementStatus,
    ConsumerAgreement,
)
from b2cportal.companies.models import (  # noqa: E402
    Branch,
    Company,
    Membership,
    NorwayB2CActivation,
    Role,
)
from b2cportal.customers.models import Customer  # noqa: E402
from simulator.adapter.consumers import deliver_agreement_event  # noqa: E402

N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "100000"))
N_EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
ORGNR = "974760673"
RUNS = 40
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
STATUSES = [s for s in AgreementStatus.values]


def fodselsnummer(n: int) -> str:
    """A valid Norwegian national ID for index n (distinct per n, both MOD11 digits right)."""
    from stdnum.no import fodselsnummer as fnr

    day, month, year = 1 + n % 28, 1 + (n // 28) % 12, 50 + (n // 336) % 40
    serial = (n // 13440) * 50
    # Some serials give a check digit of 10 (no valid number); step to the next serial.
    while True:
        base = f"{day:02d}{month:02d}{year:02d}{serial % 1000:03d}"
        k1 = fnr.calc_check_digit1(base)
        if len(k1) == 1:
            k2 = fnr.calc_check_digit2(base + k1)
            if len(k2) == 1 and fnr.is_valid(base + k1 + k2):
                return base + k1 + k2
        serial += 1


def build() -> tuple[Company, Branch]:
    company = Company.objects.filter(country="NO", organisation_number=ORGNR).first()
    if company and Customer.objects.filter(company=company).count() == N_CUSTOMERS:
        branch = company.branches.get(branch_id="MAIN")
        AgreementEvent.objects.filter(external_event_id__startswith="bench-").delete()
        return company, branch
    if company:
        ConsumerAgreement.objects.filter(branch__company=company).delete()
        Customer.objects.filter(company=company).delete()
        Membership.objects.filter(company=company).delete()
        NorwayB2CActivation.objects.filter(branch__company=company).delete()
        Branch.objects.filter(company=company).delete()
        company.delete()
    print(f"building {N_CUSTOMERS} customers and agreements ...", flush=True)
    with transaction.atomic():
        company = Company.objects.create(
            name="Bench Fjord AS", country="NO", organisation_number=ORGNR, currency="NOK"
        )
        branch = Branch.objects.create(
            company=company, branch_id="MAIN", name="Oslo", is_main_office=True
        )
        NorwayB2CActivation.objects.create(branch=branch, status="active")
        batch = 5000
        for start in range(0, N_CUSTOMERS, batch):
            customers = [
                Customer(
                    company=company,
                    number=str(100000 + i),
                    name=f"Kunde {i} Nordmann",
                    national_id=fodselsnummer(i),
                    email=f"kunde{i}@example.no",
                    phone_2=f"+479{i:07d}",
                    postcode="0155",
                    city="Oslo",
                    einvoice_norway=i % 3 != 0,
                )
                for i in range(start, min(start + batch, N_CUSTOMERS))
            ]
            Customer.objects.bulk_create(customers, batch_size=batch)
        ids = list(
            Customer.objects.filter(company=company).order_by("pk").values_list("pk", "number")
        )
        agreements = [
            ConsumerAgreement(
                customer_id=pk,
                branch=branch,
                network="NO_EFAKTURA",
                status="REQUEST_SENT",
                reference=number,
                source="request_sms",
            )
            for pk, number in ids
        ]
        ConsumerAgreement.objects.bulk_create(agreements, batch_size=batch)
    return company, branch


def spread_statuses(branch: Branch) -> None:
    """Every status present (filters have something to find), fresh planner statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agreements_consumeragreement SET status = (%s::text[])[1 + (id %% 7)] "
            "WHERE branch_id = %s",
            [STATUSES, branch.pk],
        )
    # What autovacuum does in production: statistics and the visibility map (index-only scans).
    previous = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE agreements_consumeragreement")
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE agreements_agreementevent")
    connection.set_autocommit(previous)


def timed_get(client: Client, url: str, params: dict) -> tuple[float, int, int]:
    samples = []
    queries = 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, params)
            samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries = len(ctx)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    return p95, queries, response.content.count(b"agreement-list-row")


def deliver_chunk(items: list[tuple[str, str]]) -> list[int]:
    """One worker process: deliver its share of events through the real inbound path."""
    codes = []
    for event_id, number in items:
        result = deliver_agreement_event(
            {
                "event_id": event_id,
                "type": "activated",
                "issuer": ORGNR,
                "branch": "MAIN",
                "customer_reference": number,
            }
        )
        codes.append(result.status_code)
    connection.close()
    return codes


def main() -> None:
    call_command("migrate", verbosity=0)
    company, branch = build()
    spread_statuses(branch)
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-support")
    Membership.objects.get_or_create(user=user, company=company, defaults={"role": Role.SUPPORT})
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(user)
    client.get("/agreements/")  # warm up
    target = Customer.objects.filter(company=company).order_by("pk")[N_CUSTOMERS // 2]
    ok = True
    checks = [
        ("first_page", {}),
        ("national_id_search", {"q": target.national_id}),
        ("status_filter", {"status": "ERROR"}),
    ]
    for label, params in checks:
        p95, queries, rows = timed_get(client, "/agreements/", params)
        print(f"agreements_{label}_p95_ms: {p95:.1f} (queries: {queries}, rows: {rows})")
        ok &= p95 <= 150
    # Constant queries: the same screen on page 2 and with a name search.
    _p, q_page2, _r = timed_get(client, "/agreements/", {"page": 2})
    print(f"agreements_page2_queries: {q_page2}")

    # Ingest N_EVENTS signed events (REQUEST_SENT -> ACTIVE) through the real inbound path.
    ConsumerAgreement.objects.filter(branch=branch).update(status="REQUEST_SENT")
    AgreementEvent.objects.filter(agreement__branch=branch).delete()
    numbers = list(
        Customer.objects.filter(company=company)
        .order_by("pk")
        .values_list("number", flat=True)[:N_EVENTS]
    )
    run = int(time.time())

    # Like N web workers receiving the network's webhooks: N processes, each with its own
    # database connection, deliver concurrently (PostgreSQL shares WAL flushes between them).
    connection.close()
    items = [(f"bench-{run}-{i}", number) for i, number in enumerate(numbers)]
    chunks = [items[i::WORKERS] for i in range(WORKERS)]
    started = time.perf_counter()
    with get_context("fork").Pool(WORKERS) as pool:
        codes = [code for part in pool.map(deliver_chunk, chunks) for code in part]
    elapsed = time.perf_counter() - started
    failures = sum(code != 200 for code in codes)
    rate = len(numbers) / elapsed
    active = ConsumerAgreement.objects.filter(branch=branch, status="ACTIVE").count()
    print(f"agreement_events_failed: {failures} (active now: {active}, workers: {WORKERS})")
    AgreementRequest.objects.filter(agreement__branch=branch).delete()
    if not ok or failures:
        print("TARGET MISSED", file=sys.stderr)
    print(f"agreement_events_per_s: {rate:.0f}")


if __name__ == "__main__":
    main()
