"""Start web, Celery worker and Celery beat together for development and demos.

The worker and beat are real Celery processes on the configured broker (by default SQLAlchemy
over an SQLite file, which needs no server).

- A taken port is refused before anything starts (a clear error and a non-zero exit).
- Ctrl-C or SIGTERM stops all three within `STOP_GRACE_SECONDS` + a moment: each child runs in
  its own process group (so its pool processes go with it), gets SIGTERM, and whatever is still
  running after the grace period is killed. A Celery worker's warm shutdown otherwise waits for
  the broker and running tasks for a minute or more.
- A child that dies on its own stops the others and the command exits non-zero.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

STOP_GRACE_SECONDS = 6.0


class _Stop(Exception):
    """Raised in the main loop by the SIGTERM handler."""


def split_addrport(addrport: str) -> tuple[str, int]:
    host, _, port = addrport.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"{addrport!r} is not a valid address: use HOST:PORT or PORT.")
    return host or "127.0.0.1", int(port)


def ensure_port_free(host: str, port: int) -> None:
    """Refuse to start when another program listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is already in use. Stop the program using it or "
                    f"choose another port: make run PORT=8001"
                ) from exc
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc


def stop_children(children: dict[str, subprocess.Popen], grace: float) -> None:
    """SIGTERM every child's process group, then SIGKILL what is left after `grace` seconds."""
    for child in children.values():
        if child.poll() is None:
            _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children.values():
        # The group too: a worker's pool processes outlive a killed parent otherwise.
        _signal_group(child, signal.SIGKILL)
        if child.poll() is None:
            child.wait(timeout=5)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--check-port",
            action="store_true",
            help="Only check that the port is free (make run does, before migrating).",
        )

    def handle(self, *args, addrport: str, concurrency: int, check_port: bool, **options):
        host, port = split_addrport(addrport if ":" in addrport else f"127.0.0.1:{addrport}")
        ensure_port_free(host, port)
        if check_port:
            return
        addrport = f"{host}:{port}"
        url = f"http://{addrport}/"
        # Links in emails and SMS must point at this server unless SITE_URL says otherwise.
        # (The children read it from their environment; an explicit SITE_URL wins.)
        site_url = os.environ.setdefault("SITE_URL", url.rstrip("/"))
        settings.VAR_DIR.mkdir(exist_ok=True)  # the default SQLite database, broker and beat files
        self._print_banner(url, site_url)

        def on_sigterm(signum, frame):
            raise _Stop

        previous = signal.signal(signal.SIGTERM, on_sigterm)
        celery = [sys.executable, "-m", "celery", "-A", "b2cportal"]
        commands = {
            "web": [sys.executable, "manage.py", "runserver", addrport, "--noreload"],
            "worker": [*celery, "worker", "--loglevel=INFO", f"--concurrency={concurrency}"],
            "beat": [
                *celery,
                "beat",
                "--loglevel=INFO",
                "-s",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ],
        }
        children: dict[str, subprocess.Popen] = {}
        failed = None
        try:
            for name, command in commands.items():
                # Own process group: Ctrl-C reaches only us, and we stop each child with its pool.
                children[name] = subprocess.Popen(command, start_new_session=True)
            while failed is None:
                time.sleep(0.3)
                failed = next(
                    ((n, c.returncode) for n, c in children.items() if c.poll() is not None),
                    None,
                )
        except (KeyboardInterrupt, _Stop):
            self.stdout.write("\nStopping web, worker and beat…")
        finally:
            stop_children(children, STOP_GRACE_SECONDS)
            signal.signal(signal.SIGTERM, previous)
        if failed is not None:
            name, status = failed
            raise CommandError(f"The {name} process stopped (status {status}); stopped the rest.")
        self.stdout.write("Stopped.")

    def _print_banner(self, url: str, site_url: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nb2cportal is starting at {url}"))
        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL}")
        self.stdout.write(
            f"Database: {settings.DATABASES['default']['ENGINE']} "
            f"{settings.DATABASES['default']['NAME']}"
        )
        self.stdout.write(f"Links in emails and SMS use {site_url}")
        rules = settings.EINVOICE_RULES_DIR
        if rules:
            self.stdout.write(f"Validation rules (CEN + Peppol): {rules}")
        else:
            self.stdout.write(
                self.style.WARNING("EINVOICE_RULES_DIR is not set: Validate checks the XSD only.")
            )
        if settings.EMAIL_FILE_PATH:
            self.stdout.write(f"Emails are written as files to {settings.EMAIL_FILE_PATH}/")
        self.stdout.write("Demo logins (password 'demo'): see the list printed by seed_demo.\n")
