"""Peppol BIS Billing 3.0 (EHF 3.0 in Norway) UBL 2.1 XML from a `DocumentSnapshot`, with lxml.

Every text goes through lxml, which escapes it; text that XML cannot carry raises `UblError`
naming the field (forms refuse such text earlier, see `b2cportal.validators`).
"""

from __future__ import annotations

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

# --- Building -------------------------------------------------------------------------------
#
# The builder walks the snapshot once and records the document's *shape* (which elements, in
# which nesting, with which attribute values) as a tuple of small event ids, and its texts in
# document order. The first document of a shape is built element by element with lxml; later
# documents of the same shape (a bulk run has few shapes) deep-copy that tree in C and set the
# texts. lxml escapes every text either way; no XML is ever assembled from strings.

_CBC = f"{{{NS_CBC}}}"
_CAC = f"{{{NS_CAC}}}"
_OPEN, _CLOSE, _LEAF = 0, 1, 2
_EVENTS: list[tuple[int, str, str]] = []  # id -> (kind, Clark tag, attribute name or "")


def _ev(kind: int, tag: str = "", attribute: str = "") -> int:
    _EVENTS.append((kind, tag, attribute))
    return len(_EVENTS) - 1


CLOSE = _ev(_CLOSE)
# Containers
_OPENS = {
    name: _ev(_OPEN, _CAC + name)
    for name in (
        "BillingReference",
        "InvoiceDocumentReference",
        "AccountingSupplierParty",
        "AccountingCustomerParty",
        "Party",
        "PartyName",
        "PostalAddress",
        "Country",
        "PartyTaxScheme",
        "TaxScheme",
        "PartyLegalEntity",
        "Contact",
        "PaymentMeans",
        "PayeeFinancialAccount",
        "FinancialInstitutionBranch",
        "PaymentTerms",
        "TaxTotal",
        "TaxSubtotal",
        "TaxCategory",
        "ClassifiedTaxCategory",
        "LegalMonetaryTotal",
        "InvoiceLine",
        "CreditNoteLine",
        "Item",
        "Price",
    )
}
# Text elements
_LEAVES = {
    name: _ev(_LEAF, _CBC + name)
    for name in (
        "CustomizationID",
        "ProfileID",
        "ID",
        "IssueDate",
        "DueDate",
        "InvoiceTypeCode",
        "CreditNoteTypeCode",
        "Note",
        "DocumentCurrencyCode",
        "BuyerReference",
        "Name",
        "StreetName",
        "AdditionalStreetName",
        "CityName",
        "PostalZone",
        "IdentificationCode",
        "CompanyID",
        "RegistrationName",
        "ElectronicMail",
        "PaymentMeansCode",
        "PaymentDueDate",
        "PaymentID",
        "Percent",
        "TaxExemptionReason",
    )
}
# Text elements with one attribute; its value follows the id in the shape.
L_ENDPOINT = _ev(_LEAF, _CBC + "EndpointID", "schemeID")
L_COMPANY_ID_SCHEME = _ev(_LEAF, _CBC + "CompanyID", "schemeID")
L_INVOICED_QTY = _ev(_LEAF, _CBC + "InvoicedQuantity", "unitCode")
L_CREDITED_QTY = _ev(_LEAF, _CBC + "CreditedQuantity", "unitCode")
_AMOUNTS = {
    name: _ev(_LEAF, _CBC + name, "currencyID")
    for name in (
        "TaxAmount",
        "TaxableAmount",
        "LineExtensionAmount",
        "TaxExclusiveAmount",
        "TaxInclusiveAmount",
        "PayableAmount",
        "PriceAmount",
    )
}

_PARTY_FIELDS = {
    prefix: {
        name: f"{prefix}.{name}"
        for name in (
            "endpoint",
            "name",
            "address_line1",
            "address_line2",
            "city",
            "postcode",
            "country",
            "vat_number",
            "organisation_number",
            "email",
        )
    }
    for prefix in ("seller", "customer")
}


class _Doc:
    __slots__ = ("currency", "fields", "shape", "texts")

    def __init__(self, currency: str):
        self.shape: list[int | str] = []
        self.texts: list[str] = []
        self.fields: list[str] = []
        self.currency = currency

    def leaf(self, event: int, value: str, field_name: str) -> None:
        """A text element; empty values are left out (PEPPOL-EN16931-R008: no empty elements)."""
        if value:
            self.shape.append(event)
            self.texts.append(value)
            self.fields.append(field_name)

    def leaf_attr(self, event: int, attribute: str, value: str, field_name: str) -> None:
        if value:
            self.shape += (event, attribute)
            self.texts.append(value)
            self.fields.append(field_name)

    def amount(self, event: int, value: Decimal) -> None:
        self.shape += (event, self.currency)
        self.texts.append(f"{value:.2f}")
        self.fields.append("amount")


def _address(d: _Doc, party: PartySnapshot, f: dict[str, str]) -> None:
    shape = d.shape
    shape.append(_OPENS["PostalAddress"])
    d.leaf(_LEAVES["StreetName"], party.address_line1, f["address_line1"])
    d.leaf(_LEAVES["AdditionalStreetName"], party.address_line2, f["address_line2"])
    d.leaf(_LEAVES["CityName"], party.city, f["city"])
    d.leaf(_LEAVES["PostalZone"], party.postcode, f["postcode"])
    shape.append(_OPENS["Country"])
    d.leaf(_LEAVES["IdentificationCode"], party.country, f["country"])
    shape += (CLOSE, CLOSE)


def _party_tax(d: _Doc, company_id: str, scheme: str, field_name: str) -> None:
    d.shape.append(_OPENS["PartyTaxScheme"])
    d.leaf(_LEAVES["CompanyID"], company_id, field_name)
    d.shape.append(_OPENS["TaxScheme"])
    d.leaf(_LEAVES["ID"], scheme, "tax_scheme")
    d.shape += (CLOSE, CLOSE)


def _party(d: _Doc, party: PartySnapshot, role: str, prefix: str) -> None:
    f = _PARTY_FIELDS[prefix]
    shape = d.shape
    shape += (_OPENS[role], _OPENS["Party"])
    if party.endpoint_id:
        d.leaf_attr(L_ENDPOINT, party.endpoint_scheme, party.endpoint_id, f["endpoint"])
    shape.append(_OPENS["PartyName"])
    d.leaf(_LEAVES["Name"], party.name, f["name"])
    shape.append(CLOSE)
    _address(d, party, f)
    if party.vat_id:
        _party_tax(d, party.vat_id, "VAT", f["vat_number"])
    if prefix == "seller":
        if party.country == "NO" and party.foretaksregisteret:
            # NO-R-002: sellers registered in Foretaksregisteret say so (foretaksregisterloven
            # § 10-2); a company setting, never assumed.
            _party_tax(d, FORETAKSREGISTERET, "TAX", "seller.register")
        elif party.country == "SE" and party.f_tax_approved:
            # SE-R-005: an F-tax approved seller says so in a non-VAT tax scheme.
            _party_tax(d, F_TAX_TEXT, "TAX", "seller.f_tax")
    shape.append(_OPENS["PartyLegalEntity"])
    d.leaf(_LEAVES["RegistrationName"], party.name, f["name"])
    if party.organisation_number and party.endpoint_scheme:
        d.leaf_attr(
            L_COMPANY_ID_SCHEME,
            party.endpoint_scheme,
            party.organisation_number,
            f["organisation_number"],
        )
    shape.append(CLOSE)
    if party.email:
        shape.append(_OPENS["Contact"])
        d.leaf(_LEAVES["ElectronicMail"], party.email, f["email"])
        shape.append(CLOSE)
    shape += (CLOSE, CLOSE)


def _tax_category(d: _Doc, tag: str, category: str, rate: Decimal, reason: str = "") -> None:
    d.shape.append(_OPENS[tag])
    d.leaf(_LEAVES["ID"], category, "vat_category")
    if category != "O":
        d.leaf(_LEAVES["Percent"], f"{rate:.2f}", "vat_rate")
    if reason and tag == "TaxCategory":
        d.leaf(_LEAVES["TaxExemptionReason"], reason, "lines.exemption_reason")
    d.shape.append(_OPENS["TaxScheme"])
    d.leaf(_LEAVES["ID"], "VAT", "tax_scheme")
    d.shape += (CLOSE, CLOSE)


def _walk(doc: DocumentSnapshot) -> _Doc:
    """Record the document's shape and texts in document order (the UBL 2.1 sequence)."""
    d = _Doc(doc.currency)
    shape = d.shape
    credit = doc.is_credit_note
    d.leaf(_LEAVES["CustomizationID"], CUSTOMIZATION_ID, "customization")
    d.leaf(_LEAVES["ProfileID"], PROFILE_ID, "profile")
    d.leaf(_LEAVES["ID"], doc.number, "number")
    d.leaf(_LEAVES["IssueDate"], doc.issue_date.isoformat(), "issue_date")
    if credit:
        d.leaf(_LEAVES["CreditNoteTypeCode"], "381", "type")
    else:
        d.leaf(_LEAVES["DueDate"], doc.due_date.isoformat(), "due_date")
        d.leaf(_LEAVES["InvoiceTypeCode"], "380", "type")
    d.leaf(_LEAVES["Note"], doc.note, "note")
    d.leaf(_LEAVES["DocumentCurrencyCode"], doc.currency, "currency")
    d.leaf(_LEAVES["BuyerReference"], doc.buyer_reference, "buyer_reference")
    if doc.billing_reference:
        shape += (_OPENS["BillingReference"], _OPENS["InvoiceDocumentReference"])
        d.leaf(_LEAVES["ID"], doc.billing_reference, "credited_invoice")
        if doc.billing_reference_date:
            d.leaf(_LEAVES["IssueDate"], doc.billing_reference_date.isoformat(), "credited_date")
        shape += (CLOSE, CLOSE)
    _party(d, doc.seller, "AccountingSupplierParty", "seller")
    _party(d, doc.buyer, "AccountingCustomerParty", "customer")

    payment = doc.payment
    if payment is not None:
        shape.append(_OPENS["PaymentMeans"])
        d.leaf(_LEAVES["PaymentMeansCode"], "30", "payment_means")
        if credit:
            # UBL 2.1 credit notes have no document-level due date (BT-9 lives here).
            d.leaf(_LEAVES["PaymentDueDate"], doc.due_date.isoformat(), "due_date")
        d.leaf(_LEAVES["PaymentID"], payment.payment_id, "payment_reference")
        shape.append(_OPENS["PayeeFinancialAccount"])
        d.leaf(_LEAVES["ID"], payment.account_id, "company.bank_account")
        if payment.institution_branch:
            shape.append(_OPENS["FinancialInstitutionBranch"])
            d.leaf(_LEAVES["ID"], payment.institution_branch, "company.bank_account")
            shape.append(CLOSE)
        shape += (CLOSE, CLOSE)
    elif credit:
        # A credit note carries no payment instruction (no account, no due date to pay by).
        # BR-CO-25 still wants payment terms when the amount is positive: they say what happens
        # to the credited amount, in the customer's language.
        shape.append(_OPENS["PaymentTerms"])
        d.leaf(_LEAVES["Note"], doc.refund_note or doc.due_date.isoformat(), "refund_note")
        shape.append(CLOSE)

    totals = doc.totals or compute_totals(doc.lines, doc.tax_override_map)
    shape.append(_OPENS["TaxTotal"])
    d.amount(_AMOUNTS["TaxAmount"], totals.vat)
    for group in totals.groups:
        shape.append(_OPENS["TaxSubtotal"])
        d.amount(_AMOUNTS["TaxableAmount"], group.taxable)
        d.amount(_AMOUNTS["TaxAmount"], group.tax)
        _tax_category(d, "TaxCategory", group.category, group.rate, group.exemption_reason)
        shape.append(CLOSE)
    shape.append(CLOSE)

    shape.append(_OPENS["LegalMonetaryTotal"])
    d.amount(_AMOUNTS["LineExtensionAmount"], totals.excl_vat)
    d.amount(_AMOUNTS["TaxExclusiveAmount"], totals.excl_vat)
    d.amount(_AMOUNTS["TaxInclusiveAmount"], totals.incl_vat)
    d.amount(_AMOUNTS["PayableAmount"], totals.incl_vat)
    shape.append(CLOSE)

    line_event = _OPENS["CreditNoteLine"] if credit else _OPENS["InvoiceLine"]
    quantity_event = L_CREDITED_QTY if credit else L_INVOICED_QTY
    for index, line in enumerate(doc.lines, start=1):
        shape.append(line_event)
        d.leaf(_LEAVES["ID"], str(line.position or index), "lines.position")
        d.leaf_attr(
            quantity_event,
            line.unit,
            format(Decimal(line.quantity).normalize(), "f"),
            "lines.quantity",
        )
        d.amount(_AMOUNTS["LineExtensionAmount"], line.amount)
        shape.append(_OPENS["Item"])
        d.leaf(_LEAVES["Name"], line.description, f"lines[{index}].description")
        _tax_category(d, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        shape += (CLOSE, _OPENS["Price"])
        d.amount(_AMOUNTS["PriceAmount"], line.unit_price)
        shape += (CLOSE, CLOSE)
    return d


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
    items = iter(shape)
    for item in items:
        kind, tag, attribute = _EVENTS[item]
        if kind == _LEAF:
            attrs = {attribute: next(items)} if attribute else {}
            leaves.append(sub(stack[-1], tag, attrs))
        elif kind == _OPEN:
            stack.append(sub(stack[-1], tag))
        else:
            stack.pop()
    index = {el: i for i, el in enumerate(root.iter())}
    return root, tuple(index[el] for el in leaves)


def _illegal(walked: _Doc) -> UblError:
    for value, field_name in zip(walked.texts, walked.fields, strict=True):
        bad = first_xml_illegal(value)
        if bad is not None:
            return UblError(field_name, f"character U+{ord(bad):04X} cannot be written to XML")
    return UblError("document", "text cannot be written to XML")


def build_ubl_from_snapshot(doc: DocumentSnapshot) -> bytes:
    """The UBL 2.1 document for one snapshot, as UTF-8 bytes with an XML declaration."""
    walked = _walk(doc)
    key = (doc.is_credit_note, *walked.shape)
    cached = _TEMPLATES.get(key)
    if cached is None:
        if len(_TEMPLATES) >= _MAX_TEMPLATES:
            _TEMPLATES.clear()
        cached = _TEMPLATES[key] = _template(doc.is_credit_note, tuple(walked.shape))
    template, positions = cached
    root = template.__deepcopy__(None)
    elements = list(root.iter())
    try:
        for position, value in zip(positions, walked.texts, strict=True):
            elements[position].text = value
    except ValueError as exc:  # lxml refuses XML-illegal characters
        raise _illegal(walked) from exc
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
