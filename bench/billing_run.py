"""The whole billing run, end to end: API batches → drafts → release (full validation) → sent.

Seeds the customers of a realistic mix (as `bulk_send.py`: 60 % consumers — Norway eFaktura
with an active agreement, Sweden bank via FMI, Billo, Kivra —, 25 % Peppol businesses, 15 %
email or print) into a fresh benchmark database, starts real Celery workers, then POSTs N
invoices (default 10,000) to `/api/v1/invoice-batches/` with `release` and `send`, in batches
of BENCH_BATCH rows (default 1,000) alternating between the Norwegian and the Swedish company,
and waits until every invoice is created and released — each document validated against the
UBL XSD, the CEN rules and the Peppol rules, none skipped or sampled — and every delivery is
final. Prints the time per stage, the machine's load, and last
`billing_run_invoices_per_s: N`.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6 \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \
    EINVOICE_RULES_DIR=../shared/validation/peppol-bis3-2026.5 python bench/billing_run.py [N]

Environment: BENCH_WORKERS (worker processes, default 2), BENCH_CONCURRENCY (per worker,
default 1), BENCH_BATCH (rows per API batch, default 1000).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))
os.environ.setdefault("BENCH_CONCURRENCY", "1")

import bulk_send  # noqa: E402 - sets up Django, checks PostgreSQL + Redis, seeds the mix
from django.db import connection  # noqa: E402

N = bulk_send.N
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
TARGET = 150


def fail(message: str) -> None:
    print(f"billing_run: {message}", file=sys.stderr)
    sys.exit(2)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def seed_customers(n: int):
    """The mix of customers from bulk_send.seed, without its ready-made invoices."""
    from django.contrib.auth import get_user_model

    from api.services import create_api_key
    from b2cportal.companies.models import Membership, Role
    from invoices.models import Invoice, InvoiceLine

    companies = bulk_send.seed(n)
    InvoiceLine.objects.all().delete()
    Invoice.objects.all().delete()
    user = get_user_model().objects.create_user(username="erp", password="x")
    keys = {}
    for company in companies:
        Membership.objects.create(user=user, company=company, role=Role.ADMINISTRATOR)
        _key, raw = create_api_key(
            company=company, acting_user=user, name="ERP", scopes=["read", "write", "send"]
        )
        keys[company.pk] = raw
    return companies, keys


def rows_for(company) -> list[dict]:
    from django.utils import timezone

    from b2cportal.customers.models import Customer

    today = timezone.localdate()
    due = today + timezone.timedelta(days=14)
    rows = []
    for number in (
        Customer.objects.filter(company=company).order_by("number").values_list("number", flat=True)
    ):
        rows.append(
            {
                "reference": f"ERP-{number}",
                "customer_number": number,
                "issue_date": today.isoformat(),
                "due_date": due.isoformat(),
                "lines": [
                    {"description": "Subscription", "quantity": "1", "unit_price": "100.00"},
                    {
                        "description": "Usage",
                        "quantity": "12.5",
                        "unit": "KWH",
                        "unit_price": "1.20",
                        "vat_rate": "25",
                    },
                ],
            }
        )
    return rows


def run(procs: list[subprocess.Popen]) -> None:
    from rest_framework.test import APIClient

    from billing.models import InvoiceBatchRow, RowStatus
    from routing import services as routing
    from routing.models import Delivery, DeliveryStatus

    print(f"seeding {N} customers ...", flush=True)
    companies, keys = seed_customers(N)
    batches = []
    per_company = {company.pk: rows_for(company) for company in companies}
    # Alternate the companies so both number sequences are in use at once.
    while any(per_company.values()):
        for company in companies:
            rows = per_company[company.pk]
            if rows:
                batches.append((company, rows[:BATCH]))
                per_company[company.pk] = rows[BATCH:]
    procs.extend(bulk_send.start_workers())
    time.sleep(6)  # the workers boot and compile the rules (worker_process_init)
    print(f"before: {load()}", flush=True)
    t0 = time.monotonic()
    cpu0 = time.process_time()
    for i, (company, rows) in enumerate(batches):
        client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {keys[company.pk]}", HTTP_HOST="localhost")
        response = client.post(
            "/api/v1/invoice-batches/",
            {"invoices": rows, "release": True, "send": True},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"billing-run-{i}",
        )
        if response.status_code != 202:
            fail(f"POST answered {response.status_code}: {response.content[:300]!r}")
    t_posted = time.monotonic()
    done = [RowStatus.CREATED, RowStatus.FAILED]
    final = [DeliveryStatus.DELIVERED, DeliveryStatus.SENT, DeliveryStatus.FAILED]
    t_released = None
    last_sweep = time.monotonic()
    while True:
        time.sleep(0.25)
        if t_released is None and InvoiceBatchRow.objects.filter(status__in=done).count() >= N:
            t_released = time.monotonic()
            print(f"released: {load()}", flush=True)
        if t_released and Delivery.objects.filter(status__in=final).count() >= N - failed_rows():
            break
        if time.monotonic() - last_sweep > 30:  # what beat would do
            routing.sweep()
            last_sweep = time.monotonic()
        if time.monotonic() - t0 > 1800:
            fail("did not finish within 30 minutes")
    t_end = time.monotonic()
    rows = Counter(InvoiceBatchRow.objects.values_list("status", flat=True))
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    channels = Counter(Delivery.objects.values_list("channel", flat=True))
    print(f"workers: {bulk_send.WORKERS} x {bulk_send.CONCURRENCY}; batches: {len(batches)}")
    print(f"rows: {dict(rows)}")
    for errors in InvoiceBatchRow.objects.filter(status=RowStatus.FAILED).values_list(
        "errors", flat=True
    )[:5]:
        print(f"failed row: {errors}")
    print(f"deliveries: {dict(statuses)}; channels: {dict(sorted(channels.items()))}")
    print(f"stage post ({N} rows as API batches): {t_posted - t0:.2f}s")
    print(f"stage created + released (XSD + CEN + Peppol each): {t_released - t0:.2f}s")
    print(f"stage sent (all deliveries final): {t_end - t_released:.2f}s after release")
    print(f"total: {N} invoices in {t_end - t0:.2f}s; after: {load()}")
    rate = N / (t_end - t0)
    if rate < TARGET:
        print(f"target missed: {rate:.1f} < {TARGET} invoices/s")
    RESULT["rate"] = rate
    RESULT["self_cpu"] = time.process_time() - cpu0


RESULT: dict[str, float] = {}


def failed_rows() -> int:
    from billing.models import InvoiceBatchRow, RowStatus

    return InvoiceBatchRow.objects.filter(status=RowStatus.FAILED).count()


def report_cpu() -> None:
    """CPU seconds the workers (reaped, so with their pool processes and their start-up, rule
    compilation included) and this process spent per invoice, and what that means on two
    cores that nothing else uses. PostgreSQL's and Redis's own CPU is not in it."""
    import resource

    if "rate" not in RESULT:
        return
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = workers.ru_utime + workers.ru_stime + RESULT["self_cpu"]
    per_invoice = cpu / N
    print(
        f"cpu: {cpu:.1f}s in workers and API ({per_invoice * 1000:.1f} ms per invoice); "
        f"two idle cores would do about {2 / per_invoice:.0f} invoices/s"
    )
    print(f"billing_run_invoices_per_s: {RESULT['rate']:.1f}")


def main() -> None:
    import redis

    from b2cportal.celery import app

    if not os.environ.get("EINVOICE_RULES_DIR"):
        fail("EINVOICE_RULES_DIR must name the CEN + Peppol rules: every document is validated")
    redis.Redis.from_url(bulk_send.BROKER).flushdb()
    app.conf.task_always_eager = False
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{original}_billing_bench"
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    procs: list[subprocess.Popen] = []
    with bulk_send.scratch_dir():
        try:
            run(procs)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            report_cpu()
            connection.close()
            creation.destroy_test_db(original, verbosity=0)
            redis.Redis.from_url(bulk_send.BROKER).flushdb()


if __name__ == "__main__":
    main()
