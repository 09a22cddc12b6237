"""Peppol BIS Billing 3.0 (EHF 3.0 in Norway) UBL 2.1 XML from a `DocumentSnapshot`, with lxml.

A plain builder: each function appends its elements in the UBL 2.1 sequence with
`etree.SubElement`. What differs per country is in hooks (`SELLER_TAX_SCHEMES`). Every text goes
through lxml, which escapes it; text that XML cannot carry raises `UblError` naming the field
(forms refuse such text earlier, see `b2cportal.validators`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from lxml import etree

from b2cportal.validators import first_xml_illegal

from ..calc import compute_totals
from .snapshot import DocumentSnapshot, PartySnapshot, UblError

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

F_TAX_TEXT = "Godkänd för F-skatt"
FORETAKSREGISTERET = "Foretaksregisteret"

_CBC = f"{{{NS_CBC}}}"
_CAC = f"{{{NS_CAC}}}"
_sub = etree.SubElement


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return _sub(parent, _CAC + name)


def _cbc(
    parent: etree._Element, name: str, value: str, field_name: str, **attributes: str
) -> etree._Element | None:
    """A text element; empty values are left out (PEPPOL-EN16931-R008: no empty elements)."""
    if not value:
        return None
    element = _sub(parent, _CBC + name, attributes)
    try:
        element.text = value
    except ValueError as exc:  # lxml refuses XML-illegal characters
        bad = first_xml_illegal(value)
        detail = f"character U+{ord(bad):04X}" if bad is not None else "text"
        raise UblError(field_name, f"{detail} cannot be written to XML") from exc
    return element


def _amount(parent: etree._Element, name: str, value: Decimal, currency: str) -> None:
    _cbc(parent, name, f"{value:.2f}", "amount", currencyID=currency)


# --- Per-country hooks ----------------------------------------------------------------------


def _party_tax(party: etree._Element, company_id: str, scheme: str, field_name: str) -> None:
    tax = _cac(party, "PartyTaxScheme")
    _cbc(tax, "CompanyID", company_id, field_name)
    _cbc(_cac(tax, "TaxScheme"), "ID", scheme, "tax_scheme")


def _norwegian_seller(party: etree._Element, seller: PartySnapshot) -> None:
    # NO-R-002: sellers registered in Foretaksregisteret say so (foretaksregisterloven § 10-2);
    # a company setting, never assumed.
    if seller.foretaksregisteret:
        _party_tax(party, FORETAKSREGISTERET, "TAX", "seller.register")


def _swedish_seller(party: etree._Element, seller: PartySnapshot) -> None:
    # SE-R-005: an F-tax approved seller says so in a non-VAT tax scheme.
    if seller.f_tax_approved:
        _party_tax(party, F_TAX_TEXT, "TAX", "seller.f_tax")


# Extra tax schemes a seller of the country states after its VAT registration.
SELLER_TAX_SCHEMES: dict[str, Callable[[etree._Element, PartySnapshot], None]] = {
    "NO": _norwegian_seller,
    "SE": _swedish_seller,
}


# --- Parts of the document ------------------------------------------------------------------


def _address(party: etree._Element, who: PartySnapshot, prefix: str) -> None:
    address = _cac(party, "PostalAddress")
    _cbc(address, "StreetName", who.address_line1, f"{prefix}.address_line1")
    _cbc(address, "AdditionalStreetName", who.address_line2, f"{prefix}.address_line2")
    _cbc(address, "CityName", who.city, f"{prefix}.city")
    _cbc(address, "PostalZone", who.postcode, f"{prefix}.postcode")
    _cbc(_cac(address, "Country"), "IdentificationCode", who.country, f"{prefix}.country")


def _party(root: etree._Element, who: PartySnapshot, role: str, prefix: str) -> None:
    party = _cac(_cac(root, role), "Party")
    if who.endpoint_id:
        _cbc(
            party,
            "EndpointID",
            who.endpoint_id,
            f"{prefix}.endpoint",
            schemeID=who.endpoint_scheme,
        )
    _cbc(_cac(party, "PartyName"), "Name", who.name, f"{prefix}.name")
    _address(party, who, prefix)
    if who.vat_id:
        _party_tax(party, who.vat_id, "VAT", f"{prefix}.vat_number")
    if prefix == "seller" and who.country in SELLER_TAX_SCHEMES:
        SELLER_TAX_SCHEMES[who.country](party, who)
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", who.name, f"{prefix}.name")
    if who.organisation_number and who.endpoint_scheme:
        _cbc(
            legal,
            "CompanyID",
            who.organisation_number,
            f"{prefix}.organisation_number",
            schemeID=who.endpoint_scheme,
        )
    if who.email:
        _cbc(_cac(party, "Contact"), "ElectronicMail", who.email, f"{prefix}.email")


def _tax_category(parent, tag: str, category: str, rate: Decimal, reason: str = "") -> None:
    element = _cac(parent, tag)
    _cbc(element, "ID", category, "vat_category")
    if category != "O":
        _cbc(element, "Percent", f"{rate:.2f}", "vat_rate")
    if reason and tag == "TaxCategory":
        _cbc(element, "TaxExemptionReason", reason, "lines.exemption_reason")
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT", "tax_scheme")


def _payment(root: etree._Element, doc: DocumentSnapshot) -> None:
    payment = doc.payment
    if payment is None:
        if doc.is_credit_note:
            # A credit note carries no payment instruction (no account, no due date to pay
            # by). BR-CO-25 still wants payment terms when the amount is positive: they say
            # what happens to the credited amount, in the customer's language.
            note = doc.refund_note or doc.due_date.isoformat()
            _cbc(_cac(root, "PaymentTerms"), "Note", note, "refund_note")
        return
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", "30", "payment_means")
    if doc.is_credit_note:
        # UBL 2.1 credit notes have no document-level due date (BT-9 lives here).
        _cbc(means, "PaymentDueDate", doc.due_date.isoformat(), "due_date")
    _cbc(means, "PaymentID", payment.payment_id, "payment_reference")
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", payment.account_id, "company.bank_account")
    if payment.institution_branch:
        branch = _cac(account, "FinancialInstitutionBranch")
        _cbc(branch, "ID", payment.institution_branch, "company.bank_account")


def _totals(root: etree._Element, doc: DocumentSnapshot) -> None:
    currency = doc.currency
    totals = doc.totals or compute_totals(doc.lines, doc.tax_override_map)
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", totals.vat, currency)
    for group in totals.groups:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", group.taxable, currency)
        _amount(subtotal, "TaxAmount", group.tax, currency)
        _tax_category(subtotal, "TaxCategory", group.category, group.rate, group.exemption_reason)
    monetary = _cac(root, "LegalMonetaryTotal")
    _amount(monetary, "LineExtensionAmount", totals.excl_vat, currency)
    _amount(monetary, "TaxExclusiveAmount", totals.excl_vat, currency)
    _amount(monetary, "TaxInclusiveAmount", totals.incl_vat, currency)
    _amount(monetary, "PayableAmount", totals.incl_vat, currency)


def _lines(root: etree._Element, doc: DocumentSnapshot) -> None:
    credit = doc.is_credit_note
    line_tag = "CreditNoteLine" if credit else "InvoiceLine"
    quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    for index, line in enumerate(doc.lines, start=1):
        element = _cac(root, line_tag)
        _cbc(element, "ID", str(line.position or index), "lines.position")
        _cbc(
            element,
            quantity_tag,
            format(Decimal(line.quantity).normalize(), "f"),
            "lines.quantity",
            unitCode=line.unit,
        )
        _amount(element, "LineExtensionAmount", line.amount, doc.currency)
        item = _cac(element, "Item")
        _cbc(item, "Name", line.description, f"lines[{index}].description")
        _tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        _amount(_cac(element, "Price"), "PriceAmount", line.unit_price, doc.currency)


def build_ubl_from_snapshot(doc: DocumentSnapshot) -> bytes:
    """The UBL 2.1 document for one snapshot, as UTF-8 bytes with an XML declaration."""
    credit = doc.is_credit_note
    ns = NS_CREDIT_NOTE if credit else NS_INVOICE
    root = etree.Element(
        f"{{{ns}}}" + ("CreditNote" if credit else "Invoice"),
        nsmap={None: ns, "cac": NS_CAC, "cbc": NS_CBC},
    )
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID, "customization")
    _cbc(root, "ProfileID", PROFILE_ID, "profile")
    _cbc(root, "ID", doc.number, "number")
    _cbc(root, "IssueDate", doc.issue_date.isoformat(), "issue_date")
    if credit:
        _cbc(root, "CreditNoteTypeCode", "381", "type")
    else:
        _cbc(root, "DueDate", doc.due_date.isoformat(), "due_date")
        _cbc(root, "InvoiceTypeCode", "380", "type")
    _cbc(root, "Note", doc.note, "note")
    _cbc(root, "DocumentCurrencyCode", doc.currency, "currency")
    _cbc(root, "BuyerReference", doc.buyer_reference, "buyer_reference")
    if doc.billing_reference:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", doc.billing_reference, "credited_invoice")
        if doc.billing_reference_date:
            _cbc(reference, "IssueDate", doc.billing_reference_date.isoformat(), "credited_date")
    _party(root, doc.seller, "AccountingSupplierParty", "seller")
    _party(root, doc.buyer, "AccountingCustomerParty", "customer")
    _payment(root, doc)
    _totals(root, doc)
    _lines(root, doc)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
