"""The document snapshot: everything a UBL or PDF document says, as plain frozen dataclasses.

`snapshot(invoice)` reads it from the live invoice and its company/customer (drafts);
`snapshot_to_json` / `snapshot_from_json` store it on the invoice at release, so a released
document never changes when the customer or company is edited later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..calc import Totals, amount_of

# Electronic address schemes (Peppol EAS): Norwegian and Swedish organisation numbers. 0007 also
# carries a Swedish consumer's 10-digit personnummer (PEPPOL-COMMON-R049 checks it with Luhn).
SCHEME_BY_COUNTRY = {"NO": "0192", "SE": "0007"}


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
    # Norway: the seller is registered in Foretaksregisteret (said on the document, NO-R-002).
    foretaksregisteret: bool = False


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
    # The last credit of an invoice line: what remained of its amount (None: quantity x price).
    fixed_amount: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        return amount_of(self)


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
    # The customer's language when the snapshot was taken (the PDF's labels); not in the UBL.
    language: str = ""
    # Credit notes that credit the last of a VAT group: ("S|25.00", tax) pairs (calc).
    tax_overrides: tuple[tuple[str, str], ...] = ()
    # Credit notes: what happens to the credited amount, in the customer's language (no payment
    # instruction; the UBL's payment terms and the PDF say this instead).
    refund_note: str = ""

    @property
    def tax_override_map(self) -> dict[str, str]:
        return dict(self.tax_overrides)


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
    # The VAT identifier only for a VAT-registered seller (a fact on the company's settings).
    vat_id = (
        seller_vat_id(
            country=company.country,
            organisation_number=orgnr,
            vat_number=company.vat_number,
        )
        if company.vat_registered
        else ""
    )
    return PartySnapshot(
        name=company.name,
        country=company.country,
        address_line1=company.address_line1,
        address_line2=company.address_line2,
        postcode=company.postcode,
        city=company.city,
        organisation_number=orgnr,
        vat_id=vat_id,
        endpoint_scheme=SCHEME_BY_COUNTRY.get(company.country, ""),
        endpoint_id=orgnr,
        email=company.email,
        f_tax_approved=company.country == "SE" and company.f_tax_approved,
        foretaksregisteret=company.country == "NO" and company.registered_in_foretaksregisteret,
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


GIRO_CODES = {"bankgiro": "SE:BANKGIRO", "plusgiro": "SE:PLUSGIRO"}


def swedish_giro(invoice) -> tuple[str, str] | None:
    """(SE:BANKGIRO|SE:PLUSGIRO, digits) for a Swedish seller, or None without an account.

    The account type is stored, never guessed from how the number is written (a PlusGiro
    number typed without its hyphen looks like a Bankgiro number): the branch's B2CSE
    activation names it, else the company's *account type* setting. No type, no account.
    """
    activation = getattr(invoice.branch, "b2cse", None) if invoice.branch_id else None
    if activation is not None and activation.account_type and activation.account_number:
        code = GIRO_CODES.get(activation.account_type)
        if code:
            return code, _digits(activation.account_number)
    company = invoice.company
    code = GIRO_CODES.get(company.bank_account_type)
    account = _digits(company.bank_account)
    if code is None or not account:
        return None
    return code, account


def payment_snapshot(invoice) -> PaymentSnapshot | None:
    """Where and how to pay, or None: credit notes carry no payment instruction."""
    if invoice.kind == "credit_note":
        return None
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


def snapshot(invoice, *, lines=None) -> DocumentSnapshot:
    """Everything the document needs, read once from the invoice and its relations.

    `lines` may pass the invoice's lines when the caller has already read them.
    """
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
            fixed_amount=line.fixed_amount,
        )
        for line in (invoice.lines.all() if lines is None else lines)
    )
    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    language = invoice.customer.language or "en"
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
        language=language,
        tax_overrides=tuple(sorted((invoice.vat_overrides or {}).items())),
        refund_note=refund_note(language) if invoice.kind == "credit_note" else "",
    )


def refund_note(language: str) -> str:
    """What a credit note tells the customer instead of how to pay, in their language."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(language or "en"):
        return gettext(
            "This is a credit note: nothing is to be paid. The amount will be refunded to you "
            "or offset against an invoice you have not yet paid."
        )


# --- Freezing: JSON round trip ----------------------------------------------------------------
#
# Totals are left out: they are recomputed from the frozen lines with the same arithmetic
# (`calc.compute_totals`), so storing them would only add a second copy that could disagree.

SNAPSHOT_VERSION = 1


def _party_to_json(party: PartySnapshot) -> dict:
    return {name: getattr(party, name) for name in PartySnapshot.__dataclass_fields__}


def snapshot_to_json(doc: DocumentSnapshot) -> dict:
    """A JSON-safe dict of the snapshot (Decimals and dates as strings) to store on the invoice."""
    payment = doc.payment
    return {
        "version": SNAPSHOT_VERSION,
        "is_credit_note": doc.is_credit_note,
        "number": doc.number,
        "issue_date": doc.issue_date.isoformat(),
        "due_date": doc.due_date.isoformat(),
        "currency": doc.currency,
        "seller": _party_to_json(doc.seller),
        "buyer": _party_to_json(doc.buyer),
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price": str(line.unit_price),
                "vat_category": line.vat_category,
                "vat_rate": str(line.vat_rate),
                "exemption_reason": line.exemption_reason,
                "fixed_amount": None if line.fixed_amount is None else str(line.fixed_amount),
            }
            for line in doc.lines
        ],
        "buyer_reference": doc.buyer_reference,
        "note": doc.note,
        "payment": None
        if payment is None
        else {
            "account_id": payment.account_id,
            "institution_branch": payment.institution_branch,
            "payment_id": payment.payment_id,
        },
        "billing_reference": doc.billing_reference,
        "billing_reference_date": doc.billing_reference_date.isoformat()
        if doc.billing_reference_date
        else None,
        "language": doc.language,
        "tax_overrides": [list(pair) for pair in doc.tax_overrides],
        "refund_note": doc.refund_note,
    }


def snapshot_from_json(data: dict) -> DocumentSnapshot:
    """The snapshot stored by `snapshot_to_json`, exactly as it was at release."""
    payment = data.get("payment")
    reference_date = data.get("billing_reference_date")
    return DocumentSnapshot(
        is_credit_note=data["is_credit_note"],
        number=data["number"],
        issue_date=date.fromisoformat(data["issue_date"]),
        due_date=date.fromisoformat(data["due_date"]),
        currency=data["currency"],
        seller=PartySnapshot(**_seller_from_json(data["seller"])),
        buyer=PartySnapshot(**data["buyer"]),
        lines=tuple(
            LineSnapshot(
                position=line["position"],
                description=line["description"],
                quantity=Decimal(line["quantity"]),
                unit=line["unit"],
                unit_price=Decimal(line["unit_price"]),
                vat_category=line["vat_category"],
                vat_rate=Decimal(line["vat_rate"]),
                exemption_reason=line["exemption_reason"],
                fixed_amount=Decimal(line["fixed_amount"]) if line.get("fixed_amount") else None,
            )
            for line in data["lines"]
        ),
        buyer_reference=data["buyer_reference"],
        note=data["note"],
        payment=PaymentSnapshot(**payment) if payment else None,
        billing_reference=data["billing_reference"],
        billing_reference_date=date.fromisoformat(reference_date) if reference_date else None,
        language=data.get("language", ""),
        tax_overrides=tuple((key, tax) for key, tax in data.get("tax_overrides", [])),
        refund_note=data.get("refund_note", ""),
    )


def _seller_from_json(seller: dict) -> dict:
    # Snapshots frozen before the statement was a setting printed it for every Norwegian seller.
    if "foretaksregisteret" not in seller:
        seller = {**seller, "foretaksregisteret": seller.get("country") == "NO"}
    return seller


def frozen_snapshot(invoice) -> DocumentSnapshot | None:
    """The snapshot frozen at release, or None (drafts, and invoices released before freezing)."""
    data = getattr(invoice, "document_snapshot", None)
    if invoice.is_released and data:
        return snapshot_from_json(data)
    return None


def document_snapshot(invoice) -> DocumentSnapshot:
    """What the invoice's documents show: frozen for released invoices, live for drafts."""
    return frozen_snapshot(invoice) or snapshot(invoice)
