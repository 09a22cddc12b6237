"""Document import: UBL / EHF / Peppol BIS 3 invoices and credit notes become drafts.

Fixtures are the project's own documents (build_ubl of released invoices, so every channel's
shape is covered), the official Peppol examples and hand-written refusals.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from lxml import etree

from b2cportal.audit.models import AuditEntry
from b2cportal.companies.models import Company
from invoices.models import Invoice, InvoiceKind, InvoiceStatus
from invoices.services import (
    DocumentRefused,
    create_credit_note,
    import_ubl_document,
    release_invoice,
)
from invoices.ubl import NS_CAC, NS_CBC
from tests.factories import (
    SWEDISH_SSN,
    make_branch,
    make_business_customer,
    make_customer,
    make_invoice,
)

pytestmark = pytest.mark.django_db
EXAMPLES = Path("/work/shared/validation/peppol-bis3-2026.5/examples")
NS = {"cac": NS_CAC, "cbc": NS_CBC}


def _examples() -> Path:
    from django.conf import settings

    return Path(settings.EINVOICE_RULES_DIR) / "examples"


def _released(company, user, customer=None):
    invoice = make_invoice(company=company, customer=customer, user=user)
    release_invoice(invoice=invoice, released_by=user)
    return invoice


def _edit(xml: bytes, path: str, text: str | None) -> bytes:
    root = etree.fromstring(xml)
    node = root.find(path, NS)
    if text is None:
        node.getparent().remove(node)
    else:
        node.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _import(company, xml, user):
    return import_ubl_document(
        company=company, branch=company.branches.first(), xml_bytes=xml, acting_user=user
    )


def _fields(exc: DocumentRefused) -> list[str]:
    return [p.field for p in exc.problems]


@pytest.mark.parametrize(
    ("country", "business"),
    [("NO", False), ("NO", True), ("SE", False), ("SE", True)],
    ids=["no-consumer", "no-business", "se-consumer", "se-business"],
)
def test_own_documents_import_as_equal_drafts(country, business, request):
    company = request.getfixturevalue("inv_no" if country == "NO" else "inv_se")
    user = request.getfixturevalue("admin_no" if country == "NO" else "admin_se")
    if business:
        customer = make_business_customer(company=company)
    else:
        customer = make_customer(
            company=company, national_id=SWEDISH_SSN if country == "SE" else ""
        )
    original = _released(company, user, customer)
    draft = _import(company, bytes(original.document_xml), user)
    assert draft.status == InvoiceStatus.DRAFT
    assert draft.kind == InvoiceKind.INVOICE
    assert draft.customer == customer
    assert (draft.issue_date, draft.due_date) == (original.issue_date, original.due_date)
    assert draft.total_incl_vat == original.total_incl_vat
    got = [
        (ln.description, ln.quantity, ln.unit, ln.unit_price, ln.vat_category, ln.vat_rate)
        for ln in draft.lines.all()
    ]
    want = [
        (ln.description, ln.quantity, ln.unit, ln.unit_price, ln.vat_category, ln.vat_rate)
        for ln in original.lines.all()
    ]
    assert got == want
    assert AuditEntry.objects.filter(object_id=draft.pk, action="invoice.created").exists()


def test_buyer_matched_by_organisation_number_when_reference_is_not_a_customer(inv_no, admin_no):
    customer = make_business_customer(company=inv_no)
    xml = bytes(_released(inv_no, admin_no, customer).document_xml)
    xml = _edit(xml, "cbc:BuyerReference", "PO-4711")
    draft = _import(inv_no, xml, admin_no)
    assert draft.customer == customer
    assert draft.buyer_reference == "PO-4711"


def test_swedish_consumer_matched_by_personnummer_in_endpoint(inv_se, admin_se):
    customer = make_customer(company=inv_se, national_id=SWEDISH_SSN)
    xml = bytes(_released(inv_se, admin_se, customer).document_xml)
    xml = _edit(xml, "cbc:BuyerReference", "not-a-customer")
    assert _import(inv_se, xml, admin_se).customer == customer


def test_unknown_buyer_is_refused_with_the_reason_and_nothing_is_written(inv_no, admin_no):
    customer = make_customer(company=inv_no)
    xml = bytes(_released(inv_no, admin_no, customer).document_xml)
    xml = _edit(xml, "cbc:BuyerReference", "no-such-customer")
    before = Invoice.objects.count()
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, xml, admin_no)
    assert "AccountingCustomerParty" in _fields(exc.value)
    assert Invoice.objects.count() == before


def test_refusal_reasons_are_translated(inv_no, admin_no):
    xml = bytes(_released(inv_no, admin_no).document_xml)
    xml = _edit(xml, "cbc:BuyerReference", "no-such-customer")
    with translation.override("nb"), pytest.raises(DocumentRefused) as exc:
        _import(inv_no, xml, admin_no)
    message = next(p.message for p in exc.value.problems if p.field == "AccountingCustomerParty")
    assert "kunde" in message.lower()


def test_document_of_another_company_is_refused(inv_no, admin_no, db):
    other = Company.objects.create(
        name="Other AS", country="NO", organisation_number="974760673", currency="NOK"
    )
    make_branch(company=other)
    make_customer(company=other, number=make_invoice(company=inv_no).customer.number)
    xml = bytes(_released(inv_no, admin_no).document_xml)
    with pytest.raises(DocumentRefused) as exc:
        _import(other, xml, admin_no)
    assert "AccountingSupplierParty" in _fields(exc.value)


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("cbc:DocumentCurrencyCode", "EUR", "DocumentCurrencyCode"),
        ("cbc:DueDate", "2026-10-01", "DueDate"),
        ("cac:InvoiceLine/cbc:InvoicedQuantity", "-1", "InvoiceLine[1].InvoicedQuantity"),
        (
            "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
            "7.00",
            "InvoiceLine[1].Item.ClassifiedTaxCategory",
        ),
        ("cac:InvoiceLine/cbc:LineExtensionAmount", "1.00", "InvoiceLine[1].LineExtensionAmount"),
        ("cac:LegalMonetaryTotal/cbc:PayableAmount", "1.00", "LegalMonetaryTotal.PayableAmount"),
    ],
)
def test_bad_content_is_refused_with_the_field(inv_no, admin_no, path, text, field):
    xml = _edit(bytes(_released(inv_no, admin_no).document_xml), path, text)
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, xml, admin_no)
    assert field in _fields(exc.value)


def test_schema_violation_is_refused_with_the_rule(inv_no, admin_no):
    xml = _edit(bytes(_released(inv_no, admin_no).document_xml), "cbc:IssueDate", None)
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, xml, admin_no)
    assert any("UBL-XSD" in p.message for p in exc.value.problems)


def test_business_rule_violation_is_refused_with_the_rule_id(inv_no, admin_no):
    # BR-CO-15: the total with VAT must be the total without VAT plus the VAT.
    customer = make_business_customer(company=inv_no)
    xml = bytes(_released(inv_no, admin_no, customer).document_xml)
    xml = _edit(xml, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "1.00")
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, xml, admin_no)
    assert any("BR-CO-15" in p.message for p in exc.value.problems)


@pytest.mark.parametrize(
    "payload",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><Order xmlns="urn:x"/>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&e;</Invoice>',
    ],
    ids=["garbage", "not-an-invoice", "external-entity"],
)
def test_unreadable_files_are_refused_never_crash(inv_no, admin_no, payload):
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, payload, admin_no)
    assert "root:" not in str(exc.value)  # the entity was never resolved


def test_credit_note_is_linked_to_its_invoice_by_billing_reference(inv_no, admin_no):
    customer = make_customer(company=inv_no)
    original = _released(inv_no, admin_no, customer)
    first_line = original.lines.first()
    # A credit note for one hour of consulting, released: its XML is what an ERP would send.
    credit = create_credit_note(
        invoice=original, acting_user=admin_no, quantities={first_line.pk: Decimal("1")}
    )
    release_invoice(invoice=credit, released_by=admin_no)
    draft = _import(inv_no, bytes(credit.document_xml), admin_no)
    assert draft.kind == InvoiceKind.CREDIT_NOTE
    assert draft.status == InvoiceStatus.DRAFT
    assert draft.credited_invoice == original
    assert [(ln.credited_line_id, ln.quantity) for ln in draft.lines.all()] == [
        (first_line.pk, Decimal("1"))
    ]


def test_credit_note_for_more_than_remains_is_refused(inv_no, admin_no):
    customer = make_customer(company=inv_no)
    original = _released(inv_no, admin_no, customer)
    credit = create_credit_note(invoice=original, acting_user=admin_no)
    release_invoice(invoice=credit, released_by=admin_no)  # everything is credited now
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, bytes(credit.document_xml), admin_no)
    assert "CreditNoteLine[1]" in _fields(exc.value)


def test_credit_note_without_a_known_invoice_is_refused(inv_no, admin_no):
    customer = make_customer(company=inv_no)
    original = _released(inv_no, admin_no, customer)
    credit = create_credit_note(invoice=original, acting_user=admin_no)
    release_invoice(invoice=credit, released_by=admin_no)
    xml = _edit(
        bytes(credit.document_xml),
        "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
        "999999",
    )
    with pytest.raises(DocumentRefused) as exc:
        _import(inv_no, xml, admin_no)
    assert "BillingReference" in _fields(exc.value)


def test_official_norwegian_example_is_read_and_its_allowances_refused(db):
    seller = Company.objects.create(
        name="Salescompany ltd.", country="NO", organisation_number="123456785", currency="NOK"
    )
    make_branch(company=seller)
    make_business_customer(company=seller, number="B-1", organisation_number="987654325")
    xml = (_examples() / "Norwegian-example-1.xml").read_bytes()
    # The seller and buyer match and the document passes the rules; what drafts cannot hold
    # (document-level allowances and charges) is the reason given.
    with pytest.raises(DocumentRefused) as exc:
        _import(seller, xml, None)
    fields = _fields(exc.value)
    assert "AllowanceCharge" in fields
    assert "AccountingSupplierParty" not in fields
    assert "AccountingCustomerParty" not in fields
    assert not any(p.message.startswith("Rule ") for p in exc.value.problems)
