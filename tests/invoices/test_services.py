"""Release, numbering, immutability, credit notes and payment references."""

from __future__ import annotations

from decimal import Decimal

import pytest

from b2cportal.audit.models import AuditEntry
from b2cportal.companies.models import CustomerLedgerPreferences
from b2cportal.identifiers import is_valid_kid, is_valid_ocr
from invoices.models import Invoice, InvoiceNumberSequence, InvoiceStatus
from invoices.services import (
    InvoiceError,
    LineInput,
    create_credit_note,
    delete_draft,
    payment_reference_for,
    release_invoice,
    update_draft,
)
from tests.factories import make_business_customer, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def test_totals_are_computed_by_the_service(inv_no):
    invoice = make_invoice(company=inv_no)
    # 2 x 1000 at 25 % + 3 x 33.33 (99.99) at 15 %
    assert invoice.total_excl_vat == Decimal("2099.99")
    assert invoice.total_vat == Decimal("500.00") + Decimal("15.00")
    assert invoice.total_incl_vat == Decimal("2614.99")
    assert [line.line_total for line in invoice.lines.all()] == [
        Decimal("2000.00"),
        Decimal("99.99"),
    ]


def test_release_numbers_sequentially_and_sets_open(inv_no, admin_no):
    first = make_invoice(company=inv_no)
    second = make_invoice(company=inv_no)
    release_invoice(invoice=first, released_by=admin_no)
    release_invoice(invoice=second, released_by=admin_no)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.number, second.number) == ("1", "2")
    assert first.status == second.status == InvoiceStatus.OPEN
    assert first.released_by == admin_no
    assert first.released_at is not None
    assert AuditEntry.objects.filter(object_id=first.pk, action="invoice.released").exists()


def test_numbering_is_per_company(inv_no, inv_se, admin_no, admin_se):
    release_invoice(invoice=make_invoice(company=inv_no), released_by=admin_no)
    se = make_invoice(company=inv_se)
    release_invoice(invoice=se, released_by=admin_se)
    assert se.number == "1"


def test_norwegian_invoice_gets_a_kid_per_ledger_preferences(inv_no, admin_no):
    customer = make_customer(company=inv_no, number="4711")
    invoice = make_invoice(company=inv_no, customer=customer)
    release_invoice(invoice=invoice, released_by=admin_no)
    kid = invoice.payment_reference
    assert len(kid) == 12
    assert kid[:5] == "04711"  # customer number at positions 1-5
    assert kid[5:11] == "000001"  # the invoice number fills the rest
    assert is_valid_kid(kid, "mod10")


def test_norwegian_kid_mod11_and_custom_length(inv_no, admin_no):
    CustomerLedgerPreferences.objects.create(
        company=inv_no,
        kid_algorithm="mod11",
        kid_length=10,
        kid_customer_number_start=1,
        kid_customer_number_end=4,
    )
    invoice = make_invoice(company=inv_no, customer=make_customer(company=inv_no, number="1234"))
    release_invoice(invoice=invoice, released_by=admin_no)
    assert len(invoice.payment_reference) == 10
    assert invoice.payment_reference.startswith("1234")
    assert is_valid_kid(invoice.payment_reference, "mod11")


def test_swedish_invoice_gets_an_ocr_with_length_digit(inv_se, admin_se):
    invoice = make_invoice(company=inv_se)
    release_invoice(invoice=invoice, released_by=admin_se)
    assert is_valid_ocr(invoice.payment_reference, length_digit=True)
    assert invoice.payment_reference.startswith(invoice.number)


@pytest.mark.parametrize(
    ("number", "ocr"),
    [
        # Reference, length digit (total length mod 10), Luhn check digit (Bankgirot's
        # "variabel längdkontroll"); 12345 -> 1234574 is the common published 5+2 example.
        ("1", "133"),
        ("9", "935"),
        ("42", "4242"),
        ("12345", "1234574"),
        ("1234567890123456789012", "123456789012345678901242"),
    ],
)
def test_swedish_ocr_table_including_the_shortest_numbers(inv_se, number, ocr):
    invoice = make_invoice(company=inv_se)
    reference = payment_reference_for(invoice=invoice, number=number)
    assert reference == ocr
    assert is_valid_ocr(reference, length_digit=True)
    assert 3 <= len(reference) <= 25  # Bankgirot: 2-25 digits, 3+ with the length digit


def test_swedish_ocr_too_long_is_a_domain_error_not_a_crash(inv_se):
    invoice = make_invoice(company=inv_se)
    with pytest.raises(InvoiceError, match="OCR"):
        payment_reference_for(invoice=invoice, number="1" * 24)


def test_released_invoice_refuses_service_edits_and_delete(inv_no, admin_no):
    invoice = make_invoice(company=inv_no)
    release_invoice(invoice=invoice, released_by=admin_no)
    with pytest.raises(InvoiceError):
        update_draft(
            invoice=invoice,
            acting_user=admin_no,
            customer=invoice.customer,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            lines=[LineInput("x", Decimal("1"), Decimal("1"))],
        )
    with pytest.raises(InvoiceError):
        delete_draft(invoice=invoice, acting_user=admin_no)
    with pytest.raises(InvoiceError):
        release_invoice(invoice=invoice, released_by=admin_no)
    invoice.refresh_from_db()
    assert invoice.lines.count() == 2
    assert invoice.number == "1"


def test_failed_release_leaves_draft_and_sequence_untouched(inv_no, admin_no):
    # A customer number with no digits cannot go into a KID: the release must fail cleanly.
    invoice = make_invoice(company=inv_no, customer=make_customer(company=inv_no, number="ABC"))
    before = Invoice.objects.values().get(pk=invoice.pk)
    with pytest.raises(InvoiceError):
        release_invoice(invoice=invoice, released_by=admin_no)
    assert Invoice.objects.values().get(pk=invoice.pk) == before
    assert invoice.number == ""
    assert invoice.status == InvoiceStatus.DRAFT
    assert not InvoiceNumberSequence.objects.filter(company=inv_no, next_number__gt=1).exists()
    # The next good release takes number 1: no gap from the failed one.
    good = make_invoice(company=inv_no)
    release_invoice(invoice=good, released_by=admin_no)
    assert good.number == "1"


def test_release_refuses_a_document_with_fatal_rule_errors(inv_se, admin_se, settings):
    # A Swedish business buyer with an invalid organisation number breaks PEPPOL-COMMON-R049.
    customer = make_business_customer(company=inv_se, organisation_number="5565475480")
    invoice = make_invoice(company=inv_se, customer=customer)
    with pytest.raises(InvoiceError, match="R049"):
        release_invoice(invoice=invoice, released_by=admin_se)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number == ""


def test_vat_rules_per_country(inv_no, inv_se):
    with pytest.raises(InvoiceError):  # 6 % is Swedish, not Norwegian
        make_invoice(
            company=inv_no,
            lines=[LineInput("x", Decimal("1"), Decimal("10"), "EA", "S", Decimal("6"))],
        )
    with pytest.raises(InvoiceError):  # exempt needs a reason
        make_invoice(
            company=inv_se,
            lines=[LineInput("x", Decimal("1"), Decimal("10"), "EA", "E", Decimal("0"))],
        )


# --- Credit notes ---------------------------------------------------------------------------


def _released(company, user):
    invoice = make_invoice(company=company)
    release_invoice(invoice=invoice, released_by=user)
    return invoice


def test_full_credit_note_references_and_closes_the_invoice(inv_no, admin_no):
    invoice = _released(inv_no, admin_no)
    credit = create_credit_note(invoice=invoice, acting_user=admin_no)
    assert credit.kind == "credit_note"
    assert credit.credited_invoice == invoice
    assert credit.total_incl_vat == invoice.total_incl_vat
    release_invoice(invoice=credit, released_by=admin_no)
    assert credit.number == "2"
    assert credit.payment_reference == ""
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED


def test_partial_credit_notes_cannot_exceed_what_remains(inv_no, admin_no):
    invoice = _released(inv_no, admin_no)
    first_line, second_line = invoice.lines.all()
    credit = create_credit_note(
        invoice=invoice, acting_user=admin_no, quantities={first_line.pk: Decimal("1.5")}
    )
    assert credit.total_excl_vat == Decimal("1500.00")
    release_invoice(invoice=credit, released_by=admin_no)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN  # only partly credited
    with pytest.raises(InvoiceError, match="exceeds"):
        create_credit_note(
            invoice=invoice, acting_user=admin_no, quantities={first_line.pk: Decimal("0.6")}
        )
    rest = create_credit_note(
        invoice=invoice,
        acting_user=admin_no,
        quantities={first_line.pk: Decimal("0.5"), second_line.pk: Decimal("3")},
    )
    release_invoice(invoice=rest, released_by=admin_no)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED


def test_credit_note_rules(inv_no, admin_no):
    draft = make_invoice(company=inv_no)
    with pytest.raises(InvoiceError):  # drafts are not credited
        create_credit_note(invoice=draft, acting_user=admin_no)
    invoice = _released(inv_no, admin_no)
    credit = create_credit_note(invoice=invoice, acting_user=admin_no)
    with pytest.raises(InvoiceError, match=r"exceeds|Choose"):  # the draft reserves it all
        create_credit_note(invoice=invoice, acting_user=admin_no)
    foreign_line = make_invoice(company=inv_no).lines.first()
    with pytest.raises(InvoiceError):
        create_credit_note(
            invoice=invoice, acting_user=admin_no, quantities={foreign_line.pk: Decimal("1")}
        )
    release_invoice(invoice=credit, released_by=admin_no)
    with pytest.raises(InvoiceError):  # a credit note is not credited
        create_credit_note(invoice=credit, acting_user=admin_no)
