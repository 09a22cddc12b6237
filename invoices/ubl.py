"""Peppol BIS Billing 3.0 (EHF 3.0 in Norway) UBL 2.1 invoices and credit notes, built with lxml.

`build_ubl(invoice)` takes an Invoice (or a ready `DocumentSnapshot`) and returns the XML bytes.
The builder works on a plain dataclass snapshot so it needs no database, is fast in bulk runs and
is easy to test. Every text goes through lxml, which escapes it; text that XML cannot carry raises
`UblError` naming the field (forms refuse such text earlier, see `invoices.validators`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from .calc import Totals, compute_totals, line_amount
from .validators import first_xml_illegal

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# Electronic address schemes (Peppol EAS): Norwegian and Swedish organisation numbers. 0007 also
# carries a Swedish consumer's 10-digit personnummer (PEPPOL-COMMON-R049 checks it with Luhn).
SCHEME_BY_COUNTRY = {"NO": "0192", "SE": "0007"}

F_TAX_TEXT = "Godkänd för F-skatt"
FORETAKSREGISTERET = "Foretaksregisteret"


class UblError(ValueError):
    """The invoice data cannot be written as a UBL document (names the field)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field_name = field_name


@dataclass(frozen=True, slots=True)
class PartySnapshot:
    name: str
    country: str
    address_line1: str = ""
    address_line2: str = ""
    postcode: str = ""
    city: str = ""
    organisation_number: str = ""
    vat_id: str = ""
    endpoint_scheme: str = ""
    endpoint_id: str = ""
    email: str = ""
    f_tax_approved: bool = False
    is_consumer: bool = False


@dataclass(frozen=True, slots=True)
class LineSnapshot:
    position: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    exemption_reason: str = ""

    @property
    def amount(self) -> Decimal:
        return line_amount(self.quantity, self.unit_price)


@dataclass(frozen=True, slots=True)
class PaymentSnapshot:
    account_id: str
    # None for a BBAN; "SE:BANKGIRO" / "SE:PLUSGIRO" for Swedish giro accounts (SE-R-011).
    institution_branch: str | None = None
    payment_id: str = ""


@dataclass(frozen=True, slots=True)
class DocumentSnapshot:
    is_credit_note: bool
    number: str
    issue_date: date
    due_date: date
    currency: str
    seller: PartySnapshot
    buyer: PartySnapshot
    lines: tuple[LineSnapshot, ...]
    buyer_reference: str = ""
    note: str = ""
    payment: PaymentSnapshot | None = None
    billing_reference: str = ""
    billing_reference_date: date | None = None
    totals: Totals | None = field(default=None)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def seller_vat_id(*, country: str, organisation_number: str, vat_number: str) -> str:
    """NO: NO + 9 digits + MVA (NO-R-001); SE: SE + 10 digits + 01 (SE-R-001/002)."""
    if vat_number:
        return re.sub(r"[\s.-]", "", vat_number).upper()
    orgnr = _digits(organisation_number)
    if country == "NO":
        return f"NO{orgnr}MVA"
    if country == "SE":
        return f"SE{orgnr}01"
    return ""


# --- Snapshot from the database ------------------------------------------------------------


def _seller_snapshot(company) -> PartySnapshot:
    orgnr = _digits(company.organisation_number)
    return PartySnapshot(
        name=company.name,
        country=company.country,
        address_line1=company.address_line1,
        address_line2=company.address_line2,
        postcode=company.postcode,
        city=company.city,
        organisation_number=orgnr,
        vat_id=seller_vat_id(
            country=company.country,
            organisation_number=orgnr,
            vat_number=company.vat_number,
        ),
        endpoint_scheme=SCHEME_BY_COUNTRY.get(company.country, ""),
        endpoint_id=orgnr,
        email=company.email,
        f_tax_approved=company.f_tax_approved,
    )


def _buyer_snapshot(customer) -> PartySnapshot:
    country = customer.country or customer.company.country
    scheme = endpoint = orgnr = ""
    if customer.is_consumer:
        # Swedish consumers are addressed by personnummer (10 digits) under 0007; Norwegian
        # consumers have no electronic address scheme (see README, consumer documents).
        if country == "SE" and customer.national_id:
            from b2cportal.identifiers import ssn_for_peppol_endpoint

            scheme, endpoint = "0007", ssn_for_peppol_endpoint(customer.national_id)
    else:
        orgnr = _digits(customer.organisation_number)
        if orgnr and country in SCHEME_BY_COUNTRY:
            scheme, endpoint = SCHEME_BY_COUNTRY[country], orgnr
    return PartySnapshot(
        name=customer.name,
        country=country,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        postcode=customer.postcode,
        city=customer.city,
        organisation_number=orgnr,
        vat_id=re.sub(r"[\s.-]", "", customer.vat_number).upper()
        if not customer.is_consumer
        else "",
        endpoint_scheme=scheme,
        endpoint_id=endpoint,
        email=customer.email,
        is_consumer=customer.is_consumer,
    )


def swedish_giro(invoice) -> tuple[str, str] | None:
    """(SE:BANKGIRO|SE:PLUSGIRO, digits) for a Swedish seller, or None without an account.

    The branch's B2CSE activation names the account type; without it the company's bank account
    is read as a PlusGiro number when written as `NNNNNN-N` (one check digit after the last
    hyphen), otherwise as a Bankgiro number (`NNN-NNNN` / `NNNN-NNNN`).
    """
    from b2cportal.companies.models import GiroType

    activation = getattr(invoice.branch, "b2cse", None) if invoice.branch_id else None
    if activation is not None and activation.account_type and activation.account_number:
        code = "SE:PLUSGIRO" if activation.account_type == GiroType.PLUSGIRO else "SE:BANKGIRO"
        return code, _digits(activation.account_number)
    raw = (invoice.company.bank_account or "").strip()
    if not raw:
        return None
    if "-" in raw and len(raw.rsplit("-", 1)[1].strip()) == 1:
        return "SE:PLUSGIRO", _digits(raw)
    return "SE:BANKGIRO", _digits(raw)


def payment_snapshot(invoice) -> PaymentSnapshot | None:
    company = invoice.company
    if company.country == "SE":
        giro = swedish_giro(invoice)
        if giro is None:
            return None
        return PaymentSnapshot(
            account_id=giro[1], institution_branch=giro[0], payment_id=invoice.payment_reference
        )
    account = _digits(company.bank_account)
    if not account:
        return None
    return PaymentSnapshot(account_id=account, payment_id=invoice.payment_reference)


def snapshot(invoice) -> DocumentSnapshot:
    """Everything the document needs, read once from the invoice and its relations."""
    lines = tuple(
        LineSnapshot(
            position=line.position,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            exemption_reason=line.exemption_reason,
        )
        for line in invoice.lines.all()
    )
    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    return DocumentSnapshot(
        is_credit_note=invoice.kind == "credit_note",
        number=invoice.number or f"DRAFT-{invoice.pk}",
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        seller=_seller_snapshot(invoice.company),
        buyer=_buyer_snapshot(invoice.customer),
        lines=lines,
        buyer_reference=invoice.buyer_reference or invoice.customer.number,
        note=invoice.note,
        payment=payment_snapshot(invoice),
        billing_reference=credited.number if credited else "",
        billing_reference_date=credited.issue_date if credited else None,
    )


# --- Building -------------------------------------------------------------------------------

_CBC = f"{{{NS_CBC}}}"
_CAC = f"{{{NS_CAC}}}"
_SUB = etree.SubElement


def _text(parent, tag: str, value: str, field_name: str, **attrs):
    """A cbc element with text; empty values are left out (PEPPOL-EN16931-R008)."""
    if value is None or value == "":
        return None
    try:
        el = _SUB(parent, _CBC + tag, attrs) if attrs else _SUB(parent, _CBC + tag)
        el.text = value
    except ValueError as exc:  # lxml refuses XML-illegal characters
        bad = first_xml_illegal(value)
        code = f"U+{ord(bad):04X}" if bad else str(exc)
        raise UblError(field_name, f"character {code} cannot be written to XML") from exc
    return el


def _amount(parent, tag: str, value: Decimal, currency: str):
    el = _SUB(parent, _CBC + tag, currencyID=currency)
    el.text = f"{value:.2f}"
    return el


def _quantity(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _percent(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _address(parent, party: PartySnapshot, prefix: str) -> None:
    address = _SUB(parent, _CAC + "PostalAddress")
    _text(address, "StreetName", party.address_line1, f"{prefix}.address_line1")
    _text(address, "AdditionalStreetName", party.address_line2, f"{prefix}.address_line2")
    _text(address, "CityName", party.city, f"{prefix}.city")
    _text(address, "PostalZone", party.postcode, f"{prefix}.postcode")
    country = _SUB(address, _CAC + "Country")
    _text(country, "IdentificationCode", party.country, f"{prefix}.country")


def _tax_scheme(parent, scheme_id: str) -> None:
    scheme = _SUB(parent, _CAC + "TaxScheme")
    _SUB(scheme, _CBC + "ID").text = scheme_id


def _seller(root, seller: PartySnapshot) -> None:
    party = _SUB(_SUB(root, _CAC + "AccountingSupplierParty"), _CAC + "Party")
    if seller.endpoint_id:
        _text(
            party,
            "EndpointID",
            seller.endpoint_id,
            "seller.endpoint",
            schemeID=seller.endpoint_scheme,
        )
    _text(_SUB(party, _CAC + "PartyName"), "Name", seller.name, "seller.name")
    _address(party, seller, "seller")
    if seller.vat_id:
        tax = _SUB(party, _CAC + "PartyTaxScheme")
        _text(tax, "CompanyID", seller.vat_id, "seller.vat_number")
        _tax_scheme(tax, "VAT")
    if seller.country == "NO":
        # NO-R-002: limited companies state "Foretaksregisteret" (foretaksregisterloven § 10-2).
        tax = _SUB(party, _CAC + "PartyTaxScheme")
        _text(tax, "CompanyID", FORETAKSREGISTERET, "seller.register")
        _tax_scheme(tax, "TAX")
    elif seller.country == "SE" and seller.f_tax_approved:
        # SE-R-005: an F-tax approved seller says so in a non-VAT tax scheme.
        tax = _SUB(party, _CAC + "PartyTaxScheme")
        _text(tax, "CompanyID", F_TAX_TEXT, "seller.f_tax")
        _tax_scheme(tax, "TAX")
    legal = _SUB(party, _CAC + "PartyLegalEntity")
    _text(legal, "RegistrationName", seller.name, "seller.name")
    if seller.organisation_number:
        _text(
            legal,
            "CompanyID",
            seller.organisation_number,
            "seller.organisation_number",
            schemeID=seller.endpoint_scheme,
        )
    if seller.email:
        _text(_SUB(party, _CAC + "Contact"), "ElectronicMail", seller.email, "seller.email")


def _buyer(root, buyer: PartySnapshot) -> None:
    party = _SUB(_SUB(root, _CAC + "AccountingCustomerParty"), _CAC + "Party")
    if buyer.endpoint_id:
        _text(
            party,
            "EndpointID",
            buyer.endpoint_id,
            "customer.endpoint",
            schemeID=buyer.endpoint_scheme,
        )
    _text(_SUB(party, _CAC + "PartyName"), "Name", buyer.name, "customer.name")
    _address(party, buyer, "customer")
    if buyer.vat_id:
        tax = _SUB(party, _CAC + "PartyTaxScheme")
        _text(tax, "CompanyID", buyer.vat_id, "customer.vat_number")
        _tax_scheme(tax, "VAT")
    legal = _SUB(party, _CAC + "PartyLegalEntity")
    _text(legal, "RegistrationName", buyer.name, "customer.name")
    if buyer.organisation_number and buyer.endpoint_scheme:
        _text(
            legal,
            "CompanyID",
            buyer.organisation_number,
            "customer.organisation_number",
            schemeID=buyer.endpoint_scheme,
        )
    if buyer.email:
        _text(_SUB(party, _CAC + "Contact"), "ElectronicMail", buyer.email, "customer.email")


def _tax_category(parent, tag: str, category: str, rate: Decimal, reason: str = "") -> None:
    cat = _SUB(parent, _CAC + tag)
    _SUB(cat, _CBC + "ID").text = category
    if category != "O":
        _SUB(cat, _CBC + "Percent").text = _percent(rate)
    if reason and tag == "TaxCategory":
        _text(cat, "TaxExemptionReason", reason, "lines.exemption_reason")
    _tax_scheme(cat, "VAT")


def build_ubl_from_snapshot(doc: DocumentSnapshot) -> bytes:
    """The UBL 2.1 document for one snapshot, as UTF-8 bytes with an XML declaration."""
    credit = doc.is_credit_note
    ns = NS_CREDIT_NOTE if credit else NS_INVOICE
    root = etree.Element(
        f"{{{ns}}}" + ("CreditNote" if credit else "Invoice"),
        nsmap={None: ns, "cac": NS_CAC, "cbc": NS_CBC},
    )
    cur = doc.currency
    _SUB(root, _CBC + "CustomizationID").text = CUSTOMIZATION_ID
    _SUB(root, _CBC + "ProfileID").text = PROFILE_ID
    _text(root, "ID", doc.number, "number")
    _SUB(root, _CBC + "IssueDate").text = doc.issue_date.isoformat()
    if not credit:
        _SUB(root, _CBC + "DueDate").text = doc.due_date.isoformat()
    _SUB(root, _CBC + ("CreditNoteTypeCode" if credit else "InvoiceTypeCode")).text = (
        "381" if credit else "380"
    )
    _text(root, "Note", doc.note, "note")
    _text(root, "DocumentCurrencyCode", cur, "currency")
    _text(root, "BuyerReference", doc.buyer_reference, "buyer_reference")
    if doc.billing_reference:
        ref = _SUB(_SUB(root, _CAC + "BillingReference"), _CAC + "InvoiceDocumentReference")
        _text(ref, "ID", doc.billing_reference, "credited_invoice")
        if doc.billing_reference_date:
            _SUB(ref, _CBC + "IssueDate").text = doc.billing_reference_date.isoformat()
    _seller(root, doc.seller)
    _buyer(root, doc.buyer)

    if doc.payment is not None:
        means = _SUB(root, _CAC + "PaymentMeans")
        _SUB(means, _CBC + "PaymentMeansCode").text = "30"
        if credit:
            # UBL 2.1 credit notes have no document-level due date (BT-9 lives here).
            _SUB(means, _CBC + "PaymentDueDate").text = doc.due_date.isoformat()
        _text(means, "PaymentID", doc.payment.payment_id, "payment_reference")
        account = _SUB(means, _CAC + "PayeeFinancialAccount")
        _text(account, "ID", doc.payment.account_id, "company.bank_account")
        if doc.payment.institution_branch:
            branch = _SUB(account, _CAC + "FinancialInstitutionBranch")
            _SUB(branch, _CBC + "ID").text = doc.payment.institution_branch
    elif credit:
        terms = _SUB(root, _CAC + "PaymentTerms")
        _SUB(terms, _CBC + "Note").text = doc.due_date.isoformat()

    totals = doc.totals or compute_totals(doc.lines)
    tax_total = _SUB(root, _CAC + "TaxTotal")
    _amount(tax_total, "TaxAmount", totals.vat, cur)
    for group in totals.groups:
        sub = _SUB(tax_total, _CAC + "TaxSubtotal")
        _amount(sub, "TaxableAmount", group.taxable, cur)
        _amount(sub, "TaxAmount", group.tax, cur)
        _tax_category(sub, "TaxCategory", group.category, group.rate, group.exemption_reason)

    monetary = _SUB(root, _CAC + "LegalMonetaryTotal")
    _amount(monetary, "LineExtensionAmount", totals.excl_vat, cur)
    _amount(monetary, "TaxExclusiveAmount", totals.excl_vat, cur)
    _amount(monetary, "TaxInclusiveAmount", totals.incl_vat, cur)
    _amount(monetary, "PayableAmount", totals.incl_vat, cur)

    line_tag = "CreditNoteLine" if credit else "InvoiceLine"
    quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    for index, line in enumerate(doc.lines, start=1):
        el = _SUB(root, _CAC + line_tag)
        _SUB(el, _CBC + "ID").text = str(line.position or index)
        _SUB(el, _CBC + quantity_tag, unitCode=line.unit).text = _quantity(line.quantity)
        _amount(el, "LineExtensionAmount", line.amount, cur)
        item = _SUB(el, _CAC + "Item")
        _text(item, "Name", line.description, f"lines[{index}].description")
        _tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        price = _SUB(el, _CAC + "Price")
        _amount(price, "PriceAmount", line.unit_price, cur)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build_ubl(invoice) -> bytes:
    """The Peppol BIS Billing 3.0 document of an Invoice (or of a DocumentSnapshot)."""
    doc = invoice if isinstance(invoice, DocumentSnapshot) else snapshot(invoice)
    return build_ubl_from_snapshot(doc)
