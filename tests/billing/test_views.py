"""The import screen: upload, progress, row errors, error CSV; roles and tenancy."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import InvoiceBatch, RowStatus
from invoices.services import release_invoice
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db
URL = reverse("billing:import")


def _csv(number: str, quantity: str = "1") -> SimpleUploadedFile:
    text = (
        "invoice_ref;customer_number;issue_date;due_date;description;quantity;unit_price;vat_rate\n"
        f"A;{number};2026-11-02;2026-11-16;Rent;{quantity};950;25\n"
        f"B;nobody;2026-11-02;2026-11-16;Rent;1;950;25\n"
    )
    return SimpleUploadedFile("run.csv", text.encode("utf-8"), content_type="text/csv")


def test_upload_csv_shows_progress_errors_and_error_csv(
    client, inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    client.force_login(accountant_no)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"files": _csv(customer.number), "release": "on"})
    batch = InvoiceBatch.objects.get(company=inv_no)
    assert response.status_code == 302
    assert response["Location"] == batch.get_absolute_url()
    page = client.get(batch.get_absolute_url())
    assert page.status_code == 200
    assert b'data-testid="import-finished"' in page.content
    assert b"customer_number" in page.content
    status = client.get(reverse("billing:status", args=[batch.pk])).json()
    assert (status["created"], status["failed"], status["finished"]) == (1, 1, True)
    export = client.get(reverse("billing:errors_csv", args=[batch.pk]))
    assert export["Content-Type"].startswith("text/csv")
    assert export.content.decode("utf-8-sig").splitlines()[1].startswith("B,nobody")


def test_nordic_users_get_semicolons(
    client, inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    client.force_login(accountant_no)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"files": _csv(customer.number)}, HTTP_ACCEPT_LANGUAGE="nb")
    batch = InvoiceBatch.objects.get(company=inv_no)
    export = client.get(reverse("billing:errors_csv", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="nb")
    assert export.content.startswith("\ufeff".encode())
    assert export.content.decode("utf-8-sig").startswith("invoice_ref;customer_number;")


def test_upload_ubl_files(client, inv_no, accountant_no, django_capture_on_commit_callbacks):
    source = make_invoice(company=inv_no)
    release_invoice(invoice=source, released_by=accountant_no)
    files = [
        SimpleUploadedFile("a.xml", bytes(source.document_xml), content_type="text/xml"),
        SimpleUploadedFile("b.xml", b"<broken", content_type="text/xml"),
    ]
    client.force_login(accountant_no)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"files": files})
    batch = InvoiceBatch.objects.get(company=inv_no)
    assert [r.status for r in batch.rows.order_by("index")] == [RowStatus.CREATED, RowStatus.FAILED]


@pytest.mark.parametrize(
    ("files", "data"),
    [
        ([SimpleUploadedFile("x.txt", b"hello")], {}),
        ([SimpleUploadedFile("a.csv", b"a"), SimpleUploadedFile("b.xml", b"<x/>")], {}),
        ([SimpleUploadedFile("a.csv", b"invoice_ref;description\nA;B\n")], {}),
        ([SimpleUploadedFile("a.csv", b"x")], {"send": "on"}),
    ],
    ids=["not-csv-or-xml", "mixed", "missing-columns", "send-without-release"],
)
def test_bad_uploads_are_refused_on_the_form(client, inv_no, accountant_no, files, data):
    client.force_login(accountant_no)
    response = client.post(URL, {"files": files, **data})
    assert response.status_code == 400
    assert b"invalid-feedback" in response.content or b"is-invalid" in response.content
    assert not InvoiceBatch.objects.exists()


def test_support_cannot_import(client, inv_no, support_no):
    client.force_login(support_no)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {}).status_code == 403


def test_a_swedish_batch_is_404_for_a_norwegian_user(client, inv_se, accountant_no, admin_se):
    batch = InvoiceBatch.objects.create(
        company=inv_se, branch=inv_se.branches.first(), source="screen", format="csv", total=0
    )
    client.force_login(accountant_no)
    for name in ("billing:detail", "billing:status", "billing:errors_csv"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    client.force_login(admin_se)
    assert client.get(reverse("billing:detail", args=[batch.pk])).status_code == 200
