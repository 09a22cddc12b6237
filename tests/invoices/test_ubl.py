"""UBL documents: the conformance matrix, injection attempts, XML-illegal input, validation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.conf import settings
from lxml import etree

from invoices.forms import InvoiceHeaderForm, InvoiceLineForm
from invoices.services import LineInput, create_credit_note, release_invoice
from invoices.ubl import NS_CAC, NS_CBC, UblError, build_ubl, snapshot
from invoices.validation import CONSUMER_TOLERATED_PEPPOL_RULES, validate_document
from tests.factories import (
    SWEDISH_SSN,
    make_business_customer,
    make_customer,
    make_invoice,
    make_member,
)

pytestmark = pytest.mark.django_db
NS = {"cac": NS_CAC, "cbc": NS_CBC}


def _require_rules():
    if not settings.EINVOICE_RULES_DIR:
        pytest.fail(
            "EINVOICE_RULES_DIR is not set: the conformance tests need the CEN and Peppol rules "
            "(set it to ../shared/validation/peppol-bis3-2026.5, as .ci/run does)."
        )


def _lines(country: str, multiple: bool) -> list[LineInput]:
    second = Decimal("15") if country == "NO" else Decimal("6")
    lines = [LineInput("Service", Decimal("2"), Decimal("499.50"), "HUR", "S", Decimal("25"))]
    if multiple:
        lines += [
            LineInput("Goods", Decimal("1.25"), Decimal("80.00"), "KGM", "S", second),
            LineInput("Exempt", Decimal("1"), Decimal("300.00"), "EA", "E", Decimal("0"), "§ 3"),
            LineInput("Zero", Decimal("1"), Decimal("50.00"), "EA", "Z", Decimal("0")),
        ]
    return lines


@pytest.mark.parametrize("country", ["NO", "SE"])
@pytest.mark.parametrize("customer_kind", ["consumer", "business"])
@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
@pytest.mark.parametrize("multiple", [False, True], ids=["one-rate", "several-rates"])
def test_conformance_matrix(request, country, customer_kind, kind, multiple):
    """Each combination passes XSD + CEN + Peppol with no fatal error (consumers: allow-list)."""
    _require_rules()
    company = request.getfixturevalue("inv_no" if country == "NO" else "inv_se")
    user = make_member(company=company, username=f"u-{request.node.name[-40:]}")
    if customer_kind == "business":
        customer = make_business_customer(company=company)
    else:
        customer = make_customer(
            company=company,
            national_id=SWEDISH_SSN if country == "SE" else "",
            address_line1="Gata 1",
            email="kari@example.com",
        )
    invoice = make_invoice(company=company, customer=customer, lines=_lines(country, multiple))
    release_invoice(invoice=invoice, released_by=user)
    document = invoice
    if kind == "credit_note":
        document = create_credit_note(invoice=invoice, acting_user=user)
        release_invoice(invoice=document, released_by=user)
    xml = build_ubl(document)
    report = validate_document(xml, kind=kind, consumer=customer_kind == "consumer")
    assert report.rules_run
    assert report.stages == ["xsd", "cen", "peppol"]
    assert report.fatal == [], [(f.rule_id, f.message) for f in report.fatal]
    # Only the documented consumer allow-list is ever tolerated.
    assert {f.rule_id for f in report.tolerated} <= set(CONSUMER_TOLERATED_PEPPOL_RULES)
    if customer_kind == "business" or country == "SE":
        assert report.tolerated == []
    tree = etree.fromstring(xml)
    assert tree.findtext("cbc:ProfileID", namespaces=NS) == (
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    )
    groups = tree.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert len(groups) == (4 if multiple else 1)
    if kind == "credit_note":
        assert (
            tree.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS)
            == invoice.number
        )


def test_norwegian_seller_and_kid_payment_means(inv_no, admin_no):
    invoice = make_invoice(company=inv_no, customer=make_business_customer(company=inv_no))
    release_invoice(invoice=invoice, released_by=admin_no)
    tree = etree.fromstring(build_ubl(invoice))
    party = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert party.find("cbc:EndpointID", NS).get("schemeID") == "0192"
    tax_ids = {
        s.findtext("cac:TaxScheme/cbc:ID", namespaces=NS): s.findtext(
            "cbc:CompanyID", namespaces=NS
        )
        for s in party.findall("cac:PartyTaxScheme", NS)
    }
    assert tax_ids == {"VAT": "NO923609016MVA", "TAX": "Foretaksregisteret"}
    means = tree.find("cac:PaymentMeans", NS)
    assert means.findtext("cbc:PaymentMeansCode", namespaces=NS) == "30"
    assert means.findtext("cbc:PaymentID", namespaces=NS) == invoice.payment_reference
    assert means.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS) == "86011117947"
    buyer = tree.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (buyer.get("schemeID"), buyer.text) == ("0192", "974760673")


def test_swedish_consumer_ssn_endpoint_ftax_and_bankgiro(inv_se, admin_se):
    invoice = make_invoice(company=inv_se)
    release_invoice(invoice=invoice, released_by=admin_se)
    tree = etree.fromstring(build_ubl(invoice))
    buyer = tree.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (buyer.get("schemeID"), buyer.text) == ("0007", "8112189876")
    party = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert "Godkänd för F-skatt" in [
        s.findtext("cbc:CompanyID", namespaces=NS) for s in party.findall("cac:PartyTaxScheme", NS)
    ]
    account = tree.find("cac:PaymentMeans/cac:PayeeFinancialAccount", NS)
    assert account.findtext("cbc:ID", namespaces=NS) == "50501055"
    assert account.findtext("cac:FinancialInstitutionBranch/cbc:ID", namespaces=NS) == (
        "SE:BANKGIRO"
    )
    assert tree.findtext("cac:PaymentMeans/cbc:PaymentID", namespaces=NS) == (
        invoice.payment_reference
    )


INJECTIONS = [
    "</cbc:Name><cbc:Injected>1</cbc:Injected><cbc:Name>",
    "<![CDATA[x]]>",
    "\"&amp; ' <!-- -->",
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
]


def _structure(xml: bytes) -> list[str]:
    return [el.tag for el in etree.fromstring(xml).iter()]


def _filled(invoice, company, customer, text: str):
    """The invoice's snapshot with every free text that reaches the document set to `text`."""
    for obj in (company, customer):
        for name in ("name", "address_line1", "address_line2", "city", "postcode", "email"):
            setattr(obj, name, text)
    invoice.company, invoice.customer = company, customer
    invoice.note = invoice.buyer_reference = text
    doc = snapshot(invoice)
    lines = tuple(
        replace(line, description=text, exemption_reason=text if line.vat_category == "E" else "")
        for line in doc.lines
    )
    return replace(doc, lines=lines)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_every_text_field_keeps_the_structure(inv_no, admin_no, payload):
    customer = make_business_customer(company=inv_no)
    lines = [
        *_lines("NO", False),
        LineInput("Fee", Decimal("1"), Decimal("5"), "EA", "E", Decimal("0"), "r"),
    ]
    invoice = make_invoice(company=inv_no, customer=customer, lines=lines)
    release_invoice(invoice=invoice, released_by=admin_no)
    baseline = _structure(build_ubl(_filled(invoice, inv_no, customer, "plain text")))
    xml = build_ubl(_filled(invoice, inv_no, customer, payload))
    assert _structure(xml) == baseline
    tree = etree.fromstring(xml)
    assert tree.findtext("cbc:Note", namespaces=NS) == payload
    assert tree.findtext("cbc:BuyerReference", namespaces=NS) == payload
    assert tree.findtext("cac:InvoiceLine/cac:Item/cbc:Name", namespaces=NS) == payload
    assert (
        tree.findtext(
            "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason", namespaces=NS
        )
        == payload
    )
    for role in ("AccountingSupplierParty", "AccountingCustomerParty"):
        party = tree.find(f"cac:{role}/cac:Party", NS)
        assert party.findtext("cac:PartyName/cbc:Name", namespaces=NS) == payload
        assert party.findtext("cac:PostalAddress/cbc:StreetName", namespaces=NS) == payload
        assert party.findtext("cac:Contact/cbc:ElectronicMail", namespaces=NS) == payload
    assert b"<cbc:Injected>" not in xml
    assert b"<!DOCTYPE" not in xml


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_xml_illegal_characters_are_refused_by_the_forms_with_the_field_named(inv_no, bad):
    line = InvoiceLineForm(
        data={
            "description": f"Wid{bad}get",
            "quantity": "1",
            "unit": "EA",
            "unit_price": "10",
            "vat_category": "S",
            "vat_rate": "25.00",
        },
        country="NO",
    )
    assert not line.is_valid()
    assert "description" in line.errors
    header = InvoiceHeaderForm(
        data={
            "customer": make_customer(company=inv_no).number,
            "issue_date": "2026-11-02",
            "due_date": "2026-11-16",
            "note": f"He{bad}i",
        },
        company=inv_no,
    )
    assert not header.is_valid()
    assert list(header.errors) == ["note"]


def test_builder_refuses_illegal_text_naming_the_field_instead_of_crashing(inv_no):
    invoice = make_invoice(company=inv_no)
    invoice.customer.name = "Bad\x01name"
    with pytest.raises(UblError) as caught:
        build_ubl(invoice)
    assert caught.value.field_name == "customer.name"


def test_validation_without_rules_dir_runs_xsd_only_and_says_so(inv_no, settings):
    settings.EINVOICE_RULES_DIR = ""
    report = validate_document(build_ubl(make_invoice(company=inv_no)), kind="invoice")
    assert report.stages == ["xsd"]
    assert not report.rules_run
    assert "not run" in report.note


def test_xsd_failure_is_reported(inv_no):
    xml = build_ubl(make_invoice(company=inv_no)).replace(b"cbc:IssueDate", b"cbc:IssueDay")
    report = validate_document(xml, kind="invoice")
    assert not report.is_valid
    assert report.fatal[0].stage == "xsd"


def test_rules_report_failed_asserts_with_id_and_flag(inv_se):
    _require_rules()
    customer = make_business_customer(company=inv_se, organisation_number="5565475480")
    report = validate_document(
        build_ubl(make_invoice(company=inv_se, customer=customer)), kind="invoice"
    )
    ids = {(f.rule_id, f.flag) for f in report.fatal}
    assert ("PEPPOL-COMMON-R049", "fatal") in ids


def test_each_document_is_built_from_its_own_data(inv_no, admin_no):
    first = make_invoice(company=inv_no)
    second = make_invoice(company=inv_no, customer=make_customer(company=inv_no, name="Other"))
    release_invoice(invoice=first, released_by=admin_no)
    release_invoice(invoice=second, released_by=admin_no)
    assert b"Other" not in build_ubl(first)
    assert b"Other" in build_ubl(second)
    assert invoice_text(build_ubl(second), "cbc:ID") == second.number


def invoice_text(xml: bytes, path: str) -> str:
    return etree.fromstring(xml).findtext(path, namespaces=NS)


def test_swedish_consumer_without_valid_ssn_builds_without_endpoint(inv_se):
    customer = make_customer(company=inv_se, national_id="000000000000")
    xml = build_ubl(make_invoice(company=inv_se, customer=customer))
    assert (
        etree.fromstring(xml).find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
        is None
    )


# --- Issue 12: the seed cases the matrix did not cover, through XSD + CEN + Peppol ----------


def _validated(document, *, consumer: bool):
    _require_rules()
    xml = build_ubl(document)
    report = validate_document(xml, kind=document.kind, consumer=consumer)
    assert report.stages == ["xsd", "cen", "peppol"]
    assert report.fatal == [], [(f.rule_id, f.message) for f in report.fatal]
    return etree.fromstring(xml)


def _partial_credits(company, user, customer):
    """7 x 14.29 credited 2.5, then the rest; 1 x 0.05 credited 0.5 + 0.5 (issue 12, item 7)."""
    lines = [
        LineInput("Hours", Decimal("7"), Decimal("14.29"), "HUR", "S", Decimal("25")),
        LineInput("Stamp", Decimal("1"), Decimal("0.05"), "EA", "S", Decimal("25")),
    ]
    invoice = make_invoice(company=company, customer=customer, lines=lines)
    release_invoice(invoice=invoice, released_by=user)
    hours, stamp = invoice.lines.all()
    first = create_credit_note(
        invoice=invoice,
        acting_user=user,
        quantities={hours.pk: Decimal("2.5"), stamp.pk: Decimal("0.5")},
    )
    release_invoice(invoice=first, released_by=user)
    last = create_credit_note(invoice=invoice, acting_user=user)
    release_invoice(invoice=last, released_by=user)
    return invoice, [first, last]


def _exempt_reasons(company, customer):
    return make_invoice(
        company=company,
        customer=customer,
        lines=[
            LineInput(
                "Rent", Decimal("1"), Decimal("100"), "EA", "E", Decimal("0"), "Mval. § 3-11"
            ),
            LineInput(
                "Lesson", Decimal("1"), Decimal("50"), "EA", "E", Decimal("0"), "Mval. § 3-5"
            ),
            LineInput("Goods", Decimal("1"), Decimal("80"), "EA", "S", Decimal("25")),
        ],
    )


CASES = ["partial-credits", "credit-note-payment", "non-latin-1", "exempt-reasons", "plusgiro"]


@pytest.mark.parametrize("country", ["NO", "SE"])
@pytest.mark.parametrize("case", CASES)
def test_conformance_of_the_issue_12_cases(request, country, case):
    """Partial credits, credit notes without payment means, Sámi/€/quotes/dash in names and the
    number prefix, two exemption reasons, a PlusGiro typed without hyphen: all pass the rules."""
    company = request.getfixturevalue("inv_no" if country == "NO" else "inv_se")
    user = make_member(company=company, username=f"c-{country}-{case}")
    customer = make_business_customer(company=company)
    if case == "partial-credits":
        invoice, credits = _partial_credits(company, user, customer)
        for credit in credits:
            _validated(credit, consumer=False)
        assert sum(c.total_excl_vat for c in credits) == invoice.total_excl_vat
        assert sum(c.total_vat for c in credits) == invoice.total_vat
    elif case == "credit-note-payment":
        invoice = make_invoice(company=company, customer=customer)
        release_invoice(invoice=invoice, released_by=user)
        credit = create_credit_note(invoice=invoice, acting_user=user)
        release_invoice(invoice=credit, released_by=user)
        tree = _validated(credit, consumer=False)
        assert tree.find("cac:PaymentMeans", NS) is None
        assert tree.find(".//cac:PayeeFinancialAccount", NS) is None
        assert tree.find(".//cbc:PaymentDueDate", NS) is None
        # The customer's language (nb in Norway, sv in Sweden in these tests).
        expected = {"NO": "Beløpet blir tilbakebetalt", "SE": "Beloppet betalas tillbaka"}
        assert expected[country] in tree.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS)
    elif case == "non-latin-1":
        from invoices.models import InvoiceNumberSequence

        InvoiceNumberSequence.objects.create(company=company, prefix="A\u2013")
        customer.name = "Áilu Čuđđe Ŋánni Šárá Ŧŧ Žž “Boazu” AS"
        customer.save()
        invoice = make_invoice(
            company=company,
            customer=customer,
            lines=[
                LineInput(
                    "Reinkjøtt \u201cpremium\u201d \u2013 5 \u20ac rabatt",
                    Decimal("1"),
                    Decimal("10"),
                )
            ],
        )
        release_invoice(invoice=invoice, released_by=user)
        tree = _validated(invoice, consumer=False)
        assert tree.findtext("cbc:ID", namespaces=NS) == "A\u20131"
        buyer = tree.findtext(
            "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name", namespaces=NS
        )
        assert buyer == customer.name
    elif case == "exempt-reasons":
        invoice = _exempt_reasons(company, customer)
        release_invoice(invoice=invoice, released_by=user)
        tree = _validated(invoice, consumer=False)
        exempt = [
            s
            for s in tree.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
            if s.findtext("cac:TaxCategory/cbc:ID", namespaces=NS) == "E"
        ]
        # One breakdown per category and rate (BR-E-08), naming both reasons.
        assert len(exempt) == 1
        reason = exempt[0].findtext("cac:TaxCategory/cbc:TaxExemptionReason", namespaces=NS)
        assert reason == "Mval. § 3-11; Mval. § 3-5"
        assert exempt[0].findtext("cbc:TaxableAmount", namespaces=NS) == "150.00"
    else:
        if country == "NO":
            # Norway has no giro: the stored type is a BBAN, written as one.
            company.bank_account, company.bank_account_type = "86011117947", "bban"
        else:
            company.bank_account, company.bank_account_type = "9020033", "plusgiro"  # no hyphen
        company.save()
        invoice = make_invoice(company=company, customer=customer)
        release_invoice(invoice=invoice, released_by=user)
        tree = _validated(invoice, consumer=False)
        account = tree.find("cac:PaymentMeans/cac:PayeeFinancialAccount", NS)
        if country == "SE":
            assert account.findtext("cbc:ID", namespaces=NS) == "9020033"
            assert (
                account.findtext("cac:FinancialInstitutionBranch/cbc:ID", namespaces=NS)
                == "SE:PLUSGIRO"
            )
        else:
            assert account.findtext("cbc:ID", namespaces=NS) == "86011117947"


def test_a_seller_outside_the_vat_register_passes_the_rules_without_a_vat_identifier(
    inv_no, admin_no
):
    inv_no.vat_registered = False
    inv_no.save()
    invoice = make_invoice(
        company=inv_no,
        customer=make_business_customer(company=inv_no),
        lines=[LineInput("Consulting", Decimal("1"), Decimal("100"), "HUR", "O", Decimal("0"))],
    )
    release_invoice(invoice=invoice, released_by=admin_no)
    tree = _validated(invoice, consumer=False)
    seller = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
    schemes = [
        s.findtext("cac:TaxScheme/cbc:ID", namespaces=NS)
        for s in seller.findall("cac:PartyTaxScheme", NS)
    ]
    assert "VAT" not in schemes
    assert tree.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS) == "0.00"
