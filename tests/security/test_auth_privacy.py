"""Authentication and privacy: lockout, CSP, national IDs out of URLs and logs, support writes."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.urls import get_resolver, reverse
from django.utils import timezone

from agreements.models import ConsumerAgreement
from b2cportal.companies.models import SwedenB2CActivation
from b2cportal.log_masking import MaskingFormatter
from tests.factories import (
    SE_PERSONNUMMER_12,
    invoice_ready_company,
    make_customer,
    make_invoice,
    make_user,
)
from tests.security.post_bodies import realistic_post
from tests.test_tenant_isolation import OBJECT_FACTORIES, _walk

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"


# --- Lockout ---------------------------------------------------------------------------------


def _fail(client, username: str, ip: str):
    return client.post(
        LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip, follow=False
    )


def test_lockout_holds_per_username_across_addresses_and_cools_off(client):
    make_user(username="kari", password="right-pw")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(settings.AXES_FAILURE_LIMIT):
            _fail(client, "kari", f"10.0.0.{n + 1}")
        # The right password from yet another address is still refused: the account is locked.
        response = client.post(
            LOGIN, {"username": "kari", "password": "right-pw"}, REMOTE_ADDR="10.0.9.9"
        )
        assert response.status_code in (403, 429)
    # Not forever: after the short cool-off the owner gets in.
    assert timedelta(hours=1) >= settings.AXES_COOLOFF_TIME
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = client.post(
            LOGIN, {"username": "kari", "password": "right-pw"}, REMOTE_ADDR="10.0.9.9"
        )
        assert response.status_code == 302


def test_lockout_holds_per_address_across_usernames(client):
    make_user(username="ola", password="right-pw")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, f"guess{n}", "10.1.1.1")
    response = client.post(
        LOGIN, {"username": "ola", "password": "right-pw"}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code in (403, 429)
    # Another address is not affected.
    response = client.post(
        LOGIN, {"username": "ola", "password": "right-pw"}, REMOTE_ADDR="10.1.1.2"
    )
    assert response.status_code == 302


def test_the_readme_says_how_to_configure_the_client_ip_behind_a_proxy():
    readme = (ROOT / "README.md").read_text()
    assert "AXES_PROXY_COUNT" in readme
    assert "AXES_META_PRECEDENCE_ORDER" in readme


# --- Content-Security-Policy ---------------------------------------------------------------


class _InlineFinder(HTMLParser):
    """Collects inline scripts, event-handler attributes, style attributes, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self._in_inline_script = True
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def test_every_page_sends_a_strict_content_security_policy(client, admin_no):
    response = client.get(LOGIN)
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    client.force_login(admin_no)
    assert "unsafe-inline" not in client.get("/customers/").headers["Content-Security-Policy"]


def test_no_template_needs_unsafe_inline():
    """Every template (project, apps, admin overrides): no inline script, handler or style."""
    problems = {}
    for path in ROOT.rglob("templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        finder = _InlineFinder()
        finder.feed(path.read_text())
        if finder.problems:
            problems[str(path.relative_to(ROOT))] = finder.problems
    assert not problems


def test_rendered_pages_carry_no_inline_script(client, company_no, admin_no):
    invoice = make_invoice(company=invoice_ready_company(company_no))
    admin_no.is_staff = admin_no.is_superuser = True  # the admin's pages too
    admin_no.save()
    client.force_login(admin_no)
    problems = {}
    for url in [
        "/",
        "/customers/",
        "/customers/new/",
        "/invoices/",
        "/invoices/new/",
        f"/invoices/{invoice.pk}/",
        "/agreements/",
        "/settings/",
        "/settings/ledger/",
        "/routing/send/",
        "/admin/",
        "/admin/customers/customer/",
        f"/admin/customers/customer/{invoice.customer_id}/change/",
        f"/admin/invoices/invoice/{invoice.pk}/change/",
        f"/admin/companies/company/{company_no.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        finder = _InlineFinder()
        finder.feed(response.content.decode())
        if finder.problems:
            problems[url] = finder.problems
    assert not problems


# --- National identity numbers never in URLs or logs ----------------------------------------


@pytest.mark.parametrize("screen", ["customers:list", "agreements:list"])
def test_search_by_national_id_never_puts_it_in_a_url(client, company_se, admin_se, screen):
    customer = make_customer(
        company=company_se, name="Sven Hemlig", national_id=SE_PERSONNUMMER_12, country="SE"
    )
    if screen == "agreements:list":
        ConsumerAgreement.objects.create(
            customer=customer,
            branch=company_se.branches.first(),
            network="SE_BANK",
            status="ACTIVE",
            reference=f"{SE_PERSONNUMMER_12}.NB.SE",
            source="fmi",
        )
    client.force_login(admin_se)
    list_url = reverse(screen)
    page = client.get(list_url).content.decode()
    form = re.search(r"<form[^>]*data-testid=\"(customer|agreement)-filters\"[^>]*>", page).group(0)
    assert 'method="post"' in form.lower()

    response = client.post(list_url, {"q": "811218-9876"})
    assert response.status_code == 302
    location = response["Location"]
    assert "9876" not in location
    assert "811218" not in location
    response = client.get(location)
    body = response.content.decode()
    assert "Sven Hemlig" in body
    assert "811218" not in "".join(re.findall(r'href="([^"]*)"', body))


def test_national_ids_are_masked_in_log_lines():
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, MaskingFormatter)
    )
    record = logging.LogRecord(
        "agreements",
        logging.WARNING,
        __file__,
        1,
        "Customer %s failed",
        (SE_PERSONNUMMER_12,),
        None,
    )
    line = handler.format(record)
    assert SE_PERSONNUMMER_12 not in line
    assert "19811218****" in line


def test_fmi_references_are_masked_in_lists_and_exports(client, company_se, admin_se):
    customer = make_customer(company=company_se, national_id=SE_PERSONNUMMER_12, country="SE")
    SwedenB2CActivation.objects.create(branch=company_se.branches.first(), status="active")
    ConsumerAgreement.objects.create(
        customer=customer,
        branch=company_se.branches.first(),
        network="SE_BANK",
        status="ACTIVE",
        reference=f"{SE_PERSONNUMMER_12}.NB.SE",
        source="fmi",
    )
    client.force_login(admin_se)
    listing = client.get(reverse("agreements:list")).content.decode()
    export = b"".join(client.get(reverse("agreements:export")).streaming_content).decode()
    for text in (listing, export):
        assert SE_PERSONNUMMER_12 not in text
        assert "19811218-****.NB.SE" in text


# --- Support users cannot write ------------------------------------------------------------

# POSTs a support member may make: they change nothing of the company's data.
SUPPORT_MAY_POST = {
    "login": "logging in",
    "logout": "logging out",
    "switch_company": "choosing among their own companies",
    "switch_branch": "choosing a branch",
    "set_language": "the interface language",
    "customers:list": "a search (kept in the session, out of the URL)",
    "agreements:list": "a search (kept in the session, out of the URL)",
    "agreements:request": "README: support may send an agreement request",
    "agreements:resend": "README: support may resend an agreement request",
    "agreements:inbound": "the network's signed endpoint: no login, refused unsigned",
    "companies:terms": "the signer's one-time link (no login)",
    "operator-webhook": "the operator's hint to poll: no login, an unknown token is refused",
}
# The simulated network's own pages are fenced by the simulator app (issue 9 part 2).
SIMULATOR_NAMESPACES = ("simulator:", "simulator_")


def _post_urls():
    for name, has_params in sorted(set(_walk(get_resolver()))):
        if name in SUPPORT_MAY_POST or name.startswith(SIMULATOR_NAMESPACES):
            continue
        yield name, has_params


def _snapshot() -> dict[str, list]:
    """Every row of the project's own apps: a POST that writes anything changes this."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in OWN_APPS:
            rows[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return rows


OWN_APPS = {"companies", "customers", "agreements", "invoices", "routing", "simulator"}


@pytest.mark.parametrize(("name", "has_params"), list(_post_urls()))
def test_support_cannot_post_any_write(client, company_no, support_no, name, has_params):
    invoice_ready_company(company_no)
    make_customer(company=company_no, number="50001")
    kwargs = OBJECT_FACTORIES[name](company_no).kwargs if has_params else {}
    url = reverse(name, kwargs=kwargs)
    client.force_login(support_no)
    before = _snapshot()
    response = client.post(url, realistic_post(name, company_no, kwargs))
    assert response.status_code < 500, name
    assert _snapshot() == before, f"support wrote through POST {name}"


def test_admin_lists_mask_fmi_and_do_not_search_national_ids(client, company_se):
    from agreements.admin import ConsumerAgreementAdmin
    from b2cportal.customers.admin import CustomerAdmin

    assert not any("national_id" in f for f in CustomerAdmin.search_fields)
    assert not any("national_id" in f for f in ConsumerAgreementAdmin.search_fields)
    customer = make_customer(company=company_se, national_id=SE_PERSONNUMMER_12, country="SE")
    ConsumerAgreement.objects.create(
        customer=customer,
        branch=company_se.branches.first(),
        network="SE_BANK",
        status="ACTIVE",
        reference=f"{SE_PERSONNUMMER_12}.NB.SE",
        source="fmi",
    )
    client.force_login(make_user(is_staff=True, is_superuser=True))
    page = client.get("/admin/agreements/consumeragreement/").content.decode()
    assert SE_PERSONNUMMER_12 not in page
    assert "19811218-****.NB.SE" in page


def test_the_export_and_paging_carry_only_the_search_token(client, company_se, admin_se):
    from b2cportal.search_stash import MAX_STASHED

    branch = company_se.branches.first()
    for name, ssn in (("Sven Hemlig", SE_PERSONNUMMER_12), ("Anna Annan", "")):
        ConsumerAgreement.objects.create(
            customer=make_customer(company=company_se, name=name, national_id=ssn, country="SE"),
            branch=branch,
            network="SE_BANK",
            status="ACTIVE",
            reference=name,
            source="fmi",
        )
    client.force_login(admin_se)
    location = client.post(reverse("agreements:list"), {"q": SE_PERSONNUMMER_12})["Location"]
    token = location.split("s=", 1)[1]
    page = client.get(location).content.decode()
    assert f'export.csv?s={token}"' in page
    export = b"".join(client.get(f"{reverse('agreements:export')}?s={token}").streaming_content)
    assert b"Sven Hemlig" in export
    assert b"Anna Annan" not in export
    # Old searches fall out of the session; an unknown token shows the whole list.
    for n in range(MAX_STASHED):
        client.post(reverse("agreements:list"), {"q": f"x{n}"})
    page = client.get(location).content.decode()
    assert "Sven Hemlig" in page
    assert "Anna Annan" in page
