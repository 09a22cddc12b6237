"""Payment references: Norwegian KID (MOD10/MOD11) and Swedish OCR (Bankgirot)."""

from __future__ import annotations

from stdnum import luhn

from ._common import (
    _strip_whitespace,
)

# ---------------------------------------------------------------------------------------------
# Norwegian KID and Swedish OCR payment references
# ---------------------------------------------------------------------------------------------

KID_ALGORITHMS = ("mod10", "mod11")


def _mod11_kid_check_digit(digits: str) -> str:
    """MOD11 with weights 2..7 repeating from the right, as the Nets KID specification defines.

    Written here because python-stdnum has no KID module and its MOD11 helpers use other
    weights. Check value 11 becomes "0"; check value 10 becomes "-", which the Nets KID
    specification allows as the MOD11 check character (the alternative, refusing such numbers,
    would make one in eleven customer/invoice combinations unusable).
    """
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    check = 11 - total % 11
    if check == 11:
        return "0"
    if check == 10:
        return "-"
    return str(check)


def kid_check_digit(digits: str, algorithm: str) -> str:
    """Check digit for a KID body: "mod10" (Luhn, ``stdnum.luhn``) or "mod11" (may be "-")."""
    if not digits or not digits.isdigit() or not digits.isascii():
        raise ValueError(f"A KID body must be digits, got {digits!r}")
    if algorithm == "mod10":
        return luhn.calc_check_digit(digits)
    if algorithm == "mod11":
        return _mod11_kid_check_digit(digits)
    raise ValueError(f"Unknown KID algorithm {algorithm!r}; expected one of {KID_ALGORITHMS}")


def make_kid(
    *,
    customer_number: str,
    invoice_number: str,
    length: int = 12,
    algorithm: str = "mod10",
    customer_start: int = 1,
    customer_end: int = 5,
) -> str:
    """Build a KID of ``length`` characters including the check digit.

    The customer number, zero-padded to the width of positions ``customer_start`` ..
    ``customer_end`` (1-based, inclusive), sits at those positions; the invoice number,
    zero-padded, fills the remaining positions before the check digit, which comes last.
    """
    if not 2 <= length <= 25:
        raise ValueError(f"A KID has 2 to 25 digits; got length {length}.")
    if not 1 <= customer_start <= customer_end <= length - 1:
        raise ValueError(
            f"Customer number positions {customer_start}-{customer_end} must lie within "
            f"positions 1-{length - 1} (the last position is the check digit)."
        )
    customer = str(customer_number).strip()
    invoice = str(invoice_number).strip()
    for label, number in (("customer number", customer), ("invoice number", invoice)):
        if not number.isdigit() or not number.isascii():
            raise ValueError(f"The {label} must be digits to go into a KID, got {number!r}.")
    customer_width = customer_end - customer_start + 1
    invoice_width = length - 1 - customer_width
    customer = customer.lstrip("0") or "0"
    invoice = invoice.lstrip("0") or "0"
    if len(customer) > customer_width:
        raise ValueError(
            f"Customer number {customer_number} has {len(customer)} digits but the KID "
            f"reserves {customer_width} positions for it."
        )
    if invoice_width == 0 and invoice == "0":
        invoice = ""  # the customer number fills the whole KID body
    elif len(invoice) > invoice_width:
        raise ValueError(
            f"Invoice number {invoice_number} does not fit in the {invoice_width} positions "
            f"left in a {length}-digit KID."
        )
    invoice = invoice.zfill(invoice_width) if invoice_width else ""
    before = invoice[: customer_start - 1]
    after = invoice[customer_start - 1 :]
    body = before + customer.zfill(customer_width) + after
    return body + kid_check_digit(body, algorithm)


def is_valid_kid(kid: str, algorithm: str) -> bool:
    """True when ``kid`` (2-25 characters) ends with the right check character for ``algorithm``."""
    kid = _strip_whitespace(kid)
    if not 2 <= len(kid) <= 25:
        return False
    body, check = kid[:-1], kid[-1]
    if not body.isdigit() or not body.isascii():
        return False
    return kid_check_digit(body, algorithm) == check


def customer_number_from_kid(kid: str, *, start: int, end: int) -> str:
    """The customer number at positions ``start``..``end`` (1-based), leading zeros removed."""
    kid = _strip_whitespace(kid)
    if not 1 <= start <= end <= len(kid):
        raise ValueError(f"Positions {start}-{end} are outside the {len(kid)}-character KID.")
    return kid[start - 1 : end].lstrip("0") or "0"


def make_ocr(reference: str, *, length_digit: bool = True) -> str:
    """Bankgirot OCR reference: the reference, optional length digit, Luhn check digit.

    The length digit is the total length (including length and check digits) modulo 10.
    The Luhn check digit comes from ``stdnum.luhn``; the length digit is written here because no
    library covers Bankgirot's OCR length control.
    """
    reference = _strip_whitespace(reference)
    if not reference or not reference.isdigit() or not reference.isascii():
        raise ValueError(f"An OCR reference must be digits, got {reference!r}.")
    total = len(reference) + 1 + (1 if length_digit else 0)
    if not 2 <= total <= 25:
        raise ValueError(f"An OCR number has 2 to 25 digits; this one would have {total}.")
    body = reference + (str(total % 10) if length_digit else "")
    return body + luhn.calc_check_digit(body)


def is_valid_ocr(ocr: str, *, length_digit: bool = True) -> bool:
    """True for 2-25 digits with a valid Luhn digit and (optionally) the right length digit."""
    ocr = _strip_whitespace(ocr)
    if not 2 <= len(ocr) <= 25 or not ocr.isdigit() or not ocr.isascii():
        return False
    if length_digit and (len(ocr) < 3 or int(ocr[-2]) != len(ocr) % 10):
        return False
    return luhn.is_valid(ocr)
