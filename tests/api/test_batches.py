"""POST /api/v1/invoice-batches/ and POST /api/v1/invoices/import/."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import InvoiceBatch, InvoiceBatchRow, RowStatus
from invoices.models import Invoice, InvoiceStatus
from invoices.services import release_invoice
from tests.conftest import requires_postgres
from tests.factories import invoice_ready_company, make_customer, make_invoice

from .conftest import api_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoice-batches/"


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call the API and run what it queued on commit (the chunks, eager Celery)."""

    def _run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return _run


def _row(number, ref, **overrides):
    row = {
        "reference": ref,
        "customer_number": number,
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "lines": [{"description": "Rent", "quantity": "1", "unit_price": "950", "vat_rate": "25"}],
    }
    row.update(overrides)
    return row


def test_post_answers_202_and_get_shows_per_row_results(no_api, company_no, run):
    customer = make_customer(company=company_no)
    body = {
        "invoices": [_row(customer.number, "A"), _row("missing", "B")],
        "release": True,
    }
    response = run(no_api.post, URL, body, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    assert response.status_code == 202
    data = response.json()
    assert data["total"] == 2
    assert response["Location"].endswith(f"{URL}{data['id']}/")
    detail = no_api.get(f"{URL}{data['id']}/").json()
    assert detail["status"] == "finished"
    assert (detail["created"], detail["failed"]) == (1, 1)
    first, second = detail["rows"]
    assert first["invoice"]["number"] == "1"
    assert first["invoice"]["status"] == InvoiceStatus.OPEN
    assert second["errors"][0]["field"] == "customer_number"
    failed = no_api.get(f"{URL}{data['id']}/?rows=failed").json()["rows"]
    assert [r["reference"] for r in failed] == ["B"]
    assert "rows" not in no_api.get(f"{URL}{data['id']}/?rows=none").json()


def test_same_idempotency_key_creates_nothing_twice(no_api, company_no, run):
    customer = make_customer(company=company_no)
    body = {"invoices": [_row(customer.number, "A")]}
    first = run(no_api.post, URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = run(no_api.post, URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert InvoiceBatch.objects.count() == 1
    assert Invoice.objects.filter(company=company_no).count() == 1
    other = run(
        no_api.post,
        URL,
        {"invoices": [_row(customer.number, "B")]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert other.status_code == 409


def test_csv_upload(no_api, company_no, run):
    customer = make_customer(company=company_no)
    csv_text = (
        "invoice_ref;customer_number;issue_date;due_date;description;quantity;unit_price;vat_rate\n"
        f"X1;{customer.number};2026-11-02;2026-11-16;Water;3;10,00;25\n"
    )
    upload = SimpleUploadedFile("run.csv", csv_text.encode("utf-8"), content_type="text/csv")
    response = run(no_api.post, URL, {"file": upload, "release": "true"}, format="multipart")
    assert response.status_code == 202
    detail = no_api.get(f"{URL}{response.json()['id']}/").json()
    assert detail["rows"][0]["status"] == RowStatus.CREATED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "invoices"),
        ({"invoices": []}, None),
        ({"invoices": [{}], "send": True}, None),
        ({"invoices": [{}], "colour": "red"}, "colour"),
    ],
    ids=["nothing", "empty", "send-without-release", "unknown-field"],
)
def test_bad_envelopes_are_400_with_the_field(no_api, body, field, run):
    response = run(no_api.post, URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_scopes_read_cannot_post_and_write_can(keyed, company_no, run):
    customer = make_customer(company=company_no)
    body = {"invoices": [_row(customer.number, "A")]}
    assert keyed(["read"]).post(URL, body, format="json").status_code == 403
    response = run(keyed(["write"]).post, URL, body, format="json")
    assert response.status_code == 202
    assert keyed(["write"]).get(f"{URL}{response.json()['id']}/").status_code == 403
    assert keyed(["read"]).get(f"{URL}{response.json()['id']}/").status_code == 200


def test_errors_in_the_requests_language(company_no, no_key, run):
    client = api_client(no_key[1], language="nb")
    response = run(client.post, URL, {"invoices": [_row("missing", "A")]}, format="json")
    detail = client.get(f"{URL}{response.json()['id']}/").json()
    assert detail["rows"][0]["errors"][0]["message"].startswith("Ingen kunde")


@requires_postgres
def test_ten_thousand_rows_with_bad_rows_in_under_a_minute(no_api, company_no, run):
    customers = [make_customer(company=company_no) for _ in range(5)]
    rows = []
    for i in range(10_000):
        if i % 1000 == 7:
            rows.append(_row("missing", f"R{i}"))
        elif i % 1000 == 500:
            rows.append(_row(customers[0].number, f"R{i}", lines=[{"description": "x"}]))
        else:
            rows.append(_row(customers[i % 5].number, f"R{i}"))
    started = time.monotonic()
    response = run(no_api.post, URL, {"invoices": rows}, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert response.status_code == 202
    batch_id = response.json()["id"]
    detail = no_api.get(f"{URL}{batch_id}/?rows=failed").json()
    elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed
    assert (detail["total"], detail["created"], detail["failed"]) == (10_000, 9_980, 20)
    assert {r["errors"][0]["field"] for r in detail["rows"]} == {
        "customer_number",
        "lines[0].unit_price",
    }
    assert Invoice.objects.filter(company=company_no).count() == 9_980
    # Posted again with the key: the same batch, nothing new.
    again = run(no_api.post, URL, {"invoices": rows}, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert again.json()["id"] == batch_id
    assert Invoice.objects.filter(company=company_no).count() == 9_980
    assert InvoiceBatchRow.objects.filter(batch_id=batch_id).count() == 10_000


def test_import_one_ubl_document(no_api, company_no, admin_no):
    customer = make_customer(company=company_no)
    source = make_invoice(company=company_no, customer=customer)
    release_invoice(invoice=source, released_by=admin_no)
    response = no_api.post(
        "/api/v1/invoices/import/",
        bytes(source.document_xml),
        content_type="application/xml",
    )
    assert response.status_code == 201, response.json()
    draft = Invoice.objects.get(pk=response.json()["id"])
    assert draft.status == InvoiceStatus.DRAFT
    assert draft.customer == customer


def test_import_refusal_is_422_with_every_reason(no_api, company_no):
    response = no_api.post(
        "/api/v1/invoices/import/", b"<not a document", content_type="application/xml"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "document"


def test_import_as_multipart_and_scope(keyed, company_no, admin_no):
    source = make_invoice(company=invoice_ready_company(company_no))
    release_invoice(invoice=source, released_by=admin_no)
    upload = SimpleUploadedFile("x.xml", bytes(source.document_xml), content_type="text/xml")
    assert keyed(["read"]).post("/api/v1/invoices/import/", {"file": upload}).status_code == 403
    upload.seek(0)
    assert keyed(["write"]).post("/api/v1/invoices/import/", {"file": upload}).status_code == 201
