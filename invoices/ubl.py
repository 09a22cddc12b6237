"""Peppol BIS Billing 3.0 (EHF 3.0 in Norway) UBL 2.1 invoices and credit notes, built with lxml.

`build_ubl(invoice)` takes an Invoice (or a ready `DocumentSnapshot`) and returns the XML bytes.
The builder works on a plain dataclass snapshot so it needs no database, is fast in bulk runs and
is easy to test. Every text goes through lxml, which escapes it; text that XML cannot carry raises
`UblError` naming the field (forms refuse such text earlier, see `invoices.validators`).
"""

from __future__ import annotations

import copy
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
            from django.core.exceptions import ValidationError

            from b2cportal.identifiers import ssn_for_peppol_endpoint

            try:
                scheme, endpoint = "0007", ssn_for_peppol_endpoint(customer.national_id)
            except (ValidationError, ValueError):
                # A stored number that is not a personnummer gets no address rather than
                # stopping a bulk run; validation then lists PEPPOL-EN16931-R010.
                scheme = endpoint = ""
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
#
# The builder walks the snapshot once and records the document as a list of element events
# (its "shape": tags, attributes, nesting) plus the texts in document order. The first document
# of a shape is built element by element with lxml; later documents of the same shape (a bulk
# run has few shapes: same parties' fields, same line count) deep-copy that tree in C and set
# the texts. lxml does all escaping either way.

_CBC = f"{{{NS_CBC}}}"
_CAC = f"{{{NS_CAC}}}"
_OPEN, _CLOSE, _LEAF = 0, 1, 2
_NO_ATTRS: tuple = ()


class _Doc:
    __slots__ = ("shape", "texts")

    def __init__(self):
        self.shape: list[tuple] = []
        self.texts: list[tuple[str, str]] = []

    def open(self, tag: str) -> None:
        self.shape.append((_OPEN, tag, _NO_ATTRS))

    def close(self) -> None:
        self.shape.append((_CLOSE,))

    def leaf(self, tag: str, value: str, field_name: str, attrs: tuple = _NO_ATTRS) -> None:
        """A text element; empty values are left out (PEPPOL-EN16931-R008: no empty elements)."""
        if value is None or value == "":
            return
        self.shape.append((_LEAF, tag, attrs))
        self.texts.append((value, field_name))

    def amount(self, tag: str, value: Decimal, currency: str) -> None:
        self.shape.append((_LEAF, tag, (("currencyID", currency),)))
        self.texts.append((f"{value:.2f}", tag))


def _percent(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _address(d: _Doc, party: PartySnapshot, prefix: str) -> None:
    d.open(_CAC + "PostalAddress")
    d.leaf(_CBC + "StreetName", party.address_line1, f"{prefix}.address_line1")
    d.leaf(_CBC + "AdditionalStreetName", party.address_line2, f"{prefix}.address_line2")
    d.leaf(_CBC + "CityName", party.city, f"{prefix}.city")
    d.leaf(_CBC + "PostalZone", party.postcode, f"{prefix}.postcode")
    d.open(_CAC + "Country")
    d.leaf(_CBC + "IdentificationCode", party.country, f"{prefix}.country")
    d.close()
    d.close()


def _party_tax(d: _Doc, company_id: str, scheme: str, field_name: str) -> None:
    d.open(_CAC + "PartyTaxScheme")
    d.leaf(_CBC + "CompanyID", company_id, field_name)
    d.open(_CAC + "TaxScheme")
    d.leaf(_CBC + "ID", scheme, "tax_scheme")
    d.close()
    d.close()


def _party(d: _Doc, party: PartySnapshot, role: str, prefix: str) -> None:
    d.open(_CAC + role)
    d.open(_CAC + "Party")
    if party.endpoint_id:
        d.leaf(
            _CBC + "EndpointID",
            party.endpoint_id,
            f"{prefix}.endpoint",
            (("schemeID", party.endpoint_scheme),),
        )
    d.open(_CAC + "PartyName")
    d.leaf(_CBC + "Name", party.name, f"{prefix}.name")
    d.close()
    _address(d, party, prefix)
    if party.vat_id:
        _party_tax(d, party.vat_id, "VAT", f"{prefix}.vat_number")
    if prefix == "seller":
        if party.country == "NO":
            # NO-R-002: limited companies state "Foretaksregisteret" (foretaksregisterloven § 10-2).
            _party_tax(d, FORETAKSREGISTERET, "TAX", "seller.register")
        elif party.country == "SE" and party.f_tax_approved:
            # SE-R-005: an F-tax approved seller says so in a non-VAT tax scheme.
            _party_tax(d, F_TAX_TEXT, "TAX", "seller.f_tax")
    d.open(_CAC + "PartyLegalEntity")
    d.leaf(_CBC + "RegistrationName", party.name, f"{prefix}.name")
    if party.organisation_number and party.endpoint_scheme:
        d.leaf(
            _CBC + "CompanyID",
            party.organisation_number,
            f"{prefix}.organisation_number",
            (("schemeID", party.endpoint_scheme),),
        )
    d.close()
    if party.email:
        d.open(_CAC + "Contact")
        d.leaf(_CBC + "ElectronicMail", party.email, f"{prefix}.email")
        d.close()
    d.close()
    d.close()


def _tax_category(d: _Doc, tag: str, category: str, rate: Decimal, reason: str = "") -> None:
    d.open(_CAC + tag)
    d.leaf(_CBC + "ID", category, "vat_category")
    if category != "O":
        d.leaf(_CBC + "Percent", _percent(rate), "vat_rate")
    if reason and tag == "TaxCategory":
        d.leaf(_CBC + "TaxExemptionReason", reason, "lines.exemption_reason")
    d.open(_CAC + "TaxScheme")
    d.leaf(_CBC + "ID", "VAT", "tax_scheme")
    d.close()
    d.close()


def _walk(doc: DocumentSnapshot) -> _Doc:
    """Record the document's elements and texts in document order (UBL 2.1 sequence)."""
    d = _Doc()
    credit = doc.is_credit_note
    cur = doc.currency
    d.leaf(_CBC + "CustomizationID", CUSTOMIZATION_ID, "customization")
    d.leaf(_CBC + "ProfileID", PROFILE_ID, "profile")
    d.leaf(_CBC + "ID", doc.number, "number")
    d.leaf(_CBC + "IssueDate", doc.issue_date.isoformat(), "issue_date")
    if not credit:
        d.leaf(_CBC + "DueDate", doc.due_date.isoformat(), "due_date")
        d.leaf(_CBC + "InvoiceTypeCode", "380", "type")
    else:
        d.leaf(_CBC + "CreditNoteTypeCode", "381", "type")
    d.leaf(_CBC + "Note", doc.note, "note")
    d.leaf(_CBC + "DocumentCurrencyCode", cur, "currency")
    d.leaf(_CBC + "BuyerReference", doc.buyer_reference, "buyer_reference")
    if doc.billing_reference:
        d.open(_CAC + "BillingReference")
        d.open(_CAC + "InvoiceDocumentReference")
        d.leaf(_CBC + "ID", doc.billing_reference, "credited_invoice")
        if doc.billing_reference_date:
            d.leaf(_CBC + "IssueDate", doc.billing_reference_date.isoformat(), "credited_date")
        d.close()
        d.close()
    _party(d, doc.seller, "AccountingSupplierParty", "seller")
    _party(d, doc.buyer, "AccountingCustomerParty", "customer")

    if doc.payment is not None:
        d.open(_CAC + "PaymentMeans")
        d.leaf(_CBC + "PaymentMeansCode", "30", "payment_means")
        if credit:
            # UBL 2.1 credit notes have no document-level due date (BT-9 lives here).
            d.leaf(_CBC + "PaymentDueDate", doc.due_date.isoformat(), "due_date")
        d.leaf(_CBC + "PaymentID", doc.payment.payment_id, "payment_reference")
        d.open(_CAC + "PayeeFinancialAccount")
        d.leaf(_CBC + "ID", doc.payment.account_id, "company.bank_account")
        if doc.payment.institution_branch:
            d.open(_CAC + "FinancialInstitutionBranch")
            d.leaf(_CBC + "ID", doc.payment.institution_branch, "company.bank_account")
            d.close()
        d.close()
        d.close()
    elif credit:
        d.open(_CAC + "PaymentTerms")
        d.leaf(_CBC + "Note", doc.due_date.isoformat(), "due_date")
        d.close()

    totals = doc.totals or compute_totals(doc.lines)
    d.open(_CAC + "TaxTotal")
    d.amount(_CBC + "TaxAmount", totals.vat, cur)
    for group in totals.groups:
        d.open(_CAC + "TaxSubtotal")
        d.amount(_CBC + "TaxableAmount", group.taxable, cur)
        d.amount(_CBC + "TaxAmount", group.tax, cur)
        _tax_category(d, "TaxCategory", group.category, group.rate, group.exemption_reason)
        d.close()
    d.close()

    d.open(_CAC + "LegalMonetaryTotal")
    d.amount(_CBC + "LineExtensionAmount", totals.excl_vat, cur)
    d.amount(_CBC + "TaxExclusiveAmount", totals.excl_vat, cur)
    d.amount(_CBC + "TaxInclusiveAmount", totals.incl_vat, cur)
    d.amount(_CBC + "PayableAmount", totals.incl_vat, cur)
    d.close()

    line_tag = _CAC + ("CreditNoteLine" if credit else "InvoiceLine")
    quantity_tag = _CBC + ("CreditedQuantity" if credit else "InvoicedQuantity")
    for index, line in enumerate(doc.lines, start=1):
        d.open(line_tag)
        d.leaf(_CBC + "ID", str(line.position or index), "lines.position")
        d.leaf(
            quantity_tag,
            format(Decimal(line.quantity).normalize(), "f"),
            "lines.quantity",
            (("unitCode", line.unit),),
        )
        d.amount(_CBC + "LineExtensionAmount", line.amount, cur)
        d.open(_CAC + "Item")
        d.leaf(_CBC + "Name", line.description, f"lines[{index}].description")
        _tax_category(d, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        d.close()
        d.open(_CAC + "Price")
        d.amount(_CBC + "PriceAmount", line.unit_price, cur)
        d.close()
        d.close()
    return d


def _set_text(el, value: str, field_name: str) -> None:
    try:
        el.text = value
    except ValueError as exc:  # lxml refuses XML-illegal characters
        bad = first_xml_illegal(value)
        code = f"U+{ord(bad):04X}" if bad else str(exc)
        raise UblError(field_name, f"character {code} cannot be written to XML") from exc


# shape -> (template root, positions of the text elements in root.iter() order)
_TEMPLATES: dict[tuple, tuple[etree._Element, tuple[int, ...]]] = {}
_MAX_TEMPLATES = 512


def _template(credit: bool, shape: tuple) -> tuple[etree._Element, tuple[int, ...]]:
    ns = NS_CREDIT_NOTE if credit else NS_INVOICE
    root = etree.Element(
        f"{{{ns}}}" + ("CreditNote" if credit else "Invoice"),
        nsmap={None: ns, "cac": NS_CAC, "cbc": NS_CBC},
    )
    stack = [root]
    leaves: list[etree._Element] = []
    sub = etree.SubElement
    for event in shape:
        kind = event[0]
        if kind == _LEAF:
            leaves.append(
                sub(stack[-1], event[1], dict(event[2])) if event[2] else sub(stack[-1], event[1])
            )
        elif kind == _OPEN:
            stack.append(sub(stack[-1], event[1]))
        else:
            stack.pop()
    index = {el: i for i, el in enumerate(root.iter())}
    return root, tuple(index[el] for el in leaves)


def build_ubl_from_snapshot(doc: DocumentSnapshot) -> bytes:
    """The UBL 2.1 document for one snapshot, as UTF-8 bytes with an XML declaration."""
    walked = _walk(doc)
    key = (doc.is_credit_note, tuple(walked.shape))
    cached = _TEMPLATES.get(key)
    if cached is None:
        if len(_TEMPLATES) >= _MAX_TEMPLATES:
            _TEMPLATES.clear()
        cached = _TEMPLATES[key] = _template(doc.is_credit_note, key[1])
    template, positions = cached
    root = copy.deepcopy(template)
    elements = list(root.iter())
    for position, (value, field_name) in zip(positions, walked.texts, strict=True):
        _set_text(elements[position], value, field_name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build_ubl(invoice) -> bytes:
    """The Peppol BIS Billing 3.0 document of an Invoice (or of a DocumentSnapshot)."""
    doc = invoice if isinstance(invoice, DocumentSnapshot) else snapshot(invoice)
    return build_ubl_from_snapshot(doc)
