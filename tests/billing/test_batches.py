"""Batches: rows become invoices in chunks; bad rows fail alone; nothing is created twice."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from b2cportal.audit.models import AuditAction, AuditEntry
from billing import services
from billing.exports import error_rows_csv
from billing.models import BatchFormat, BatchSource, InvoiceBatchRow, RowStatus
from billing.selectors import batch_progress
from invoices.models import Invoice, InvoiceStatus
from invoices.services import release_invoice
from routing.models import Delivery
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db


def _row(customer_number, ref="R1", **overrides):
    row = {
        "reference": ref,
        "customer_number": customer_number,
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "lines": [
            {"description": "Power", "quantity": "2", "unit_price": "100.00", "vat_rate": "25"}
        ],
    }
    row.update(overrides)
    return row


def _batch(company, user, rows, capture, **kwargs):
    kwargs.setdefault("format", BatchFormat.JSON)
    kwargs.setdefault("source", BatchSource.API)
    with capture(execute=True):
        batch = services.create_batch(
            company=company,
            branch=company.branches.first(),
            rows=rows,
            acting_user=user,
            **kwargs,
        )
    batch.refresh_from_db()
    return batch


def test_rows_become_drafts_and_bad_rows_fail_alone_with_field_paths(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    rows = [
        _row(customer.number, "A"),
        _row("nobody", "B"),
        _row(customer.number, "C", lines=[{"description": "", "quantity": "x", "unit_price": "1"}]),
        _row(customer.number, "D", due_date="2026-10-01"),
        _row(
            customer.number, "E", lines=[{"description": "Tax", "unit_price": "1", "vat_rate": "7"}]
        ),
    ]
    batch = _batch(inv_no, accountant_no, rows, django_capture_on_commit_callbacks)
    by_ref = {row.reference: row for row in batch.rows.all()}
    assert by_ref["A"].status == RowStatus.CREATED
    assert by_ref["A"].invoice.status == InvoiceStatus.DRAFT
    assert by_ref["A"].invoice.total_incl_vat == 250
    assert [e["field"] for e in by_ref["B"].errors] == ["customer_number"]
    assert {e["field"] for e in by_ref["C"].errors} == {"lines[0].description", "lines[0].quantity"}
    assert [e["field"] for e in by_ref["D"].errors] == ["due_date"]
    assert [e["field"] for e in by_ref["E"].errors] == ["lines[0].vat_rate"]
    assert batch.finished_at is not None
    assert batch_progress(batch=batch) | {} == {
        "total": 5,
        "created": 1,
        "failed": 4,
        "done": 5,
        "pending": 0,
        "percent": 100,
        "finished": True,
    }
    assert Invoice.objects.filter(company=inv_no).count() == 1


def test_release_and_send_number_in_row_order_and_queue_deliveries(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no, email="kari@example.no")
    rows = [_row(customer.number, f"R{i}") for i in range(3)]
    batch = _batch(
        inv_no, accountant_no, rows, django_capture_on_commit_callbacks, release=True, send=True
    )
    invoices = [row.invoice for row in batch.rows.order_by("index")]
    assert [i.number for i in invoices] == ["1", "2", "3"]
    assert all(i.status == InvoiceStatus.OPEN and i.document_xml for i in invoices)
    assert Delivery.objects.filter(invoice__in=invoices).count() == 3
    # Audited: the batch once (who, what was asked), its chunk's bulk send once (by its creator).
    created = AuditEntry.objects.get(action=AuditAction.BATCH_CREATED)
    assert (created.object_id, created.company_id, created.actor_user) == (
        batch.pk,
        inv_no.pk,
        accountant_no,
    )
    assert created.data == {
        "rows": 3,
        "format": "json",
        "release": True,
        "send": True,
        "filename": "",
    }
    bulk = AuditEntry.objects.get(action=AuditAction.BULK_SEND_STARTED)
    assert (bulk.actor_user, bulk.data["queued"]) == (accountant_no, 3)


def test_a_row_refused_at_release_takes_no_number_and_leaves_no_draft(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    good = make_customer(company=inv_no)
    bad = make_customer(company=inv_no, number="ABC")  # no digits for a KID
    rows = [_row(good.number, "1"), _row(bad.number, "2"), _row(good.number, "3")]
    batch = _batch(inv_no, accountant_no, rows, django_capture_on_commit_callbacks, release=True)
    results = list(batch.rows.order_by("index"))
    assert [r.status for r in results] == [RowStatus.CREATED, RowStatus.FAILED, RowStatus.CREATED]
    assert results[1].errors[0]["field"] == "release"
    assert [results[0].invoice.number, results[2].invoice.number] == ["1", "2"]
    assert not Invoice.objects.filter(customer=bad).exists()


def test_same_idempotency_key_returns_the_first_batch_and_creates_nothing_twice(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    rows = [_row(customer.number)]
    first = _batch(
        inv_no, accountant_no, rows, django_capture_on_commit_callbacks, idempotency_key="k1"
    )
    again = _batch(
        inv_no, accountant_no, rows, django_capture_on_commit_callbacks, idempotency_key="k1"
    )
    assert again.pk == first.pk
    assert Invoice.objects.filter(company=inv_no).count() == 1
    with pytest.raises(services.BatchConflict):
        _batch(
            inv_no,
            accountant_no,
            [_row(customer.number, "other")],
            django_capture_on_commit_callbacks,
            idempotency_key="k1",
        )


def test_rerunning_a_chunk_creates_nothing_twice(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    batch = _batch(
        inv_no,
        accountant_no,
        [_row(customer.number, str(i)) for i in range(3)],
        django_capture_on_commit_callbacks,
        release=True,
    )
    # The broker delivers the chunk again (or a worker died after commit): nothing to do.
    assert services.process_chunk(batch_id=batch.pk, start=0, end=services.CHUNK_SIZE) == 0
    assert Invoice.objects.filter(company=inv_no).count() == 3


def test_a_crashed_chunk_is_redone_whole_by_the_sweeper(
    inv_no, accountant_no, django_capture_on_commit_callbacks, monkeypatch
):
    customer = make_customer(company=inv_no)
    rows = [_row(customer.number, str(i)) for i in range(3)]
    # The broker lost the tasks: rows stay pending.
    monkeypatch.setattr(services, "_queue", lambda *args, **kwargs: None)
    batch = _batch(inv_no, accountant_no, rows, django_capture_on_commit_callbacks)
    monkeypatch.undo()
    assert batch.rows.filter(status=RowStatus.PENDING).count() == 3
    type(batch).objects.filter(pk=batch.pk).update(
        created_at=batch.created_at - services.STALE_AFTER * 2
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_batches() == 1
    assert batch.rows.filter(status=RowStatus.CREATED).count() == 3
    batch.refresh_from_db()
    assert batch.finished_at is not None


def test_batch_limits(inv_no, accountant_no):
    branch = inv_no.branches.first()
    with pytest.raises(services.BatchError):
        services.create_batch(
            company=inv_no,
            branch=branch,
            rows=[],
            format="json",
            source="api",
            acting_user=accountant_no,
        )
    with pytest.raises(services.BatchError):
        services.create_batch(
            company=inv_no,
            branch=branch,
            rows=[{}] * 10_001,
            format="json",
            source="api",
            acting_user=accountant_no,
        )
    with pytest.raises(services.BatchError):
        services.create_batch(
            company=inv_no,
            branch=branch,
            rows=[{}],
            format="json",
            source="api",
            acting_user=accountant_no,
            send=True,
        )


CSV_TEXT = (
    "invoice_ref;customer_number;issue_date;due_date;buyer_reference;note;description;quantity;"
    "unit;unit_price;vat_category;vat_rate;exemption_reason\n"
    "INV-1;{c};2026-11-02;2026-11-16;;;Power;2;KWH;1,50;S;25;\n"
    "INV-1;{c};;;;;Grid;1;EA;100;S;25;\n"
    "INV-2;{c};02.11.2026;16.11.2026;;;Bad;-1;EA;10;S;25;\n"
)


def test_csv_groups_lines_by_invoice_ref_and_reads_nordic_numbers(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    content = ("\ufeff" + CSV_TEXT.format(c=customer.number)).encode("utf-8")
    rows = services.parse_csv(content)
    assert [r["reference"] for r in rows] == ["INV-1", "INV-2"]
    batch = _batch(
        inv_no, accountant_no, rows, django_capture_on_commit_callbacks, format=BatchFormat.CSV
    )
    first, second = batch.rows.order_by("index")
    assert first.status == RowStatus.CREATED
    assert [str(line.unit_price) for line in first.invoice.lines.all()] == ["1.50", "100.00"]
    assert [e["field"] for e in second.errors] == ["lines[0].quantity"]


def test_error_rows_export_for_nordic_excel_can_be_fixed_and_reimported(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    rows = services.parse_csv(CSV_TEXT.format(c=customer.number).encode("utf-8"))
    batch = _batch(
        inv_no, accountant_no, rows, django_capture_on_commit_callbacks, format=BatchFormat.CSV
    )
    with translation.override("nb"):
        content = error_rows_csv(batch=batch, language="nb")
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["invoice_ref"] for r in records] == ["INV-2"]
    assert records[0]["quantity"] == "'-1"  # a formula character is neutralised
    assert "lines[0].quantity" in records[0]["errors"]
    # The user fixes the quantity and uploads the same file again.
    fixed = text.replace("'-1", "1")
    again = _batch(
        inv_no,
        accountant_no,
        services.parse_csv(fixed.encode("utf-8")),
        django_capture_on_commit_callbacks,
        format=BatchFormat.CSV,
    )
    assert [r.status for r in again.rows.all()] == [RowStatus.CREATED]
    assert error_rows_csv(batch=batch, language="en").decode("utf-8-sig").startswith("invoice_ref,")


def test_csv_without_required_columns_is_refused():
    with pytest.raises(services.BatchError, match="customer_number"):
        services.parse_csv(b"invoice_ref;description\nA;B\n")


def test_ubl_files_become_drafts_or_fail_with_the_documents_reasons(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    customer = make_customer(company=inv_no)
    source = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=source, released_by=accountant_no)
    xml = bytes(source.document_xml).decode("utf-8")
    rows = [
        {"reference": "good.xml", "filename": "good.xml", "xml": xml},
        {"reference": "bad.xml", "filename": "bad.xml", "xml": "<not-xml"},
    ]
    batch = _batch(
        inv_no,
        accountant_no,
        rows,
        django_capture_on_commit_callbacks,
        format=BatchFormat.UBL,
        release=True,
    )
    good, bad = batch.rows.order_by("index")
    assert good.status == RowStatus.CREATED
    assert good.invoice.status == InvoiceStatus.OPEN
    assert good.invoice.total_incl_vat == source.total_incl_vat
    assert bad.errors[0]["field"] == "document"
    assert error_rows_csv(batch=batch, language="sv").decode("utf-8-sig").startswith("file;errors")


def test_row_errors_are_in_the_language_of_who_started_the_batch(
    inv_no, accountant_no, django_capture_on_commit_callbacks
):
    with translation.override("nb"):
        batch = _batch(inv_no, accountant_no, [_row("nobody")], django_capture_on_commit_callbacks)
    message = InvoiceBatchRow.objects.get(batch=batch).errors[0]["message"]
    assert message.startswith("Ingen kunde")


def test_documents_validated_before_numbering_are_renumbered_and_a_late_refusal_takes_no_number(
    inv_no, accountant_no, django_capture_on_commit_callbacks, monkeypatch
):
    """README, "Batches": each document is validated with the number it expects before the
    sequence is locked. Numbers taken meanwhile: a number of the same form is swapped in, one
    of another form is validated again, and a document refused then takes no number."""
    from lxml import etree

    from invoices import services as invoice_services
    from invoices.models import InvoiceNumberSequence
    from invoices.validation import validate_document

    customer = make_customer(company=inv_no)
    real_validate = invoice_services._validate
    seen = []

    def validate(xml, invoice):
        seen.append(invoice.number)
        if len(seen) == 3:  # all three validated: another release takes numbers 1 to 8
            InvoiceNumberSequence.objects.filter(company=inv_no).update(next_number=9)
        if len(seen) == 4:
            raise invoice_services.InvoiceError("Refused after numbering")
        real_validate(xml, invoice)

    monkeypatch.setattr(invoice_services, "_validate", validate)
    rows = [_row(customer.number, str(i)) for i in range(3)]
    batch = _batch(inv_no, accountant_no, rows, django_capture_on_commit_callbacks, release=True)
    first, refused, last = batch.rows.order_by("index")
    # "9" has the form of "1": swapped in; "10" has not the form of "2" or "3": validated again.
    assert seen == ["1", "2", "3", "10", "10"]
    assert (first.invoice.number, last.invoice.number) == ("9", "10")
    assert refused.status == RowStatus.FAILED
    assert refused.invoice is None
    assert refused.errors == [{"field": "release", "message": "Refused after numbering"}]
    assert InvoiceNumberSequence.objects.get(company=inv_no).next_number == 11
    assert Invoice.objects.filter(company=inv_no).count() == 2
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    for invoice in (first.invoice, last.invoice):
        xml = bytes(invoice.document_xml)
        root = etree.fromstring(xml)
        assert root.findtext("cbc:ID", namespaces=ns) == invoice.number
        assert root.findtext(".//cbc:PaymentID", namespaces=ns) == invoice.payment_reference
        assert validate_document(xml, kind=invoice.kind, consumer=True).is_valid
