"""Production settings: the deploy check passes with secrets set, and fails without them.

The deploy check and the embedded broker run manage.py in a subprocess with a clean
environment; what the settings module alone decides (refusing to start, which mail backend) is
read by executing settings.py in this process under an equally clean environment
(the `settings_under` fixture), which proves the same thing without a 3-5 s Django start per case.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "b2cportal.settings",
        # Never read a developer's .env: the test must see exactly these variables.
        "DJANGO_READ_ENV_FILE": "0",
        "DATABASE_URL": "sqlite:///:memory:",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x9$k2!" * 10 + "production-grade-secret-key-for-the-check",
    "NETWORK_WEBHOOK_SECRET": "another-long-secret-for-the-network-webhook",
    "ALLOWED_HOSTS": "b2cportal.example.com",
    "OPERATOR_CREDENTIALS_KEY": "FJgvNl3_ZvwIigsQi5P-VEFxiL_1GKX_a0H2QLpcGkk=",
    "EMAIL_URL": "smtp+tls://mailer:password@mail.example.com:587",
}


def test_check_deploy_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_hardening_is_switched_off():
    """The positive control: the same check does catch an insecure production setup."""
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SESSION_COOKIE_SECURE="0"
    )
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


# EMAIL_URL too: production never falls back to writing customers' email to files.
@pytest.mark.parametrize(
    "name", ["DJANGO_SECRET_KEY", "NETWORK_WEBHOOK_SECRET", "OPERATOR_CREDENTIALS_KEY", "EMAIL_URL"]
)
def test_startup_fails_without_each_secret_in_production(settings_under, name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}
    with pytest.raises(ImproperlyConfigured, match=name):
        settings_under(**env)


def test_debug_runs_without_any_secrets(settings_under):
    settings = settings_under(DJANGO_DEBUG="1")
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"] == "dev-only-insecure-key-change-me"


def test_without_email_url_mail_is_written_under_var_mail(settings_under):
    settings = settings_under(DJANGO_DEBUG="1")
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(settings["EMAIL_FILE_PATH"]) == ROOT / "var" / "mail"


def test_email_url_switches_to_smtp(settings_under):
    settings = settings_under(EMAIL_URL="smtp+tls://user:pw@mail.example.com:587", DJANGO_DEBUG="1")
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["EMAIL_HOST"] == "mail.example.com"


def test_the_embedded_broker_accepts_a_published_task(tmp_path):
    """`make run` uses SQLAlchemy over SQLite as the broker: the short-connect options meant for
    Redis must not reach SQLAlchemy's create_engine(), or beat and every send publish nothing."""
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from b2cportal.celery import app; app.send_task('routing.tasks.sweep_deliveries')",
        DJANGO_DEBUG="1",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
