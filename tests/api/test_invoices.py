"""Invoices over the API: drafts, release, credit, send, route, delivery, documents, billing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b2cportal.audit.models import AuditEntry
from invoices.models import Invoice
from routing.models import Delivery
from tests.factories import make_customer

from .conftest import api_client, make_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices/"


@pytest.fixture(autouse=True)
def _spool(settings, tmp_path):
    settings.PRINT_SPOOL_DIR = tmp_path / "spool"


def errors(response) -> dict[str | None, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def draft_body(number="3001", **overrides):
    body = {
        "customer": number,
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "buyer_reference": "PO-77",
        "lines": [
            {"description": "Electricity", "quantity": "2", "unit": "KWH", "unit_price": "100.00"},
            {
                "description": "Food",
                "quantity": "3",
                "unit_price": "33.33",
                "vat_rate": "15",
            },
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def customer_no(company_no):
    return make_customer(company=company_no, number="3001", email="kari@example.com")


def create(client, **overrides):
    response = client.post(URL, draft_body(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_a_draft_from_json_lines(no_api, customer_no, admin_no):
    body = create(no_api)
    assert body["status"] == "draft"
    assert body["number"] == ""
    assert body["customer"] == "3001"
    assert body["branch"] == "MAIN"
    assert [line["line_total"] for line in body["lines"]] == ["200.00", "99.99"]
    # Totals are computed by the service: 200 * 25 % + 99.99 * 15 % = 50.00 + 15.00.
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "299.99",
        "65.00",
        "364.99",
    )
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.created_by == admin_no
    entry = AuditEntry.objects.get(object_id=invoice.pk, action="invoice.created")
    # Who: the key's creator, through the key; from where: the API.
    assert (entry.actor_user, entry.source, entry.company_id) == (
        admin_no,
        "api",
        invoice.company_id,
    )
    assert entry.actor_api_key_id is not None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer": "nope"}, "customer"),
        ({"lines": []}, "lines"),
        ({"branch": "XYZ"}, "branch"),
        ({"due_date": "2026-11-01"}, "due_date"),
        ({"issue_date": "02.11.2026"}, "issue_date"),
        (
            {"lines": [{"description": "A", "quantity": "0", "unit_price": "1"}]},
            "lines[0].quantity",
        ),
        (
            {"lines": [{"description": "A", "quantity": "1", "unit_price": "-1"}]},
            "lines[0].unit_price",
        ),
        (
            {
                "lines": [
                    {"description": "A", "quantity": "1", "unit_price": "1"},
                    {"description": "B", "quantity": "1", "unit_price": "1", "vat_rate": "13"},
                ]
            },
            "lines[1].vat_rate",
        ),
        (
            {
                "lines": [
                    {"description": "A", "quantity": "1", "unit_price": "1", "vat_category": "E"}
                ]
            },
            "lines[0].exemption_reason",
        ),
        (
            {"lines": [{"description": "A\x0bB", "quantity": "1", "unit_price": "1"}]},
            "lines[0].description",
        ),
        ({"lines": [{"quantity": "1", "unit_price": "1"}]}, "lines[0].description"),
        (
            {"lines": [{"description": "A", "quantity": "1", "unit_price": "1", "x": 1}]},
            "lines[0].x",
        ),
    ],
)
def test_bad_drafts_name_the_field_path(no_api, customer_no, overrides, field):
    response = no_api.post(URL, draft_body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in errors(response), errors(response)
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Standard-rated VAT"), ("nb", "Ordinær MVA"), ("sv", "Normalsatsen")],
)
def test_line_errors_in_the_requests_language(company_no, admin_no, customer_no, language, text):
    client = api_client(make_key(company_no, admin_no)[1], language)
    body = draft_body(
        lines=[{"description": "A", "quantity": "1", "unit_price": "1", "vat_rate": "13"}]
    )
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert text in errors(response)["lines[0].vat_rate"]
    response = client.post(URL, draft_body(customer="nope"), format="json")
    assert "nope" in errors(response)["customer"]
    assert response["Content-Language"] == language


def test_release_credit_send_and_follow_the_delivery(
    no_api, customer_no, django_capture_on_commit_callbacks
):
    draft = create(no_api)
    url = f"{URL}{draft['id']}/"
    released = no_api.post(f"{url}release/", {}, format="json")
    assert released.status_code == 200, released.content
    body = released.json()
    assert body["status"] == "open"
    assert body["number"] == "1"
    assert body["payment_reference"]
    again = no_api.post(f"{url}release/", {}, format="json")
    assert again.status_code == 422
    assert "released" in again.json()["detail"]

    route = no_api.get(f"{url}route/").json()
    assert route["channel"] == "email"
    assert route["billing_action"] == "EMAIL"
    assert any(step["rule"] == "fallback_email" for step in route["trace"])
    assert all(step["label"] for step in route["trace"])

    with django_capture_on_commit_callbacks(execute=True):
        sent = no_api.post(f"{url}send/", {}, format="json")
    assert sent.status_code == 202, sent.content
    assert sent.json()["status"] == "queued"
    assert len(mail.outbox) == 1
    status = no_api.get(f"{url}delivery/").json()
    assert status["delivery_status"] == "sent"
    [delivery] = status["deliveries"]
    assert (delivery["status"], delivery["channel"], delivery["billing_action"]) == (
        "delivered",
        "email",
        "EMAIL",
    )
    assert delivery["events"][0]["to_status"] == "queued"
    assert delivery["events"][-1]["to_status"] == "delivered"
    assert delivery["trace"]
    twice = no_api.post(f"{url}send/", {}, format="json")
    assert twice.status_code == 409
    assert Delivery.objects.count() == 1

    xml = no_api.get(f"{url}xml/")
    assert xml["Content-Type"] == "application/xml"
    assert xml.content == bytes(Invoice.objects.get(pk=draft["id"]).document_xml)
    pdf = no_api.get(f"{url}pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")

    lines = body["lines"]
    partial = no_api.post(
        f"{url}credit/", {"lines": [{"line": lines[0]["id"], "quantity": "1"}]}, format="json"
    )
    assert partial.status_code == 201, partial.content
    assert partial.json()["kind"] == "credit_note"
    assert partial.json()["credited_invoice"] == draft["id"]
    assert [line["quantity"] for line in partial.json()["lines"]] == ["1.000"]
    too_much = no_api.post(
        f"{url}credit/", {"lines": [{"line": lines[0]["id"], "quantity": "5"}]}, format="json"
    )
    assert too_much.status_code == 422
    rest = no_api.post(f"{url}credit/", {"note": "Moved away"}, format="json")
    assert rest.status_code == 201
    assert [line["quantity"] for line in rest.json()["lines"]] == ["1.000", "3.000"]


def test_drafts_cannot_be_sent_or_credited(no_api, customer_no):
    draft = create(no_api)
    url = f"{URL}{draft['id']}/"
    assert no_api.post(f"{url}send/", {}, format="json").status_code == 409
    credit = no_api.post(f"{url}credit/", {}, format="json")
    assert credit.status_code == 422
    assert credit.json()["errors"][0]["message"]
    bad = no_api.post(f"{url}credit/", {"lines": [{"line": "x", "quantity": "1"}]}, format="json")
    assert bad.status_code == 400
    assert "lines[0].line" in errors(bad)
    assert no_api.post(f"{url}release/", {"release_date": "soon"}, format="json").status_code == 400


def test_release_refused_by_a_rule_is_422_and_changes_nothing(no_api, company_no):
    # A Norwegian KID is built from the customer number: one without digits cannot have one.
    make_customer(company=company_no, number="ABC")
    draft = create(no_api, customer="ABC")
    response = no_api.post(f"{URL}{draft['id']}/release/", {}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "rule_refused"
    assert "KID" in response.json()["detail"]
    invoice = Invoice.objects.get(pk=draft["id"])
    assert (invoice.status, invoice.number) == ("draft", "")


@pytest.mark.parametrize(
    ("scopes", "action", "expected"),
    [
        (["read", "write"], "send", 403),
        (["read"], "release", 403),
        (["read"], "credit", 403),
        (["send"], "release", 403),
        (["write"], "route", 403),
        (["write"], "xml", 403),
        (["write"], "delivery", 403),
        (["send"], "send", 409),  # allowed by scope; refused because it is a draft
        (["read"], "route", 200),
        (["read"], "pdf", 200),
    ],
)
def test_scopes(keyed, no_api, customer_no, scopes, action, expected):
    draft = create(no_api)
    client = keyed(scopes)
    url = f"{URL}{draft['id']}/{action}/"
    if action in ("send", "release", "credit"):
        response = client.post(url, {}, format="json")
    else:
        response = client.get(url)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert Invoice.objects.get(pk=draft["id"]).status == "draft"
        assert not Delivery.objects.exists()


def test_list_filters_and_query_count(no_api, company_no, customer_no):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = no_api.get(URL)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    first = create(no_api)
    count()
    few = count()
    for _ in range(10):
        create(no_api)
    assert count() == few
    assert few <= 5
    no_api.post(f"{URL}{first['id']}/release/", {}, format="json")
    opened = no_api.get(URL, {"status": "open"}).json()["results"]
    assert [row["id"] for row in opened] == [first["id"]]
    by_customer = no_api.get(URL, {"customer": "3001", "page_size": 3}).json()
    assert len(by_customer["results"]) == 3
    assert by_customer["next"]
    assert no_api.get(URL, {"customer": "none"}).json()["results"] == []
    assert no_api.get(URL, {"status": "lost"}).status_code == 400


def test_billing_report(no_api, customer_no, django_capture_on_commit_callbacks):
    from django.utils import timezone

    draft = create(no_api)
    no_api.post(f"{URL}{draft['id']}/release/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        no_api.post(f"{URL}{draft['id']}/send/", {}, format="json")
    month = timezone.localdate().strftime("%Y-%m")
    report = no_api.get("/api/v1/billing-report/", {"month": month}).json()
    assert report["total"] == 1
    assert report["rows"] == [
        {
            "branch": "MAIN",
            "branch_name": "Oslo",
            "billing_action": "EMAIL",
            "billing_action_label": "Email",
            "count": 1,
        }
    ]
    assert (
        no_api.get("/api/v1/billing-report/", {"month": month, "branch": "MAIN"}).json()["total"]
        == 1
    )
    bad = no_api.get("/api/v1/billing-report/", {"month": "2026-13", "branch": "NOPE"})
    assert bad.status_code == 400
    assert set(errors(bad)) == {"month", "branch"}
    assert no_api.get("/api/v1/billing-report/").status_code == 400


def test_quantities_keep_their_precision(no_api, customer_no):
    body = create(
        no_api,
        lines=[{"description": "Power", "quantity": "1.255", "unit_price": "0.99", "unit": "KWH"}],
    )
    assert body["lines"][0]["quantity"] == "1.255"
    assert Decimal(body["total_excl_vat"]) == Decimal("1.24")


def test_validate_and_delete_a_draft(no_api, customer_no, admin_no):
    draft = create(no_api)
    url = f"{URL}{draft['id']}/"
    report = no_api.post(f"{url}validate/", {}, format="json")
    assert report.status_code == 200
    body = report.json()
    assert body["is_valid"] is True
    assert body["rules_run"] is True  # EINVOICE_RULES_DIR: XSD, CEN and Peppol ran
    assert body["fatal"] == []
    assert AuditEntry.objects.filter(
        object_id=draft["id"], action="invoice.validated", actor_user=admin_no
    ).exists()
    assert no_api.delete(url).status_code == 204
    assert not Invoice.objects.filter(pk=draft["id"]).exists()
    # The deleted draft stays in the audit trail.
    assert AuditEntry.objects.filter(
        object_id=draft["id"], action="invoice.deleted", source="api"
    ).exists()


def test_a_released_invoice_cannot_be_deleted(no_api, customer_no):
    draft = create(no_api)
    url = f"{URL}{draft['id']}/"
    no_api.post(f"{url}release/", {}, format="json")
    response = no_api.delete(url)
    assert response.status_code == 422
    assert "credit note" in response.json()["detail"]
    assert Invoice.objects.filter(pk=draft["id"]).exists()


def test_change_a_draft(no_api, company_no, customer_no, admin_no):
    other = make_customer(company=company_no, number="3002")
    draft = create(no_api)
    url = f"{URL}{draft['id']}/"
    changed = no_api.patch(url, {"customer": "3002", "note": "Moved"}, format="json")
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["customer"], body["note"], body["due_date"]) == ("3002", "Moved", "2026-11-16")
    assert len(body["lines"]) == 2  # lines left out are kept
    lines = no_api.patch(
        url,
        {"lines": [{"description": "One thing", "quantity": "1", "unit_price": "10"}]},
        format="json",
    ).json()
    assert [line["description"] for line in lines["lines"]] == ["One thing"]
    assert lines["total_incl_vat"] == "12.50"
    bad = no_api.patch(url, {"issue_date": "2026-12-01"}, format="json")
    assert bad.status_code == 400
    assert "due_date" in errors(bad)
    empty = no_api.patch(url, {"lines": []}, format="json")
    assert empty.status_code == 400
    assert "lines" in errors(empty)
    assert Invoice.objects.get(pk=draft["id"]).customer == other
    no_api.post(f"{url}release/", {}, format="json")
    released = no_api.patch(url, {"note": "Too late"}, format="json")
    assert released.status_code == 422
    assert "credit note" in released.json()["detail"]
