"""Every URL that takes an object id is closed to other companies and to anonymous users.

The test walks the project's whole URL tree. Each named pattern with a parameter must have an
entry in `OBJECT_FACTORIES` (the meta-test fails otherwise), so a new detail/edit/export view
cannot ship without being checked here. To register yours, add a factory:

    def make_invoice_for_company_no(company):
        invoice = make_invoice(company=company, ...)
        return Target(kwargs={"pk": invoice.pk}, secrets=[invoice.customer.name, ...])

    OBJECT_FACTORIES["invoices:detail"] = make_invoice_for_company_no

`company` is the owner, Norwegian or Swedish (the walk runs in both directions: NO users against
SE objects and the reverse), and the object must belong to it. `secrets` are strings that must
never appear in a response to someone else (names, numbers, identifiers). Foreign users POST
the screen's own realistic body (tests/security/post_bodies.py), so a view that processed its
form before its lookup would be caught. The admin's change pages are walked below too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import NO_FODSELSNUMMER, SE_PERSONNUMMER_12, make_customer

pytestmark = pytest.mark.django_db

# The simulator's pages are walked too: the online bank link by tenant (OBJECT_FACTORIES), the
# network's own side by role (OPERATOR_URLS).
# api: the REST API authenticates with API keys, not sessions; tests/api/test_tenant_isolation.py
# walks every API URL the same way (another company's ids and keys → 404, with its own meta-test).
EXCLUDED_NAMESPACES = {"admin", "api"}


# Public on purpose: reached from an email or a consumer's browser without a login, addressed by
# a signed one-time token or a random reference, never by one of our sequential ids.
PUBLIC_URLS = {
    "companies:terms": "signed, expiring one-time link to accept the terms of service",
    "operator-webhook": "the operator's notification hook, addressed by a random per-company "
    "token; it only triggers a poll of that company's deliveries",
}


@dataclass
class Target:
    kwargs: dict
    secrets: list[str] = field(default_factory=list)
    # "post" for POST-only actions: GET answers 405 before any lookup (revealing nothing), and
    # the owner's positive control is a POST that must not be a 404.
    method: str = "get"


def _national_id(company) -> str:
    return NO_FODSELSNUMMER if company.country == "NO" else SE_PERSONNUMMER_12


def make_customer_for_company_no(company) -> Target:
    customer = make_customer(
        company=company,
        number="31337",
        name="Hemmelig Kunde",
        email="hemmelig@kunde.example",
        national_id=_national_id(company),
    )
    return Target(kwargs={"pk": customer.pk}, secrets=["Hemmelig Kunde", "hemmelig@kunde.example"])


def make_branch_for_company_no(company) -> Target:
    branch = company.branches.get(is_main_office=True)
    branch.rf1301_contact_name = "Hemmelig Kontakt"
    branch.save()
    return Target(kwargs={"pk": branch.pk}, secrets=["Hemmelig Kontakt"])


def make_activation_request_for_company_no(company) -> Target:
    from simulator.models import ActivationRequest

    request = ActivationRequest.objects.create(
        service="b2cno" if company.country == "NO" else "b2cse",
        organisation_number=company.organisation_number,
        completes_at=timezone.now() + timedelta(hours=1),
    )
    return Target(kwargs={"reference": request.reference}, method="post")


def make_bank_link_for_company_no(company) -> Target:
    """The simulated online bank page an agreement request links to (signed one-time token)."""
    from b2cportal.network.adapter import get_network

    customer = make_customer(company=company, number="31339", name="Hemmelig Bankkunde")
    url = get_network().agreement_acceptance_link(
        issuer_organisation_number=company.organisation_number,
        issuer_name="Hemmelig Utsteder AS",
        branch_reference="MAIN",
        customer_reference=customer.number,
    )
    return Target(kwargs={"token": url.rstrip("/").rsplit("/", 1)[1]}, secrets=["31339"])


def make_fui_for_company_no(company) -> Target:
    return Target(kwargs={"fui": "005560169095.00002222222.FSPA.SE"})


# The simulated network's own side: for simulator operators (and superusers) only, whatever the
# company; every company user of either country gets 403.
OPERATOR_URLS: dict[str, Callable[..., Target]] = {
    "simulator:activation_complete": make_activation_request_for_company_no,
    "simulator_consumers:onboarding": make_fui_for_company_no,
}


def _invoice_for_company_no(company, *, released: bool = False):
    from invoices.services import release_invoice
    from tests.factories import invoice_ready_company, make_invoice

    invoice_ready_company(company)
    customer = make_customer(company=company, number="31338", name="Hemmelig Fakturakunde")
    invoice = make_invoice(company=company, customer=customer)
    if released:
        invoice = release_invoice(invoice=invoice, released_by=None)
    return invoice


def make_draft_invoice_for_company_no(company, method: str = "get") -> Target:
    invoice = _invoice_for_company_no(company)
    return Target(kwargs={"pk": invoice.pk}, secrets=["Hemmelig Fakturakunde"], method=method)


def make_released_invoice_for_company_no(company) -> Target:
    invoice = _invoice_for_company_no(company, released=True)
    return Target(kwargs={"pk": invoice.pk}, secrets=["Hemmelig Fakturakunde"])


def make_draft_invoice_for_post(company) -> Target:
    return make_draft_invoice_for_company_no(company, method="post")


def make_agreement_for_company_no(company) -> Target:
    from agreements.models import ConsumerAgreement
    from b2cportal.companies.models import NorwayB2CActivation, SwedenB2CActivation

    target = make_customer_for_company_no(company)
    branch = company.branches.get(is_main_office=True)
    norwegian = company.country == "NO"
    activation = NorwayB2CActivation if norwegian else SwedenB2CActivation
    activation.objects.update_or_create(branch=branch, defaults={"status": "active"})
    agreement = ConsumerAgreement.objects.create(
        customer_id=target.kwargs["pk"],
        branch=branch,
        network="NO_EFAKTURA" if norwegian else "SE_BANK",
        status="REQUEST_SENT" if norwegian else "ACTIVE",
        reference="31337" if norwegian else f"{SE_PERSONNUMMER_12}.NB.SE",
        source="request_email" if norwegian else "fmi",
    )
    return Target(kwargs={"pk": agreement.pk}, secrets=target.secrets)


OBJECT_FACTORIES: dict[str, Callable[..., Target]] = {
    "customers:detail": make_customer_for_company_no,
    "customers:edit": make_customer_for_company_no,
    "companies:branch_altinn": make_branch_for_company_no,
    "simulator_consumers:bank": make_bank_link_for_company_no,
    "invoices:detail": make_draft_invoice_for_company_no,
    "invoices:edit": make_draft_invoice_for_company_no,
    "invoices:xml": make_draft_invoice_for_company_no,
    "invoices:pdf": make_draft_invoice_for_company_no,
    "invoices:validate": make_draft_invoice_for_post,
    "invoices:release": make_draft_invoice_for_post,
    "invoices:delete": make_draft_invoice_for_post,
    "invoices:credit": make_released_invoice_for_company_no,
    "agreements:customer": make_customer_for_company_no,
    "agreements:request": make_customer_for_company_no,
    "agreements:check": make_customer_for_company_no,
    "agreements:resend": make_agreement_for_company_no,
    "agreements:delete": make_agreement_for_company_no,
}


# --- Routing (owned by the routing helper) ----------------------------------------------------


def make_open_invoice_for_company_no(company) -> Target:
    from b2cportal.customers.models import Customer
    from tests.routing.builders import make_open_invoice

    target = make_customer_for_company_no(company)
    customer = Customer.objects.get(pk=target.kwargs["pk"])
    invoice = make_open_invoice(company=company, customer=customer)
    return Target(kwargs={"pk": invoice.pk}, secrets=[*target.secrets, invoice.number])


def make_bulk_send_for_company_no(company) -> Target:
    from routing import services

    target = make_open_invoice_for_company_no(company)
    bulk = services.send_invoices(
        company=company, invoice_ids=[target.kwargs["pk"]], acting_user=None
    )
    return Target(kwargs={"pk": bulk.pk}, secrets=target.secrets)


def make_inbox_document_for_company_no(company) -> Target:
    from simulator.models import InboxDocument

    item = InboxDocument.objects.create(
        document_uuid="0c8a7a3e-2a43-4a43-9d0c-5b8a8d3a1f01",
        kind="efaktura" if company.country == "NO" else "bank_se",
        recipient=_national_id(company),
        recipient_name="Hemmelig Kunde",
        issuer_identifier=company.organisation_number,
        document_number="31337",
        content_type="application/xml",
        content=b"<Invoice>Hemmelig Kunde</Invoice>",
    )
    return Target(kwargs={"pk": item.pk}, secrets=["Hemmelig Kunde"])


@pytest.fixture(autouse=True)
def _print_spool(settings, tmp_path):
    """The spool factory below writes files; keep them in this test's own folder."""
    settings.PRINT_SPOOL_DIR = tmp_path / "spool"


def make_print_spool_pdf_for_company_no(company) -> Target:
    import uuid

    from django.conf import settings

    document = uuid.UUID("4f1b7e0a-3c0e-4d3b-9a7e-2f1e5d6c7b8a")
    day = Path(str(settings.PRINT_SPOOL_DIR)) / "2026-11-20"
    day.mkdir(parents=True, exist_ok=True)
    (day / f"{document}.pdf").write_bytes(b"%PDF-1.4 Hemmelig Kunde")
    (day / "manifest.csv").write_text(
        f"{document}.pdf,{company.organisation_number},31337,Hemmelig Kunde,Gate 1,0155,Oslo,"
        f"{company.country}\n"
    )
    return Target(kwargs={"document": document}, secrets=["Hemmelig Kunde"])


def make_failed_delivery_for_company_no(company) -> Target:
    """An open invoice whose delivery failed: *Re-route* (POST only) would act on it."""
    from invoices.models import Invoice
    from routing.models import Delivery, DeliveryStatus

    target = make_open_invoice_for_company_no(company)
    invoice = Invoice.objects.get(pk=target.kwargs["pk"])
    Delivery.objects.create(
        company=company,
        branch=invoice.branch,
        invoice=invoice,
        status=DeliveryStatus.FAILED,
        channel="efaktura_no" if company.country == "NO" else "bank_se",
        external_id=invoice.document_uuid,
        error="The receiver rejected the document.",
    )
    return Target(kwargs=target.kwargs, secrets=target.secrets, method="post")


OBJECT_FACTORIES.update(
    {
        "simulator_deliveries:print_spool_pdf": make_print_spool_pdf_for_company_no,
        "routing:reroute": make_failed_delivery_for_company_no,
        "routing:send": make_open_invoice_for_company_no,
        "routing:poll": make_open_invoice_for_company_no,
        "routing:bulk_detail": make_bulk_send_for_company_no,
        "routing:bulk_status": make_bulk_send_for_company_no,
        "simulator_deliveries:document": make_inbox_document_for_company_no,
    }
)


# --- API keys (owned by the api helper) -------------------------------------------------------


def make_api_key_for_company_no(company) -> Target:
    from api.services import create_api_key
    from tests.factories import make_member

    creator = make_member(company=company, role="administrator", username="key-creator")
    api_key, _raw = create_api_key(
        company=company, acting_user=creator, name="Hemmelig ERP", scopes=["read"]
    )
    return Target(kwargs={"pk": api_key.pk}, secrets=["Hemmelig ERP"], method="post")


OBJECT_FACTORIES["api_keys:revoke"] = make_api_key_for_company_no


def _walk(
    resolver: URLResolver, namespace: str = "", inherited: bool = False
) -> Iterator[tuple[str, bool]]:
    """(name, takes parameters) for every named pattern; parameters may sit in an include."""
    for entry in resolver.url_patterns:
        has_params = inherited or bool(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            if inner in EXCLUDED_NAMESPACES:
                continue
            prefix = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            yield from _walk(entry, prefix, has_params)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), has_params


def urls_with_ids() -> list[str]:
    return sorted({name for name, has_params in _walk(get_resolver()) if has_params})


def test_every_url_with_an_id_is_registered():
    missing = [
        name
        for name in urls_with_ids()
        if name not in OBJECT_FACTORIES and name not in PUBLIC_URLS and name not in OPERATOR_URLS
    ]
    assert not missing, (
        f"URLs taking an object id without an OBJECT_FACTORIES entry in {__name__}: {missing}"
    )


def test_the_walk_finds_the_customer_urls():
    assert {"customers:detail", "customers:edit"} <= set(urls_with_ids())
    assert "customers:list" not in urls_with_ids()


# Both directions: the owner's object, the other country's users.
DIRECTIONS = {
    "NO-object-SE-users": ("company_no", ("accountant_se", "admin_se", "support_se")),
    "SE-object-NO-users": ("company_se", ("accountant_no", "admin_no", "support_no")),
}
OWNER_ADMIN = {"company_no": "admin_no", "company_se": "admin_se"}
# Screens of Norway-only concepts (RF-1301 is a Norwegian form): 404 for a Swedish company.
NORWAY_ONLY = {"companies:branch_altinn"}


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
@pytest.mark.parametrize("name", sorted(OBJECT_FACTORIES))
def test_other_company_gets_404(client, request, name, direction):
    from tests.security.post_bodies import realistic_post

    owner_fixture, user_fixtures = DIRECTIONS[direction]
    owner = request.getfixturevalue(owner_fixture)
    target = OBJECT_FACTORIES[name](owner)
    url = reverse(name, kwargs=target.kwargs)
    body = realistic_post(name, owner, target.kwargs)
    for user in [request.getfixturevalue(f) for f in user_fixtures]:
        client.force_login(user)
        for method in ("get", "post"):
            response = client.get(url) if method == "get" else client.post(url, body)
            allowed = {404, 405} if target.method == "post" and method == "get" else {404}
            if user.memberships.get().role == "support":
                allowed |= {403}  # refused by role for every id alike: tells nothing
            assert response.status_code in allowed, (name, user, method)
            for secret in target.secrets:
                assert secret.encode() not in response.content


@pytest.mark.parametrize("name", sorted(OBJECT_FACTORIES))
def test_anonymous_is_sent_to_login(client, company_no, name):
    target = OBJECT_FACTORIES[name](company_no)
    url = reverse(name, kwargs=target.kwargs)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code in (302, 403, 404, 405), (name, method)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))
        for secret in target.secrets:
            assert secret.encode() not in response.content


@pytest.mark.parametrize("owner_fixture", sorted(OWNER_ADMIN))
@pytest.mark.parametrize("name", sorted(OBJECT_FACTORIES))
def test_own_company_can_open_it(client, request, name, owner_fixture):
    """The positive control: the same URL works for the owner, so a 404 above means scoping."""
    owner = request.getfixturevalue(owner_fixture)
    target = OBJECT_FACTORIES[name](owner)
    client.force_login(request.getfixturevalue(OWNER_ADMIN[owner_fixture]))
    url = reverse(name, kwargs=target.kwargs)
    if owner.country != "NO" and name in NORWAY_ONLY:
        # A Swedish company never sees Norway-only screens.
        assert client.get(url).status_code == 404
    elif target.method == "post":
        assert client.post(url).status_code not in (403, 404, 405)
    else:
        assert client.get(url).status_code == 200


# --- The Django admin: change pages of the other company's rows --------------------------------


def _admin_objects(company):
    """One row per tenant-scoped admin model, with the strings that must not leak."""
    from agreements.models import ConsumerAgreement
    from b2cportal.companies.models import (
        AutoInvoiceSettings,
        Branch,
        Company,
        CustomerLedgerPreferences,
        Membership,
    )
    from b2cportal.customers.models import Customer
    from invoices.models import Invoice

    agreement = ConsumerAgreement.objects.get(
        pk=make_agreement_for_company_no(company).kwargs["pk"]
    )
    customer = Customer.objects.get(pk=agreement.customer_id)
    invoice = Invoice.objects.get(pk=make_draft_invoice_for_company_no(company).kwargs["pk"])
    branch = Branch.objects.get(pk=make_branch_for_company_no(company).kwargs["pk"])
    settings_row, _ = AutoInvoiceSettings.objects.get_or_create(
        branch=branch, defaults={"contact_person": "Hemmelig Kontakt"}
    )
    prefs, _ = CustomerLedgerPreferences.objects.get_or_create(company=company)
    membership = Membership.objects.filter(company=company).first()
    return [
        (Company, company, [company.organisation_number]),
        (Customer, customer, ["Hemmelig Kunde"]),
        (Branch, branch, ["Hemmelig Kontakt"]),
        (Invoice, invoice, ["Hemmelig Fakturakunde"]),
        (ConsumerAgreement, agreement, ["Hemmelig Kunde"]),
        (AutoInvoiceSettings, settings_row, []),
        (CustomerLedgerPreferences, prefs, []),
        (Membership, membership, [membership.user.username]),
    ]


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
def test_admin_change_pages_of_the_other_company_are_closed(client, request, direction):
    from django.contrib.auth.models import Permission

    owner_fixture, user_fixtures = DIRECTIONS[direction]
    owner = request.getfixturevalue(owner_fixture)
    request.getfixturevalue(OWNER_ADMIN[owner_fixture])  # the owner has a member to hide
    staff = request.getfixturevalue(user_fixtures[1])  # the other company's administrator
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    for model, obj, secrets in _admin_objects(owner):
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        before = repr(model.objects.filter(pk=obj.pk).values().first())
        for method in ("get", "post"):
            response = client.get(url) if method == "get" else client.post(url, {"name": "x"})
            assert response.status_code in (302, 403, 404), (meta.label, method)
            for secret in secrets:
                assert secret.encode() not in response.content, (meta.label, method)
        assert repr(model.objects.filter(pk=obj.pk).values().first()) == before, meta.label


def test_list_pages_show_no_foreign_rows(client, company_no, accountant_se):
    make_customer_for_company_no(company_no)
    client.force_login(accountant_se)
    response = client.get(reverse("customers:list"), {"q": "Hemmelig"})
    assert response.status_code == 200
    assert b"Hemmelig Kunde" not in response.content
    response = client.get(reverse("customers:list"), {"q": NO_FODSELSNUMMER})
    assert b"Hemmelig Kunde" not in response.content


# --- Roles -----------------------------------------------------------------------------------


def test_support_cannot_change_customers(client, company_no, support_no):
    target = make_customer_for_company_no(company_no)
    client.force_login(support_no)
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.post(reverse("customers:create"), {"number": "1"}).status_code == 403
    edit = reverse("customers:edit", kwargs=target.kwargs)
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"name": "x"}).status_code == 403


def test_accountant_and_support_cannot_change_settings(
    client, company_no, accountant_no, support_no
):
    """Settings screens are read-only for everyone but administrators (a POST is refused)."""
    for user in (accountant_no, support_no):
        client.force_login(user)
        for name in ("companies:autoinvoice", "companies:ledger", "companies:operator"):
            assert client.get(reverse(name)).status_code == 200
            assert client.post(reverse(name), {}).status_code == 403, (name, user)


def make_batch_for_company_no(company) -> Target:
    from billing.models import InvoiceBatch, InvoiceBatchRow, RowStatus

    batch = InvoiceBatch.objects.create(
        company=company,
        branch=company.branches.get(is_main_office=True),
        source="screen",
        format="csv",
        filename="hemmelig-fil.csv",
        total=1,
    )
    InvoiceBatchRow.objects.create(
        batch=batch,
        index=0,
        reference="HEMMELIG-REF",
        status=RowStatus.FAILED,
        data={"reference": "HEMMELIG-REF", "customer_number": "31337"},
        errors=[{"field": "customer_number", "message": "Hemmelig feil"}],
    )
    return Target(kwargs={"pk": batch.pk}, secrets=["hemmelig-fil.csv", "HEMMELIG-REF"])


def make_webhook_endpoint_for_company_no(company) -> Target:
    from b2cportal.webhooks.services import create_endpoint

    endpoint = create_endpoint(
        company=company, url="https://hemmelig.example/hooks", acting_user=None
    )
    return Target(kwargs={"pk": endpoint.pk}, secrets=["hemmelig.example", endpoint.secret])


def make_webhook_message_for_company_no(company) -> Target:
    from b2cportal.webhooks.models import WebhookMessage
    from b2cportal.webhooks.services import create_endpoint

    endpoint = create_endpoint(
        company=company, url="https://hemmelig.example/hooks", acting_user=None
    )
    message = WebhookMessage.objects.create(
        company=company,
        endpoint=endpoint,
        msg_id="msg_hemmelig",
        event_type="delivery.sent",
        payload={"type": "delivery.sent", "data": {"invoice_number": "HEMMELIG-42"}},
        status="failed",
    )
    return Target(kwargs={"pk": message.pk}, secrets=["msg_hemmelig", "HEMMELIG-42"])


def _post_only(factory):
    def make(company) -> Target:
        target = factory(company)
        target.method = "post"
        return target

    return make


OBJECT_FACTORIES.update(
    {
        "billing:detail": make_batch_for_company_no,
        "billing:status": make_batch_for_company_no,
        "billing:errors_csv": make_batch_for_company_no,
        "webhooks:endpoint": make_webhook_endpoint_for_company_no,
        "webhooks:endpoint_toggle": _post_only(make_webhook_endpoint_for_company_no),
        "webhooks:endpoint_rotate": _post_only(make_webhook_endpoint_for_company_no),
        "webhooks:message": make_webhook_message_for_company_no,
        "webhooks:message_resend": _post_only(make_webhook_message_for_company_no),
    }
)


def _operator():
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    user = make_user(username="network-operator")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="simulator", codename="operate_network")
    )
    return user


@pytest.mark.parametrize("name", sorted(OPERATOR_URLS))
def test_the_networks_side_is_for_simulator_operators_only(
    client, company_no, admin_no, accountant_no, support_no, admin_se, accountant_se, name
):
    target = OPERATOR_URLS[name](company_no)
    url = reverse(name, kwargs=target.kwargs)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (name, method)
        assert response["Location"].startswith(reverse("login"))
    # Company users of both countries, every role, the owner's administrator included.
    for user in (admin_no, accountant_no, support_no, admin_se, accountant_se):
        client.force_login(user)
        for method in (client.get, client.post):
            assert method(url).status_code == 403, (name, user, method)
    client.force_login(_operator())
    if target.method == "post":
        assert client.post(url).status_code not in (403, 404, 405)
    else:
        assert client.get(url).status_code == 200
