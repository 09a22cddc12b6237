#!/usr/bin/env python
"""Benchmark: the customer list (AR303000) with 100,000 customers, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b2cportal python bench/customers_list.py

Migrates, tops the Norwegian demo company up to CUSTOMERS customers with
`seed_demo --customers`, then requests the list in-process with Django's test client: the
first page, a free-text search, an exact national-ID search and a filter, REQUESTS times
each. Prints p50/p95 milliseconds and the query count per scenario; the last line is the
headline (the worst scenario's p95): `customers_list_p95_ms: <number>`.
Target: p95 <= 150 ms and <= 10 queries per request.
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

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
TARGET_P95_MS = 150.0
TARGET_QUERIES = 10


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("bench/customers_list.py needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from b2cportal.companies.models import Company
    from b2cportal.customers.models import Customer

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    company = Company.objects.get(country="NO", organisation_number="923456783")
    have = Customer.objects.filter(company=company).count()
    if have < CUSTOMERS:
        started = time.monotonic()
        call_command(
            "seed_demo",
            customers=CUSTOMERS - have,
            company_country="NO",
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
        print(f"seeded {CUSTOMERS - have} customers in {time.monotonic() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    total = Customer.objects.filter(company=company).count()
    sample = (
        Customer.objects.filter(company=company)
        .exclude(national_id="")
        .order_by("-number")
        .values_list("national_id", flat=True)
        .first()
    )

    from django.contrib.auth import get_user_model

    client = Client(SERVER_NAME="localhost")
    client.force_login(get_user_model().objects.get(username="no-accountant"))
    scenarios = {
        "first page": ("/customers/", {}),
        "search text": ("/customers/", {"q": "nordmann"}),
        "search national id": ("/customers/", {"q": f"{sample[:6]}-{sample[6:]}"}),
        "filter": (
            "/customers/",
            {"kind": "business", "active": "yes", "delivery_method": "email"},
        ),
    }
    print(f"customers in the company: {total}; {REQUESTS} requests per scenario")
    worst = 0.0
    failures = []
    for name, (url, params) in scenarios.items():
        client.get(url, params)  # warm up caches and the session
        timings = []
        queries = 0
        for _ in range(REQUESTS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            queries = max(queries, len(captured.captured_queries))
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        worst = max(worst, p95)
        rows = response.content.count(b'data-testid="customer-row"')
        print(f"{name:<20} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  queries {queries}  rows {rows}")
        if queries > TARGET_QUERIES:
            failures.append(f"{name}: {queries} queries")
    if worst > TARGET_P95_MS:
        failures.append(f"p95 {worst:.1f} ms > {TARGET_P95_MS} ms")
    print("target met" if not failures else "TARGET MISSED: " + "; ".join(failures))
    print(f"customers_list_p95_ms: {worst:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
