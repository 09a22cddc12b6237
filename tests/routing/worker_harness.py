"""A real Celery worker subprocess against PostgreSQL and Redis, for the reliability tests.

The worker runs with the real settings (eager mode off) and `DATABASE_URL` pointing at the test
database this pytest process created, so both sides see the same rows. Without PostgreSQL and
Redis these tests FAIL with a message saying what is missing: they prove the delivery
guarantees and must never silently not run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BROKER = "redis://127.0.0.1:6379/6"


def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else DEFAULT_BROKER


def require_services() -> None:
    if connection.vendor != "postgresql":
        pytest.fail(
            "Worker reliability tests need PostgreSQL: run them with "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> (SQLite cannot do "
            "select_for_update(skip_locked=True) across processes)."
        )
    try:
        import redis

        redis.Redis.from_url(broker_url(), socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.fail(f"Worker reliability tests need Redis at {broker_url()}: {exc}")


def test_database_url() -> str:
    s = connection.settings_dict
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def use_broker(url: str) -> None:
    """Point this (test) process's publisher at `url`, with eager mode off."""
    from b2cportal.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = url
    app.conf.broker_connection_retry = False
    app.conf.broker_transport_options = {"max_retries": 0}
    # Drop cached pools so the next publish really uses `url` (kombu keeps its own per-URL
    # producer pools globally, so nothing is closed here).
    app._pool = None
    app.amqp._producer_pool = None


def restore_eager() -> None:
    from b2cportal.celery import app

    use_broker(settings.CELERY_BROKER_URL)
    app.conf.task_always_eager = True


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(broker_url()).flushdb()


class Worker:
    def __init__(self, tmp_path: Path, concurrency: int = 2, **env: str) -> None:
        self.tmp_path = tmp_path
        self.concurrency = concurrency
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.log = tmp_path / f"worker-{time.monotonic_ns()}.log"

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "b2cportal.settings",
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": broker_url(),
            "PRINT_SPOOL_DIR": str(settings.PRINT_SPOOL_DIR),
            # An absolute file URL: "filemail://" + "/tmp/..." would parse as a relative path.
            "EMAIL_URL": f"filemail:///{self.tmp_path / 'mail'}",
            "DJANGO_DEBUG": "1",
            **self.env,
        }
        handle = open(self.log, "wb")  # noqa: SIM115 - lives as long as the worker
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "b2cportal",
                "worker",
                "-c",
                str(self.concurrency),
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: b"ready." in self.log.read_bytes(), timeout, "worker ready")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool children)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """End of a test: SIGKILL at once. No test asserts on a graceful stop (a warm shutdown
        took 1-4 s per worker); the broker is flushed and the tables emptied afterwards, and
        PostgreSQL rolls back whatever a killed connection had open."""
        self.kill()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
