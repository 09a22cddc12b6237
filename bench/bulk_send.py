"""Bulk send benchmark: click → last delivery, through real Celery workers on PostgreSQL + Redis.

Seeds N invoices (default 10,000) in a realistic mix into a fresh benchmark database:
about 60% consumers (Norway eFaktura with an active agreement; Sweden bank via FMI, Billo,
Kivra), 25% Peppol businesses and 15% email or print (with PDF). Starts worker subprocesses,
"clicks" *Send several invoices* once per company and waits until every delivery is final.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_routing \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/6 python bench/bulk_send.py [N]

Environment: BENCH_WORKERS (processes, default 2), BENCH_CONCURRENCY (per process, default 2).
The workers' mail files and print spool go to a scratch folder under the system temp dir
(`tempfile.gettempdir()`), removed at the end whatever happens.
The last line is `bulk_send_invoices_per_s: <number>`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "b2cportal.settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def fail(message: str) -> None:
    print(f"bulk_send: {message}", file=sys.stderr)
    sys.exit(2)


if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    fail("DATABASE_URL must point at PostgreSQL")
BROKER = os.environ.get("CELERY_BROKER_URL", "")
if not BROKER.startswith("redis://"):
    fail("CELERY_BROKER_URL must point at Redis")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_N", "10000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))


def database_url() -> str:
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{quote(s.get('USER') or '')}{password}@{s.get('HOST') or '127.0.0.1'}:"
        f"{s.get('PORT') or 5432}/{s['NAME']}"
    )


SE_SSN_POOL = ["198112189876", "194107086995", "196408233234", "198507099805"]
NO_FNR_POOL = ["15076500565", "01010750160", "31129956715"]
NO_ORGS = ["974760673", "981566378", "915933149", "889640782"]


def seed(n: int) -> list:
    from agreements.models import ConsumerAgreement
    from b2cportal.companies.models import (
        AutoInvoiceSettings,
        Branch,
        Company,
        CustomerLedgerPreferences,
        NorwayB2CActivation,
        SwedenB2CActivation,
    )
    from b2cportal.customers.models import Customer
    from invoices.models import Invoice, InvoiceLine
    from simulator.models import DigitalMailboxAccount, FmiRegistration, Participant

    no = Company.objects.create(
        name="Bench Norge AS",
        country="NO",
        organisation_number="923609016",
        currency="NOK",
        bank_account="86011117947",
    )
    se = Company.objects.create(
        name="Bench Sverige AB",
        country="SE",
        organisation_number="5560169095",
        currency="SEK",
        bank_account="5402-9681",
    )
    branches = {}
    for company in (no, se):
        branch = Branch.objects.create(
            company=company, branch_id="MAIN", name="Main", is_main_office=True
        )
        AutoInvoiceSettings.objects.create(branch=branch)
        CustomerLedgerPreferences.objects.create(company=company)
        branches[company.country] = branch
    NorwayB2CActivation.objects.create(branch=branches["NO"], status="active")
    SwedenB2CActivation.objects.create(branch=branches["SE"], status="active")
    # The network's directories.
    FmiRegistration.objects.create(ssn=SE_SSN_POOL[0], bank_id="NB", issuer_fui="")
    DigitalMailboxAccount.objects.create(ssn=SE_SSN_POOL[1], provider="billo")
    DigitalMailboxAccount.objects.create(ssn=SE_SSN_POOL[2], provider="kivra")
    for org in NO_ORGS:
        Participant.objects.create(kind="peppol", scheme="0192", identifier=org)

    # The mix, per 20 invoices: 12 consumers, 5 Peppol, 3 email/print.
    pattern = (
        ["no_efaktura"] * 4
        + ["se_bank"] * 3
        + ["se_billo"] * 3
        + ["se_kivra"] * 2
        + ["peppol"] * 5
        + ["email"] * 2
        + ["print"]
    )
    kinds = [pattern[i % len(pattern)] for i in range(n)]
    customers = []
    for i, kind in enumerate(kinds):
        country = "NO" if kind in ("no_efaktura", "peppol", "email", "print") else "SE"
        company = no if country == "NO" else se
        c = Customer(
            company=company,
            number=f"{i + 1:06d}",
            name=f"Customer {i + 1}",
            country=country,
            postcode="0155" if country == "NO" else "11122",
            city="Oslo" if country == "NO" else "Stockholm",
            address_line1="Gate 1",
            language="nb" if country == "NO" else "sv",
        )
        if kind == "no_efaktura":
            c.national_id, c.einvoice_norway, c.phone_2 = NO_FNR_POOL[i % 3], True, "+4791234567"
        elif kind.startswith("se_"):
            c.national_id = SE_SSN_POOL[{"se_bank": 0, "se_billo": 1, "se_kivra": 2}[kind]]
        elif kind == "peppol":
            c.kind, c.organisation_number = "business", NO_ORGS[i % len(NO_ORGS)]
        elif kind == "email":
            c.email = f"customer{i}@example.no"
        customers.append(c)
    Customer.objects.bulk_create(customers, batch_size=2000)
    ConsumerAgreement.objects.bulk_create(
        [
            ConsumerAgreement(
                customer=c,
                branch=branches["NO"],
                network="NO_EFAKTURA",
                status="ACTIVE",
                reference=c.number,
                source="online_bank",
            )
            for c, kind in zip(customers, kinds, strict=True)
            if kind == "no_efaktura"
        ],
        batch_size=2000,
    )
    today = timezone.localdate()
    invoices = [
        Invoice(
            company=c.company,
            branch=branches[c.company.country],
            customer=c,
            number=f"{i + 1:07d}",
            status="open",
            issue_date=today,
            due_date=today + timezone.timedelta(days=14),
            currency=c.company.currency,
            total_excl_vat=Decimal("100.00"),
            total_vat=Decimal("25.00"),
            total_incl_vat=Decimal("125.00"),
            released_at=timezone.now(),
        )
        for i, c in enumerate(customers)
    ]
    Invoice.objects.bulk_create(invoices, batch_size=2000)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=inv,
                position=1,
                description="Subscription",
                quantity=Decimal("1"),
                unit_price=Decimal("100.00"),
                line_total=Decimal("100.00"),
            )
            for inv in invoices
        ],
        batch_size=2000,
    )
    return [no, se]


@contextlib.contextmanager
def scratch_dir():
    """A temp folder for the workers' print spool and mail files, always removed afterwards.

    The workers inherit PRINT_SPOOL_DIR and EMAIL_URL from this process's environment, which is
    restored on exit.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-spool-", dir=tempfile.gettempdir()))
    saved = {key: os.environ.get(key) for key in ("PRINT_SPOOL_DIR", "EMAIL_URL")}
    os.environ["PRINT_SPOOL_DIR"] = str(folder)
    # Three slashes plus the absolute path: "filemail:///tmp/..." would parse as the relative
    # path "tmp/..." and land the mail files in the repository (the workers' cwd).
    os.environ["EMAIL_URL"] = "filemail:///" + str(folder / "mail")
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(folder, ignore_errors=True)


def start_workers() -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": BROKER}
    procs = []
    for i in range(WORKERS):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "b2cportal",
                    "worker",
                    "-c",
                    str(CONCURRENCY),
                    "-l",
                    "warning",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"bench{i}@%h",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return procs


def main() -> None:
    import redis

    from b2cportal.celery import app

    redis.Redis.from_url(BROKER).flushdb()
    app.conf.task_always_eager = False
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    # Its own database, never the one the tests use.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{original}_bulk_bench"
    bench_db = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    procs: list[subprocess.Popen] = []
    with scratch_dir() as spool:
        try:
            run(spool, bench_db, procs)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            connection.close()
            creation.destroy_test_db(original, verbosity=0)
            redis.Redis.from_url(BROKER).flushdb()


def run(spool: Path, bench_db: str, procs: list[subprocess.Popen]) -> None:
    """Seed, start the workers (appended to `procs` for the caller to stop), click, wait."""
    from invoices.models import Invoice
    from routing import services
    from routing.models import Delivery, DeliveryStatus

    print(f"scratch folder (removed at the end): {spool}", flush=True)
    print(f"seeding {N} invoices into {bench_db} ...", flush=True)
    companies = seed(N)
    procs.extend(start_workers())
    time.sleep(4)  # let the workers boot before the click
    t0 = time.monotonic()
    for company in companies:
        ids = list(Invoice.objects.filter(company=company).values_list("pk", flat=True))
        services.send_invoices(company=company, invoice_ids=ids, acting_user=None)
    click_done = time.monotonic() - t0
    final = [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.SENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.HELD,
    ]
    last_sweep = time.monotonic()
    while Delivery.objects.filter(status__in=final).count() < N:
        time.sleep(0.25)
        if time.monotonic() - last_sweep > 30:  # what beat would do
            services.sweep()
            last_sweep = time.monotonic()
        if time.monotonic() - t0 > 1800:
            fail("did not finish within 30 minutes")
    elapsed = time.monotonic() - t0
    started = min(Delivery.objects.values_list("created_at", flat=True))
    per_channel = Counter(Delivery.objects.values_list("channel", flat=True))
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    print(f"workers: {WORKERS} x {CONCURRENCY}; request (click) took {click_done:.2f}s")
    print(f"statuses: {dict(statuses)}")
    for error, count in Counter(
        Delivery.objects.filter(status=DeliveryStatus.FAILED).values_list("error", flat=True)
    ).most_common(5):
        print(f"failed ({count}): {error[:200]}")
    for channel, count in sorted(per_channel.items()):
        last = max(Delivery.objects.filter(channel=channel).values_list("completed_at", flat=True))
        span = max((last - started).total_seconds(), 1e-6)
        print(f"channel {channel}: {count} invoices, {count / span:.1f} invoices/s")
    print(f"total: {N} invoices in {elapsed:.2f}s")
    print(f"bulk_send_invoices_per_s: {N / elapsed:.1f}")


if __name__ == "__main__":
    main()
