"""Start web, Celery worker and Celery beat together for development and demos.

The worker and beat are real Celery processes on the configured broker (by default SQLAlchemy
over an SQLite file, which needs no server). Ctrl-C stops all three.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, addrport: str, concurrency: int, **options):
        celery = [sys.executable, "-m", "celery", "-A", "b2cportal"]
        # Links in emails and SMS must point at this server unless SITE_URL says otherwise.
        os.environ.setdefault("SITE_URL", f"http://{addrport}")
        children = [
            subprocess.Popen(
                [*celery, "worker", "--loglevel=INFO", f"--concurrency={concurrency}"]
            ),
            subprocess.Popen(
                [*celery, "beat", "--loglevel=INFO", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME]
            ),
        ]
        url = f"http://{addrport}/"
        self.stdout.write(self.style.SUCCESS(f"\nb2cportal is starting at {url}"))
        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL}")
        self.stdout.write(
            f"Database: {settings.DATABASES['default']['ENGINE']} "
            f"{settings.DATABASES['default']['NAME']}"
        )
        self.stdout.write(f"Links in emails and SMS use {os.environ['SITE_URL']}")
        if getattr(settings, "EMAIL_FILE_PATH", None):
            self.stdout.write(f"Emails are written as files to {settings.EMAIL_FILE_PATH}/")
        self.stdout.write("Demo logins (password 'demo'): see the list printed by seed_demo.\n")
        web = subprocess.Popen([sys.executable, "manage.py", "runserver", addrport, "--noreload"])
        children.append(web)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
