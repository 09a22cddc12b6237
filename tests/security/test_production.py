"""Production mode serves pages: collectstatic, gunicorn + whitenoise, safe defaults.

The app is started the way the README's *Production* section says: DJANGO_DEBUG=0, real
secrets, ALLOWED_HOSTS, collectstatic into STATIC_ROOT, gunicorn on the WSGI application,
behind a TLS-terminating proxy (X-Forwarded-Proto), on the test PostgreSQL database.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from b2cportal.companies.models import Role
from tests.conftest import requires_postgres
from tests.factories import make_branch, make_company, make_customer, make_member

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "pr0d-" + "k3y!x9$q" * 8,
    "NETWORK_WEBHOOK_SECRET": "network-webhook-secret-for-the-production-test",
    "OPERATOR_CREDENTIALS_KEY": "cHJvZHVjdGlvbi10ZXN0LWZlcm5ldC1rZXktMzJieXQ=",
    "ALLOWED_HOSTS": "127.0.0.1",
    "TRUST_X_FORWARDED_PROTO": "1",
    # Production needs an explicit email destination (no silent files); nothing is sent here.
    "EMAIL_URL": "consolemail://",
}


def _env(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "b2cportal.settings",
        "DJANGO_READ_ENV_FILE": "0",
        **extra,
    }


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    user = quote(s["USER"] or "")
    password = f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Client:
    """A tiny HTTP client that talks to gunicorn as the TLS proxy would (X-Forwarded-Proto)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        conn.close()
        return response, content


def _wait_until_up(proc: subprocess.Popen, port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not start")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_production_mode_serves_login_list_and_static_files(tmp_path):
    company = make_company(country="NO")
    make_branch(company=company)
    make_customer(company=company, name="Production Customer")
    user = make_member(company=company, role=Role.ADMINISTRATOR)
    # The test settings hash with MD5 for speed; production verifies with its own hashers.
    user.password = PBKDF2PasswordHasher().encode("a-Real-passw0rd", "productionsalt")
    user.save(update_fields=["password"])
    static_root = tmp_path / "static"
    env = {**PRODUCTION, "DATABASE_URL": _database_url(), "STATIC_ROOT": str(static_root)}

    collected = _manage("collectstatic", "--noinput", **env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert (static_root / "staticfiles.json").exists()

    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "b2cportal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "120",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=_env(**env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(proc, port)
        client = Client(port)
        response, content = client.request("GET", "/accounts/login/")
        page = content.decode()
        assert response.status == 200, log.read_text()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        stylesheet = re.search(
            r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]+\.css)"', page
        )
        assert stylesheet, "the manifest storage must serve hashed static names"
        response, content = client.request("GET", stylesheet.group(1))
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/css")

        response, _ = client.request(
            "POST",
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": token,
                "username": user.username,
                "password": "a-Real-passw0rd",
            },
        )
        assert response.status == 302, log.read_text()

        response, content = client.request("GET", "/customers/")
        assert response.status == 200, log.read_text()
        assert "Production Customer" in content.decode()
        # Every screen renders with the manifest storage (each static file it names exists).
        for path in [
            "/",
            "/customers/new/",
            "/invoices/",
            "/invoices/new/",
            "/agreements/",
            "/settings/",
            "/settings/ledger/",
            "/routing/send/",
            "/routing/billing/",
        ]:
            response, _ = client.request("GET", path)
            assert response.status == 200, (path, log.read_text()[-3000:])
            assert "unsafe-inline" not in response.getheader("Content-Security-Policy", "")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_debug_is_off_unless_switched_on(settings_under):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_DEBUG"}
    assert settings_under(**env)["DEBUG"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me"),
        ("NETWORK_WEBHOOK_SECRET", "dev-only-network-secret"),
        ("DJANGO_SECRET_KEY", "short"),
    ],
)
def test_production_refuses_committed_or_weak_secrets(settings_under, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        settings_under(**{**PRODUCTION, name: value})
