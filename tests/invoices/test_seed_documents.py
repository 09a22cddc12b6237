"""Issue 12, items 7-15: one table test per seed sentence about documents (quoted in each)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import formats, translation
from lxml import etree
from pypdf import PdfReader

from b2cportal.customers.forms import CustomerForm
from invoices.models import InvoiceNumberSequence
from invoices.pdf import build_pdf
from invoices.services import InvoiceError, LineInput, create_credit_note, release_invoice
from invoices.ubl import NS_CAC, NS_CBC, build_ubl
from tests.factories import make_business_customer, make_customer, make_invoice

pytestmark = pytest.mark.django_db
NS = {"cac": NS_CAC, "cbc": NS_CBC}
EN_DASH, LEFT_QUOTE, RIGHT_QUOTE, EURO = "\u2013", "\u201c", "\u201d", "\u20ac"


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


# --- Item 7 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "rate", "splits"),
    [
        ("1", "0.05", "25", ["0.5", "0.5"]),
        ("7", "14.29", "25", ["2.5", None]),
        ("3", "33.33", "15", ["1", "1", "1"]),
        ("10", "0.99", "12", ["0.333", "0.333", None]),
    ],
)
def test_partial_credit_notes_never_credit_more_than_was_invoiced(
    inv_no, admin_no, quantity, price, rate, splits
):
    """Item 7: "Partial credit notes never credit more than was invoiced. Crediting 1 x 0.05 as
    0.5 + 0.5 gives 0.03 + 0.03; 7 x 14.29 credited 2.5 then the rest gives 100.04 against
    100.03. The last credit of a line takes what remains (amount and VAT), so the sum of credits
    equals the invoice." (None: credit all that remains.)"""
    invoice = make_invoice(
        company=inv_no,
        customer=make_business_customer(company=inv_no),
        lines=[LineInput("Item", Decimal(quantity), Decimal(price), "EA", "S", Decimal(rate))],
    )
    release_invoice(invoice=invoice, released_by=admin_no)
    line = invoice.lines.get()
    credits = []
    for split in splits:
        quantities = None if split is None else {line.pk: Decimal(split)}
        credit = create_credit_note(invoice=invoice, acting_user=admin_no, quantities=quantities)
        release_invoice(invoice=credit, released_by=admin_no)
        credits.append(credit)
    invoice.refresh_from_db()
    assert invoice.status == "closed"
    assert sum(c.total_excl_vat for c in credits) == invoice.total_excl_vat
    assert sum(c.total_vat for c in credits) == invoice.total_vat
    assert sum(c.total_incl_vat for c in credits) == invoice.total_incl_vat
    # The released documents say the same as the stored totals.
    for credit in credits:
        tree = etree.fromstring(build_ubl(credit))
        assert tree.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == str(
            credit.total_incl_vat
        )


# --- Item 8 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "refund"),
    [
        ("nb", "Beløpet blir tilbakebetalt"),
        ("sv", "Beloppet betalas tillbaka"),
        ("en", "The amount will be refunded"),
    ],
)
def test_credit_notes_carry_no_payment_instruction(inv_no, admin_no, language, refund):
    """Item 8: "Credit notes carry no payment instruction: no payment means with the seller's
    account and a due date in the UBL, no payment slip on the PDF (state that the amount will be
    refunded or offset, in the customer's language)." """
    invoice = make_invoice(
        company=inv_no, customer=make_customer(company=inv_no, language=language)
    )
    release_invoice(invoice=invoice, released_by=admin_no)
    credit = create_credit_note(invoice=invoice, acting_user=admin_no)
    release_invoice(invoice=credit, released_by=admin_no)
    tree = etree.fromstring(build_ubl(credit))
    assert tree.find("cac:PaymentMeans", NS) is None
    assert refund in tree.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS)
    credit.refresh_from_db()
    assert credit.payment_reference == ""
    text = _text(build_pdf(credit))
    assert refund in text
    assert "8601.11.17947" not in text  # no account to pay into
    assert invoice.payment_reference not in text
    assert "KID" not in text


# --- Item 9 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Áilu Čuđđe",  # Northern Sámi č đ
        "Ŋánni Šárá",  # ŋ š
        "Ŧŧ Žžá Boazu",  # ŧ ž
        f"{LEFT_QUOTE}Reinen{RIGHT_QUOTE} AS",  # typographic quotes
        f"Euro {EURO} Kafé",  # the euro sign
    ],
)
def test_pdfs_print_every_name_correctly(inv_no, admin_no, name):
    """Item 9: "PDFs print every name correctly: today every character outside Latin-1 becomes
    "?" (Sámi č đ ŋ š ŧ ž, €, typographic quotes, an en dash in an invoice-number prefix). Embed
    a Unicode font installed by the project's own files." """
    InvoiceNumberSequence.objects.get_or_create(company=inv_no, defaults={"prefix": f"S{EN_DASH}"})
    customer = make_customer(company=inv_no, name=name, language="nb")
    invoice = make_invoice(
        company=inv_no,
        customer=customer,
        lines=[LineInput(f"Linje {name}", Decimal("1"), Decimal("10"))],
    )
    release_invoice(invoice=invoice, released_by=admin_no)
    pdf = build_pdf(invoice)
    text = _text(pdf)
    assert name in text
    assert f"Linje {name}" in text
    assert f"S{EN_DASH}1" in text
    assert "?" not in text
    assert b"DejaVuSans" in pdf  # the embedded font


# --- Item 10 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "rate", "language", "name"),
    [
        ("NO", "25", "nb", "Ordinær sats 25 %"),
        ("NO", "15", "nb", "Redusert sats (næringsmidler) 15 %"),
        ("NO", "12", "nb", "Lav sats 12 %"),
        ("NO", "15", "en", "Reduced rate (foodstuffs) 15 %"),
        ("NO", "12", "sv", "Låg skattesats 12 %"),
        ("SE", "25", "sv", "Normalskattesats 25 %"),
        ("SE", "12", "sv", "Reducerad skattesats (livsmedel, hotell, restaurang) 12 %"),
        ("SE", "6", "sv", "Reducerad skattesats (böcker, tidningar, persontransport) 6 %"),
        ("SE", "6", "en", "Reduced rate (books, newspapers, passenger transport) 6 %"),
    ],
)
def test_vat_wording_per_rate(request, country, rate, language, name):
    """Item 10: "VAT wording: Norwegian 15 % and 12 % are not "Ordinær sats"; use the correct
    names per rate in nb/sv/en on the PDF and screens." """
    company = request.getfixturevalue("inv_no" if country == "NO" else "inv_se")
    user = request.getfixturevalue("admin_no" if country == "NO" else "admin_se")
    invoice = make_invoice(
        company=company,
        customer=make_business_customer(company=company, language=language),
        lines=[LineInput("Item", Decimal("1"), Decimal("100"), "EA", "S", Decimal(rate))],
    )
    release_invoice(invoice=invoice, released_by=user)
    assert name in _text(build_pdf(invoice))
    if rate != "25":
        assert "Ordinær sats" not in _text(build_pdf(invoice))


def test_vat_names_on_the_invoice_screen(client, inv_no, admin_no):
    """Item 10, screens: each line and the VAT summary name the rate, in the user's language."""
    invoice = make_invoice(company=inv_no)  # 25 % and 15 % lines
    client.force_login(admin_no)
    page = client.get(invoice.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Redusert sats (næringsmidler)" in page
    assert "Ordinær sats" in page
    form = client.get(f"/invoices/{invoice.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "15 % - Reduced rate (foodstuffs)" in form


def test_two_exempt_lines_keep_both_reasons(inv_no, admin_no):
    """Item 10: "Two exempt lines with different exemption reasons must keep both reasons
    (today only the first survives, in the UBL and the PDF)." """
    invoice = make_invoice(
        company=inv_no,
        customer=make_customer(company=inv_no, language="nb"),
        lines=[
            LineInput("Husleie", Decimal("1"), Decimal("100"), "EA", "E", Decimal("0"), "§ 3-11"),
            LineInput("Kurs", Decimal("1"), Decimal("50"), "EA", "E", Decimal("0"), "§ 3-5"),
        ],
    )
    release_invoice(invoice=invoice, released_by=admin_no)
    tree = etree.fromstring(build_ubl(invoice))
    reason = tree.findtext(
        "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason", namespaces=NS
    )
    assert reason == "§ 3-11; § 3-5"
    text = _text(build_pdf(invoice))
    assert "§ 3-11" in text
    assert "§ 3-5" in text


# --- Item 11 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "account_type", "stored", "institution"),
    [
        ("9020033", "plusgiro", "902003-3", "SE:PLUSGIRO"),  # PlusGiro typed without hyphen
        ("902003-3", "plusgiro", "902003-3", "SE:PLUSGIRO"),
        ("5050-1055", "bankgiro", "5050-1055", "SE:BANKGIRO"),
        ("50501055", "bankgiro", "5050-1055", "SE:BANKGIRO"),
    ],
)
def test_swedish_account_type_is_stored_never_guessed(
    client, inv_se, admin_se, typed, account_type, stored, institution
):
    """Item 11: "Swedish account type is stored, never guessed: a PlusGiro typed without a
    hyphen is written as Bankgiro today (snapshot.swedish_giro), so payments go to the wrong
    giro." """
    client.force_login(admin_se)
    response = client.post(
        "/settings/company/documents/",
        {
            "vat_number": "",
            "vat_registered": "on",
            "f_tax_approved": "on",
            "bank_account": typed,
            "bank_account_type": account_type,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    inv_se.refresh_from_db()
    assert (inv_se.bank_account, inv_se.bank_account_type) == (stored, account_type)
    invoice = make_invoice(company=inv_se)
    release_invoice(invoice=invoice, released_by=admin_se)
    tree = etree.fromstring(build_ubl(invoice))
    assert (
        tree.findtext(
            "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
            namespaces=NS,
        )
        == institution
    )
    assert invoice.document_snapshot["payment"]["institution_branch"] == institution


def test_a_swedish_account_without_a_type_is_refused_with_the_reason(client, inv_se, admin_se):
    """Item 11: the type is chosen, not guessed; without it the field says what to do."""
    client.force_login(admin_se)
    response = client.post(
        "/settings/company/documents/", {"bank_account": "9020033", "bank_account_type": ""}
    )
    assert response.status_code == 400
    assert "Choose Bankgiro or PlusGiro." in response.content.decode()


# --- Item 12 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "facts", "vat_id", "tax_text"),
    [
        ("NO", {"vat_registered": True, "registered_in_foretaksregisteret": True}, True, True),
        ("NO", {"vat_registered": True, "registered_in_foretaksregisteret": False}, True, False),
        ("SE", {"vat_registered": True, "f_tax_approved": True}, True, True),
        ("SE", {"vat_registered": True, "f_tax_approved": False}, True, False),
        ("SE", {"vat_registered": False, "f_tax_approved": True}, False, True),
    ],
)
def test_seller_statements_are_facts_not_defaults(request, country, facts, vat_id, tax_text):
    """Item 12: "Seller statements are facts, not defaults: the VAT identifier only for
    VAT-registered sellers, "Foretaksregisteret" only for sellers registered there, F-skatt only
    when approved — each a company setting." """
    company = request.getfixturevalue("inv_no" if country == "NO" else "inv_se")
    user = request.getfixturevalue("admin_no" if country == "NO" else "admin_se")
    for name, value in facts.items():
        setattr(company, name, value)
    company.save()
    category, rate = ("S", Decimal("25")) if company.vat_registered else ("O", Decimal("0"))
    invoice = make_invoice(
        company=company,
        customer=make_business_customer(company=company),
        lines=[LineInput("Item", Decimal("1"), Decimal("100"), "EA", category, rate)],
    )
    release_invoice(invoice=invoice, released_by=user)
    tree = etree.fromstring(build_ubl(invoice))
    party = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
    schemes = {
        s.findtext("cac:TaxScheme/cbc:ID", namespaces=NS): s.findtext(
            "cbc:CompanyID", namespaces=NS
        )
        for s in party.findall("cac:PartyTaxScheme", NS)
    }
    assert ("VAT" in schemes) is vat_id
    expected = "Foretaksregisteret" if country == "NO" else "Godkänd för F-skatt"
    assert (schemes.get("TAX") == expected) is tax_text
    assert (expected in _text(build_pdf(invoice))) is tax_text


def test_a_seller_outside_the_vat_register_cannot_charge_vat(inv_no, admin_no):
    """Item 12: a seller that is not VAT-registered invoices outside the scope of VAT only."""
    inv_no.vat_registered = False
    inv_no.save()
    with pytest.raises(InvoiceError, match="not registered for VAT"):
        make_invoice(company=inv_no)


# --- Item 13 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules_dir", "allow_xsd_only", "released"),
    [("", False, False), ("", True, True), ("configured", False, True)],
)
def test_validation_fails_closed_in_production(
    inv_no, admin_no, settings, rules_dir, allow_xsd_only, released
):
    """Item 13: "Validation fails closed in production: with the official rules not configured,
    release refuses (unless an explicit setting allows XSD-only, which check --deploy warns
    about)." """
    if not rules_dir:
        settings.EINVOICE_RULES_DIR = ""
    settings.EINVOICE_ALLOW_XSD_ONLY = allow_xsd_only
    invoice = make_invoice(company=inv_no)
    if released:
        release_invoice(invoice=invoice, released_by=admin_no)
        assert invoice.status == "open"
    else:
        with pytest.raises(InvoiceError, match="rules are not configured"):
            release_invoice(invoice=invoice, released_by=admin_no)
        invoice.refresh_from_db()
        assert invoice.status == "draft"
        assert invoice.number == ""


@pytest.mark.parametrize(
    ("allow_xsd_only", "rules_dir", "warning"),
    [
        (True, "configured", "invoices.W001"),
        (True, "", "invoices.W001"),
        (False, "/nowhere", "invoices.W002"),
    ],
)
def test_check_deploy_warns_about_xsd_only(settings, allow_xsd_only, rules_dir, warning):
    """Item 13: `check --deploy` warns while documents may be released after the XSD only (or
    the configured rules are missing)."""
    from django.core.management.base import SystemCheckError

    settings.EINVOICE_ALLOW_XSD_ONLY = allow_xsd_only
    if rules_dir != "configured":
        settings.EINVOICE_RULES_DIR = rules_dir
    out = io.StringIO()
    with pytest.raises(SystemCheckError) as raised:
        call_command(
            "check", "--deploy", "--fail-level", "WARNING", "--tag", "security", stdout=out
        )
    assert warning in str(raised.value)


def test_check_deploy_is_quiet_with_the_rules(settings):
    """Item 13: configured rules and no opt-out: no e-invoice warning."""
    out = io.StringIO()
    settings.EINVOICE_ALLOW_XSD_ONLY = False
    from invoices.checks import check_einvoice_rules

    assert check_einvoice_rules(None) == []
    call_command("check", stdout=out)


@pytest.mark.parametrize("country", ["NO", "SE"])
def test_a_seller_without_a_bank_account_cannot_release(request, country):
    """Item 13: "A seller without a bank account cannot release an invoice that needs a payment
    reference." """
    company = request.getfixturevalue("inv_no" if country == "NO" else "inv_se")
    user = request.getfixturevalue("admin_no" if country == "NO" else "admin_se")
    company.bank_account = ""
    company.save()
    invoice = make_invoice(company=company)
    with pytest.raises(InvoiceError, match="no bank account"):
        release_invoice(invoice=invoice, released_by=user)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.payment_reference) == ("draft", "", "")


# --- Item 14 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "stored", "error"),
    [
        ("NO", "NO 974 760 673 MVA", "NO974760673MVA", None),
        ("NO", "974760673MVA", "NO974760673MVA", None),
        ("NO", "NO974760674MVA", None, "check digit"),
        ("SE", "SE556547548901", "SE556547548901", None),
        ("SE", "556547548901", "SE556547548901", None),
        ("SE", "SE556547548902", None, "SE, the 10-digit organisation number and 01"),
        ("SE", "DE136695976", "DE136695976", None),
    ],
)
def test_the_buyers_vat_number_is_checked_on_the_customer_form(
    company_no, country, typed, stored, error
):
    """Item 14: "The buyer's VAT number is checked on the customer form (python-stdnum), not
    first at release." """
    orgnr = "974760673" if country == "NO" else "5565475489"
    form = CustomerForm(
        data={
            "number": "5001",
            "name": "Buyer AS",
            "kind": "business",
            "organisation_number": orgnr,
            "vat_number": typed,
            "country": country,
            "language": "nb",
            "delivery_method": "email",
            "email": "buyer@example.com",
            "is_active": "on",
        }
    )
    if error is None:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["vat_number"] == stored
    else:
        assert not form.is_valid()
        assert error in " ".join(form.errors["vat_number"]).lower() or error in " ".join(
            form.errors["vat_number"]
        )


# --- Item 15 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "2026-11-02"), ("nb", "02.11.2026"), ("sv", "2026-11-02")],
)
def test_english_dates_are_not_us_style(inv_no, admin_no, client, language, expected):
    """Item 15: "English dates are not US-style (day-month-year or ISO), on screens and PDFs." """
    with translation.override(language):
        assert formats.date_format(date(2026, 11, 2), "SHORT_DATE_FORMAT") == expected
    invoice = make_invoice(
        company=inv_no, customer=make_customer(company=inv_no, language=language)
    )
    release_invoice(invoice=invoice, released_by=admin_no, release_date=date(2026, 11, 2))
    assert expected in _text(build_pdf(invoice))
    assert "11/02/2026" not in _text(build_pdf(invoice))
    client.force_login(admin_no)
    page = client.get(invoice.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert expected in page
    assert "11/02/2026" not in page


def test_the_customer_service_checks_the_vat_number_too(company_no, admin_no):
    """Item 14: the service (API, import) refuses the same bad VAT number as the form."""
    from b2cportal.customers.services import CustomerError, create_customer

    with pytest.raises(CustomerError) as raised:
        create_customer(
            company=company_no,
            acting_user=admin_no,
            data={
                "number": "5002",
                "name": "Buyer AS",
                "kind": "business",
                "organisation_number": "974760673",
                "vat_number": "NO974760674MVA",
                "country": "NO",
            },
        )
    assert raised.value.field == "vat_number"
