"""Shared fixtures: two companies in two countries, a user per role, the browser.

Under CI=true a skipped test counts as a failure and a missing service stops the run: CI must
prove the suite ran against real PostgreSQL, Redis and Chromium, never quietly less.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

from b2cportal.companies.models import Role

from .factories import make_branch, make_company, make_member

# The fake operator and the operator-mode fixtures, for every test directory.
pytest_plugins = ["tests.network.operator_fixtures"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session):
    if not IN_CI:
        return
    problems = []
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL must point at PostgreSQL in CI")
    elif not _reachable(database_url, 5432):
        problems.append(f"PostgreSQL is not reachable at {database_url}")
    if not broker_url.startswith("redis://"):
        problems.append("CELERY_BROKER_URL must point at Redis in CI")
    elif not _reachable(broker_url, 6379):
        problems.append(f"Redis is not reachable at {broker_url}")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        problems.append(f"Chromium is missing at {CHROMIUM}")
    if problems:
        pytest.exit("CI needs its services: " + "; ".join(problems), returncode=3)


# Thread tests of row locks need PostgreSQL; on a local SQLite run they skip, and under CI (which
# always uses PostgreSQL) a skip would fail the run anyway.
requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="row locks need PostgreSQL: set DATABASE_URL=postgres://... (make test and CI do)",
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped tests fail in CI: {report.longrepr}"


@pytest.fixture(scope="session", autouse=True)
def _empty_tables_by_delete():
    """Transactional tests (browser, worker, lock tests) empty every table afterwards. Django
    does it with one TRUNCATE of all ~50 tables, which PostgreSQL makes cost 0.2-1.5 s (new
    files for each table); a DELETE of the few rows a test leaves takes ~20 ms. Foreign keys
    are deferred to the commit, so the order does not matter. Sequences are not reset either
    way (no test asks for reset_sequences)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One outer transaction around a test module, rolled back after its last test.

    Rows a module-scoped fixture creates inside it (with `django_db_blocker.unblock()`) are
    seen by every `db` test of the module, each of which runs in a savepoint of its own, and
    never outlive the module: heavy data such as the demo is seeded once, not per test. Not for
    modules with transactional tests (they empty the tables and need no open transaction)."""
    from django.db import transaction

    atomic = transaction.atomic()
    atomic._from_testcase = True  # like a test's own transaction (see network_call_guard)
    with django_db_blocker.unblock():
        atomic.__enter__()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_demo(module_db, django_db_blocker):
    """The demo data (`seed_demo`), seeded once for the module: its DemoContext."""
    from b2cportal.companies.demo import seed_demo

    with django_db_blocker.unblock():
        return seed_demo()


@pytest.fixture
def company_no(db):
    company = make_company(country="NO", name="Fjordtech AS", organisation_number="923609016")
    make_branch(company=company, branch_id="MAIN", name="Oslo", is_main_office=True)
    return company


@pytest.fixture
def company_se(db):
    company = make_company(country="SE", name="Svea Handel AB", organisation_number="5560169095")
    make_branch(company=company, branch_id="MAIN", name="Stockholm", is_main_office=True)
    return company


@pytest.fixture
def admin_no(company_no):
    return make_member(company=company_no, role=Role.ADMINISTRATOR, username="admin_no")


@pytest.fixture
def accountant_no(company_no):
    return make_member(company=company_no, role=Role.ACCOUNTANT, username="accountant_no")


@pytest.fixture
def support_no(company_no):
    return make_member(company=company_no, role=Role.SUPPORT, username="support_no")


@pytest.fixture
def admin_se(company_se):
    return make_member(company=company_se, role=Role.ADMINISTRATOR, username="admin_se")


@pytest.fixture
def accountant_se(company_se):
    return make_member(company=company_se, role=Role.ACCOUNTANT, username="accountant_se")


@pytest.fixture
def support_se(company_se):
    return make_member(company=company_se, role=Role.SUPPORT, username="support_se")


# --- Browser tests -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright. Missing Chromium is an error."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    """Log a user in and land on the home page, as the login form does: login(user) -> page.

    The session cookie comes from Django's test client (force_login), ~0.3 s less per test
    than filling the form; the form itself is walked by the screen tests (tests/screens) and
    its bad input by tests/companies/test_browser.py."""
    from django.conf import settings
    from django.test import Client

    def _login(user):
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page.goto("/")
        return page

    return _login


@pytest.fixture
def settings_under(monkeypatch):
    """settings_under(**env) -> the names settings.py defines when it runs with exactly `env`
    (plus PATH and HOME) in the environment, never a developer's .env; raises what it raises.
    What the settings module alone decides, proved without a 3-5 s Django start per case."""
    import runpy

    def _run(**env: str) -> dict:
        for key in list(os.environ):
            if key not in {"PATH", "HOME"}:
                monkeypatch.delenv(key)
        for key, value in {"DJANGO_READ_ENV_FILE": "0", **env}.items():
            monkeypatch.setenv(key, value)
        path = Path(__file__).resolve().parents[1] / "b2cportal" / "settings.py"
        return runpy.run_path(str(path), run_name="settings_under_test")

    return _run


@pytest.fixture(autouse=True)
def _english_unless_a_test_switches():
    """A request that switched language must not leak it into the next test's services."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


# --- No network call inside a database transaction (README, DESIGN §5) ------------------------


def _network_classes():
    from django.utils.module_loading import import_string

    from b2cportal.network.adapter import (
        ADAPTERS,
        ActivationApi,
        ConsumerApi,
        DeliveryApi,
        InboundApi,
    )

    # Import every registered adapter first: an adapter class not imported yet has no
    # subclass entry to wrap.
    for path in ADAPTERS.values():
        try:
            import_string(path)
        except (ImportError, RuntimeError):
            continue  # an adapter whose app is not installed in this configuration

    seen: set[type] = set()
    todo: list[type] = [ActivationApi, ConsumerApi, DeliveryApi, InboundApi]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
    return seen


@pytest.fixture(autouse=True)
def network_call_guard(monkeypatch):
    """Fail any test in which a network method (`NETWORK_CALLS`) is called while one of our
    transactions is open. The test's own atomic blocks (pytest-django's `db` fixture, marked
    `_from_testcase` by Django) do not count; calls the network makes from inside another
    network call do not count either (that is the network's own business)."""
    import functools
    import threading
    import traceback

    from django.db import connections

    from b2cportal.network.adapter import NETWORK_CALLS

    violations: list[str] = []
    inside = threading.local()

    def open_transactions() -> list[str]:
        names = []
        for connection in connections.all(initialized_only=True):
            if any(not block._from_testcase for block in connection.atomic_blocks):
                names.append(connection.alias)
        return names

    def guard(cls, name, method):
        @functools.wraps(method)
        def guarded(*args, **kwargs):
            depth = getattr(inside, "depth", 0)
            if depth == 0:
                aliases = open_transactions()
                if aliases:
                    stack = "".join(traceback.format_stack(limit=12)[:-1])
                    violations.append(
                        f"{cls.__name__}.{name}() called inside a transaction on "
                        f"{', '.join(aliases)}:\n{stack}"
                    )
            inside.depth = depth + 1
            try:
                return method(*args, **kwargs)
            finally:
                inside.depth = depth

        return guarded

    for cls in _network_classes():
        for name in NETWORK_CALLS:
            method = cls.__dict__.get(name)
            if callable(method):
                monkeypatch.setattr(cls, name, guard(cls, name, method))
    yield violations
    if violations:
        pytest.fail("Network call inside a database transaction:\n" + "\n".join(violations[:3]))
