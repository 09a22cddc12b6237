"""`manage.py run_all` (what `make run` starts): the port, the URL, and stopping cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.add(child)
            pending.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _run_all(port: int, folder: Path) -> tuple[subprocess.Popen, Path]:
    """As `make run` does: development settings, links that follow the port, and the embedded
    broker (its own, so the worker never picks up tasks other tests left on the shared one).
    The output goes to a file: three chatty processes would fill a pipe nobody reads until the
    end, and block."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{folder / 'broker.sqlite3'}",
    }
    env.pop("SITE_URL", None)
    log = folder / "run_all.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_all", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return process, log


def test_a_taken_port_is_a_clear_error_and_a_non_zero_exit(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, log = _run_all(port, tmp_path)
        process.wait(timeout=60)
    output = log.read_text()
    assert process.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in output
    # Refused before anything started: no Celery banner, no server banner.
    assert "celery@" not in output
    assert "starting at" not in output


def test_sigterm_stops_web_worker_and_beat_within_ten_seconds(tmp_path):
    port = _free_port()
    process, log = _run_all(port, tmp_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5):
                    break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the web server never answered"
                time.sleep(0.5)
        # Web, worker (with its pool) and beat are running.
        deadline = time.monotonic() + 60
        while len(children := _descendants(process.pid)) < 4:
            assert time.monotonic() < deadline, f"only {children} started"
            time.sleep(0.5)
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        while any(_alive(pid) for pid in children):
            assert time.monotonic() - stopped_at < 10, "a child outlived the 10 s"
            time.sleep(0.2)
    finally:
        # A failed run must not leave web, worker or beat behind for the tests after it.
        for pid in _descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert f"b2cportal is starting at http://127.0.0.1:{port}/" in output
    assert f"Links in emails and SMS use http://127.0.0.1:{port}" in output
