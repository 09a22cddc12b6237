"""Document import: a UBL 2.1 / EHF 3 / Peppol BIS Billing 3 invoice or credit note → a draft.

`import_ubl_document(company=, branch=, xml_bytes=, acting_user=)` parses the file safely (no
entities, no network), matches the buyer to one of the company's customers (customer number in
BuyerReference or PartyIdentification, organisation number, national ID), reads the lines, VAT
categories and dates, runs the UBL 2.1 XSD and the CEN + Peppol rules, and creates the draft with
the same checks as the forms (`create_draft` / `create_credit_note`). Anything that stops it is
collected and raised together as `DocumentRefused`, each reason with the path of the element it
is about and a message in the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from lxml import etree

from b2cportal.companies.models import Branch, Company
from b2cportal.customers.models import Customer

from .calc import compute_totals, line_amount
from .models import Invoice, InvoiceKind, InvoiceStatus, Unit
from .services import InvoiceError, LineInput, create_credit_note, create_draft, vat_problem
from .ubl import NS_CAC, NS_CBC, NS_CREDIT_NOTE, NS_INVOICE

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
NS = {"cac": NS_CAC, "cbc": NS_CBC}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
)
_UNITS = {choice.value for choice in Unit}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One reason a document or row was refused: where (a path) and why (translated)."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DocumentRefused(InvoiceError):
    """The document cannot become a draft; `problems` lists every reason found."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _text(node, path: str) -> str:
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(slots=True)
class _Parsed:
    kind: str
    root: etree._Element
    problems: list[FieldProblem]


def _parse(xml_bytes: bytes) -> _Parsed:
    if len(xml_bytes) > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(
            [FieldProblem("document", _("The file is larger than 5 MB and is not read."))]
        )
    try:
        root = etree.fromstring(xml_bytes, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentRefused(
            [
                FieldProblem(
                    "document", _("The file is not well-formed XML: %(error)s") % {"error": exc}
                )
            ]
        ) from exc
    if root.tag == f"{{{NS_INVOICE}}}Invoice":
        kind = InvoiceKind.INVOICE
    elif root.tag == f"{{{NS_CREDIT_NOTE}}}CreditNote":
        kind = InvoiceKind.CREDIT_NOTE
    else:
        raise DocumentRefused(
            [
                FieldProblem(
                    "document",
                    _("The file is not a UBL 2.1 invoice or credit note (its root is %(tag)s).")
                    % {"tag": etree.QName(root).localname},
                )
            ]
        )
    return _Parsed(kind=kind, root=root, problems=[])


def _check_seller(company: Company, root, problems: list[FieldProblem]) -> None:
    party = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    if party is None:
        return  # the XSD reports the missing seller
    ours = _digits(company.organisation_number)
    theirs = {
        _digits(_text(party, "cac:PartyLegalEntity/cbc:CompanyID")),
        _digits(_text(party, "cbc:EndpointID")),
    }
    vat = _digits(_text(party, "cac:PartyTaxScheme/cbc:CompanyID"))
    if vat:
        theirs.add(vat[: len(ours)])
    theirs.discard("")
    if theirs and ours not in theirs:
        problems.append(
            FieldProblem(
                "AccountingSupplierParty",
                _("The seller in the document (%(seller)s) is not this company.")
                % {"seller": ", ".join(sorted(theirs))},
            )
        )


def _national_id_candidates(value: str) -> list[str]:
    """Stored national-ID forms a document value may mean (SE: 12 digits, NO: 11 digits)."""
    digits = _digits(value)
    if len(digits) in (11, 12):
        return [digits]
    if len(digits) == 10:  # Swedish YYMMDDNNNN (Peppol 0007): the century is not in it
        return [f"19{digits}", f"20{digits}"]
    return []


def match_buyer(*, company: Company, root) -> Customer | None:
    """The company's customer the document is addressed to, or None.

    In order: the customer number in BuyerReference, the customer number in
    PartyIdentification, then the organisation number or national ID (EndpointID,
    PartyIdentification, PartyLegalEntity/CompanyID) when exactly one customer has it.
    """
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    customers = Customer.objects.filter(company=company)
    numbers = [_text(root, "cbc:BuyerReference")]
    identifiers = []
    if party is not None:
        ids = [
            (el.text or "").strip() for el in party.findall("cac:PartyIdentification/cbc:ID", NS)
        ]
        numbers += ids
        identifiers += ids
        identifiers += [
            _text(party, "cbc:EndpointID"),
            _text(party, "cac:PartyLegalEntity/cbc:CompanyID"),
        ]
    for number in filter(None, numbers):
        found = customers.filter(number=number).first()
        if found is not None:
            return found
    for value in filter(None, identifiers):
        digits = _digits(value)
        if len(digits) < 9:
            continue
        matches = list(customers.filter(organisation_number=digits)[:2])
        if not matches:
            candidates = _national_id_candidates(digits)
            matches = list(customers.filter(national_id__in=candidates)[:2]) if candidates else []
        if len(matches) == 1:
            return matches[0]
    return None


def _read_lines(parsed: _Parsed, company: Company) -> list[tuple[str, LineInput]]:
    credit = parsed.kind == InvoiceKind.CREDIT_NOTE
    tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    qty_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    exemptions = {
        _text(sub, "cac:TaxCategory/cbc:ID"): _text(sub, "cac:TaxCategory/cbc:TaxExemptionReason")
        for sub in parsed.root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    lines: list[tuple[str, LineInput]] = []
    problems = parsed.problems
    for index, node in enumerate(parsed.root.findall(tag, NS), start=1):
        path = f"{tag.split(':')[1]}[{index}]"
        quantity_el = node.find(qty_tag, NS)
        quantity = _decimal((quantity_el.text or "").strip()) if quantity_el is not None else None
        unit = quantity_el.get("unitCode", "") if quantity_el is not None else ""
        price = _decimal(_text(node, "cac:Price/cbc:PriceAmount"))
        base = _decimal(_text(node, "cac:Price/cbc:BaseQuantity")) or Decimal(1)
        amount = _decimal(_text(node, "cbc:LineExtensionAmount"))
        category = _text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID")
        rate = _decimal(_text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent")) or Decimal(0)
        name = _text(node, "cac:Item/cbc:Name")
        before = len(problems)
        if quantity is None or quantity <= 0:
            problems.append(
                FieldProblem(f"{path}.{qty_tag[4:]}", _("The quantity must be a positive number."))
            )
        if price is None or price < 0 or base <= 0:
            problems.append(
                FieldProblem(f"{path}.Price", _("The price must be a number that is not negative."))
            )
        if unit not in _UNITS:
            problems.append(
                FieldProblem(
                    f"{path}.{qty_tag[4:]}",
                    _("The unit code %(unit)s is not offered.") % {"unit": unit or "-"},
                )
            )
        if not name:
            problems.append(FieldProblem(f"{path}.Item.Name", _("The line has no item name.")))
        if node.find("cac:AllowanceCharge", NS) is not None:
            problems.append(
                FieldProblem(
                    f"{path}.AllowanceCharge",
                    _("Allowances and charges on lines are not supported; put them on own lines."),
                )
            )
        problem = vat_problem(
            country=company.country,
            category=category,
            rate=rate,
            reason=exemptions.get(category, "") or "",
        )
        if problem:
            problems.append(FieldProblem(f"{path}.Item.ClassifiedTaxCategory", problem))
        if len(problems) > before:
            continue
        # Both refused above when missing.
        assert quantity is not None
        assert price is not None
        unit_price = price / base
        if unit_price != unit_price.quantize(Decimal("0.01")):
            problems.append(
                FieldProblem(
                    f"{path}.Price",
                    _(
                        "The unit price has more than two decimals after dividing by the base "
                        "quantity."
                    ),
                )
            )
            continue
        if amount is not None and line_amount(quantity, unit_price) != amount:
            problems.append(
                FieldProblem(
                    f"{path}.LineExtensionAmount",
                    _("The line amount %(amount)s is not quantity x price (%(computed)s).")
                    % {"amount": amount, "computed": line_amount(quantity, unit_price)},
                )
            )
            continue
        lines.append(
            (
                path,
                LineInput(
                    description=name[:500],
                    quantity=quantity,
                    unit_price=unit_price,
                    unit=unit,
                    vat_category=category,
                    vat_rate=rate if category == "S" else Decimal(0),
                    exemption_reason=exemptions.get(category, "") if category == "E" else "",
                ),
            )
        )
    if not parsed.root.findall(tag, NS):
        problems.append(FieldProblem(tag[4:], _("The document has no lines.")))
    return lines


def _check_header(parsed: _Parsed, company: Company) -> tuple[date | None, date | None]:
    root, problems = parsed.root, parsed.problems
    issue = _date(_text(root, "cbc:IssueDate"))
    if issue is None:
        problems.append(FieldProblem("IssueDate", _("The issue date is missing or not a date.")))
    due_text = _text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    due = _date(due_text)
    if parsed.kind == InvoiceKind.INVOICE and due is None:
        problems.append(FieldProblem("DueDate", _("The due date is missing or not a date.")))
    if issue and due and due < issue:
        problems.append(
            FieldProblem("DueDate", _("The due date cannot be before the invoice date."))
        )
    currency = _text(root, "cbc:DocumentCurrencyCode")
    if currency != company.currency:
        problems.append(
            FieldProblem(
                "DocumentCurrencyCode",
                _("The currency %(currency)s is not the company's (%(ours)s).")
                % {"currency": currency or "-", "ours": company.currency},
            )
        )
    if root.find("cac:AllowanceCharge", NS) is not None:
        problems.append(
            FieldProblem(
                "AllowanceCharge",
                _(
                    "Document-level allowances and charges are not supported; put them on own "
                    "lines."
                ),
            )
        )
    return issue, due


def _check_total(parsed: _Parsed, lines: list[LineInput]) -> None:
    payable = _decimal(_text(parsed.root, "cac:LegalMonetaryTotal/cbc:PayableAmount"))
    total = compute_totals(lines).incl_vat
    if payable is not None and payable != total:
        parsed.problems.append(
            FieldProblem(
                "LegalMonetaryTotal.PayableAmount",
                _("The amount due %(payable)s differs from the total of the lines (%(total)s).")
                % {"payable": payable, "total": total},
            )
        )


def _check_rules(xml_bytes: bytes, parsed: _Parsed, consumer: bool) -> None:
    from .validation import validate_document

    report = validate_document(xml_bytes, kind=parsed.kind, consumer=consumer)
    for failure in report.fatal:
        parsed.problems.append(
            FieldProblem(
                failure.location or failure.stage,
                _("Rule %(rule)s: %(message)s")
                % {"rule": failure.rule_id, "message": failure.message},
            )
        )


def _credited_invoice(company: Company, customer: Customer, root, problems) -> Invoice | None:
    number = _text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
    if not number:
        problems.append(
            FieldProblem(
                "BillingReference",
                _("A credit note must name the invoice it credits (BillingReference)."),
            )
        )
        return None
    original = (
        Invoice.objects.filter(company=company, number=number, kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.DRAFT)
        .first()
    )
    if original is None:
        problems.append(
            FieldProblem(
                "BillingReference",
                _("No released invoice %(number)s was found to credit.") % {"number": number},
            )
        )
        return None
    if original.customer_id != customer.pk:
        problems.append(
            FieldProblem(
                "BillingReference",
                _("Invoice %(number)s belongs to another customer.") % {"number": number},
            )
        )
        return None
    return original


def _credit_quantities(
    original: Invoice, lines: list[tuple[str, LineInput]], problems: list[FieldProblem]
) -> dict[int, Decimal]:
    """Map each credit-note line to an uncredited line of the invoice with the same item,
    price and VAT; partial quantities are allowed, more than what remains is not."""
    from .services import remaining_quantities

    remaining = remaining_quantities(original)
    originals = list(original.lines.all())
    chosen: dict[int, Decimal] = {}
    for path, line in lines:
        match = next(
            (
                o
                for o in originals
                if o.description == line.description
                and o.unit_price == line.unit_price
                and o.vat_category == line.vat_category
                and o.vat_rate == line.vat_rate
                and remaining.get(o.pk, 0) - chosen.get(o.pk, 0) >= line.quantity
            ),
            None,
        )
        if match is None:
            problems.append(
                FieldProblem(
                    path,
                    _(
                        "No line of invoice %(number)s with this item, price and VAT has "
                        "%(quantity)s left to credit."
                    )
                    % {"number": original.number, "quantity": line.quantity},
                )
            )
            continue
        chosen[match.pk] = chosen.get(match.pk, Decimal(0)) + line.quantity
    return chosen


def import_ubl_document(
    *, company: Company, branch: Branch | None, xml_bytes: bytes, acting_user
) -> Invoice:
    """Create a draft invoice or credit note from a UBL / EHF / Peppol BIS 3 document.

    Raises `DocumentRefused` with every reason (element path + translated message) when the
    buyer cannot be matched, the document breaks the XSD or the CEN/Peppol rules, or its
    content is something the forms would refuse. Nothing is written then.
    """
    parsed = _parse(xml_bytes)
    root, problems = parsed.root, parsed.problems
    _check_seller(company, root, problems)
    customer = match_buyer(company=company, root=root)
    if customer is None:
        problems.append(
            FieldProblem(
                "AccountingCustomerParty",
                _(
                    "The buyer matches no customer: give the customer number in BuyerReference "
                    "or PartyIdentification, or the organisation number or national ID of an "
                    "existing customer."
                ),
            )
        )
    issue, due = _check_header(parsed, company)
    lines = _read_lines(parsed, company)
    if lines:
        _check_total(parsed, [line for _path, line in lines])
    _check_rules(xml_bytes, parsed, consumer=customer.is_consumer if customer else True)
    original = None
    if customer is not None and parsed.kind == InvoiceKind.CREDIT_NOTE:
        original = _credited_invoice(company, customer, root, problems)
    if problems:
        raise DocumentRefused(problems)
    assert customer is not None  # refused above otherwise
    buyer_reference = _text(root, "cbc:BuyerReference")[:100]
    note = "\n".join((el.text or "").strip() for el in root.findall("cbc:Note", NS))
    with transaction.atomic():
        if original is not None:
            quantities = _credit_quantities(original, lines, problems)
            if problems:
                raise DocumentRefused(problems)
            return create_credit_note(
                invoice=original,
                acting_user=acting_user,
                quantities=quantities,
                issue_date=issue,
                note=note,
            )
        # An invoice (not a credit note) without these was refused above.
        assert issue is not None
        assert due is not None
        try:
            return create_draft(
                company=company,
                branch=branch,
                customer=customer,
                issue_date=issue,
                due_date=due,
                lines=[line for _path, line in lines],
                acting_user=acting_user,
                buyer_reference=buyer_reference,
                note=note,
            )
        except DocumentRefused:
            raise
        except InvoiceError as exc:
            raise DocumentRefused([FieldProblem("document", str(exc))]) from exc
