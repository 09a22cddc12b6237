"""Validation and formatting of every identifier b2cportal handles.

Pure functions, no models, no database: the lowest layer, importable from any app (including
``network``). Each ``clean_*`` function strips whitespace and accepted separators and returns the
canonical form, or raises :class:`django.core.exceptions.ValidationError` with a translated
message that tells the user what is wrong, and a stable ``code`` for programs and tests.

The checks come from python-stdnum, phonenumbers and holidays wherever those libraries cover the
rule (the developers' guide forbids hand-rolled copies of library checks). Where a rule is written
here by hand, the docstring says why no library covers it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import cache

import holidays
import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer
from stdnum.no import kontonr as no_kontonr
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr
from stdnum.se import personnummer
from stdnum.se import postnummer as se_postnummer

__all__ = [
    "Fmi",
    "Fui",
    "add_norwegian_working_days",
    "add_swedish_working_days",
    "clean_bankgiro",
    "clean_bban",
    "clean_national_id",
    "clean_norwegian_national_id",
    "clean_organisation_number",
    "clean_phone_number",
    "clean_plusgiro",
    "clean_postcode",
    "clean_swedish_personal_number",
    "customer_number_from_kid",
    "format_bankgiro",
    "format_bban",
    "format_plusgiro",
    "format_postcode",
    "is_mobile_number",
    "is_valid_kid",
    "is_valid_ocr",
    "kid_check_digit",
    "make_fmi",
    "make_fui",
    "make_kid",
    "make_ocr",
    "mask_national_id",
    "organisation_number_12",
    "parse_fmi",
    "parse_fui",
    "ssn_for_peppol_endpoint",
]

SUPPORTED_COUNTRIES = ("NO", "SE")

# Characters people type between digit groups; removed before checking.
_SEPARATORS = re.compile(r"[\s.\-]")
_WHITESPACE = re.compile(r"\s")

# Messages shared by several identifiers.
MSG_DIGITS_ONLY = _("Use digits only.")
MSG_CHECK_DIGIT = _("The check digit is wrong.")
MSG_REQUIRED = _("Enter a value.")


def _today() -> datetime.date:
    # One place to ask for "today" (in the project's time zone), so tests can patch it.
    return timezone.localdate()


def _strip_whitespace(value: str | None) -> str:
    return _WHITESPACE.sub("", value or "")


def _digits(value: str | None, *, separators: re.Pattern[str] = _SEPARATORS) -> str:
    """Remove separators; raise if anything but digits is left (or nothing at all)."""
    compact = separators.sub("", value or "")
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    if not compact.isdigit() or not compact.isascii():
        raise ValidationError(MSG_DIGITS_ONLY, code="invalid_format")
    return compact


def _country(country: str) -> str:
    code = (country or "").strip().upper()
    if code not in SUPPORTED_COUNTRIES:
        raise ValueError(f"Unsupported country {country!r}; expected one of {SUPPORTED_COUNTRIES}")
    return code


# ---------------------------------------------------------------------------------------------
# Swedish personnummer / samordningsnummer
# ---------------------------------------------------------------------------------------------

_SE_PERSONAL = re.compile(r"^(?P<date>\d{6}|\d{8})(?P<sep>[-+]?)(?P<serial>\d{4})$")


def _swedish_birth_date(date_part: str, sep: str = "-") -> tuple[datetime.date, bool]:
    """(birth date, is samordningsnummer) for a 6- or 8-digit date part, or raise.

    The date and, for the 6-digit form, the century come from
    ``stdnum.se.personnummer.get_birth_date`` (the law's rule: ``-`` means born less than 100
    years before this calendar year, ``+`` 100 or more). stdnum does not know samordningsnummer,
    so for those it is asked about the same number with 60 taken off the day.
    """
    day = int(date_part[-2:])
    coordination = day > 60
    if coordination:
        date_part = f"{date_part[:-2]}{day - 60:02d}"
    try:
        birth_date = personnummer.get_birth_date(f"{date_part}{sep or '-'}0000")
    except StdnumError:
        raise ValidationError(
            _("The date of birth in the number does not exist."), code="invalid_date"
        ) from None
    return birth_date, coordination


def clean_swedish_personal_number(value: str) -> str:
    """Personnummer or samordningsnummer (day + 60) -> 12 digits ``YYYYMMDDNNNN``.

    Accepts ``YYMMDD-NNNN``, ``YYMMDD+NNNN`` (aged 100 or more), ``YYMMDDNNNN``,
    ``YYYYMMDD-NNNN`` and ``YYYYMMDDNNNN``. Ordinary numbers are checked by
    ``stdnum.se.personnummer``; samordningsnummer, which that module rejects, get the same
    date and century rule from it (with 60 subtracted from the day) and the check digit from
    ``stdnum.luhn`` over the last ten digits.
    """
    compact = _strip_whitespace(value)
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    match = _SE_PERSONAL.match(compact)
    if not match:
        digits = re.sub(r"[-+]", "", compact)
        if digits.isdigit() and digits.isascii() and len(digits) not in (10, 12):
            raise ValidationError(
                _("A Swedish personal identity number has 10 or 12 digits."),
                code="invalid_length",
            )
        raise ValidationError(
            _("Enter the number as YYMMDD-NNNN or YYYYMMDDNNNN (digits only)."),
            code="invalid_format",
        )
    date_part, sep, serial = match["date"], match["sep"], match["serial"]
    if len(date_part) == 8 and sep == "+":
        raise ValidationError(
            _("Use + only with the 10-digit form (YYMMDD+NNNN)."), code="invalid_format"
        )
    birth_date, coordination = _swedish_birth_date(date_part, sep)
    if birth_date > _today():
        raise ValidationError(_("The date of birth is in the future."), code="future_date")
    if len(date_part) == 6:
        date_part = f"{birth_date.year // 100:02d}{date_part}"
    canonical = date_part + serial
    if coordination:
        if not luhn.is_valid(canonical[2:]):
            raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum")
    else:
        try:
            personnummer.validate(canonical)
        except InvalidChecksum:
            raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum") from None
        except StdnumError:  # pragma: no cover - format and date were checked above
            raise ValidationError(
                _("This is not a valid Swedish personal identity number."), code="invalid"
            ) from None
    return canonical


# ---------------------------------------------------------------------------------------------
# Norwegian fødselsnummer / D-number
# ---------------------------------------------------------------------------------------------


def clean_norwegian_national_id(value: str) -> str:
    """Fødselsnummer or D-number (day + 40) -> 11 digits, via ``stdnum.no.fodselsnummer``.

    stdnum accepts D-numbers (and H-numbers, month + 40) itself and checks both MOD11 check
    digits, the birth date and that the date is not in the future.
    """
    compact = _digits(value, separators=re.compile(r"[\s\-:]"))
    if len(compact) != 11:
        raise ValidationError(
            _("A Norwegian national identity number has 11 digits."), code="invalid_length"
        )
    try:
        return fodselsnummer.validate(compact)
    except InvalidChecksum:
        raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum") from None
    except InvalidComponent:
        if _norwegian_birth_date_exists(compact):
            raise ValidationError(
                _("The date of birth is in the future."), code="future_date"
            ) from None
        raise ValidationError(
            _("The date of birth in the number does not exist."), code="invalid_date"
        ) from None
    except StdnumError:  # pragma: no cover - length and digits were checked above
        raise ValidationError(
            _("This is not a valid Norwegian national identity number."), code="invalid"
        ) from None


def _norwegian_birth_date_exists(number: str) -> bool:
    try:
        fodselsnummer.get_birth_date(number)
    except StdnumError:
        return False
    return True


def clean_national_id(value: str, country: str) -> str:
    """National identity number of a consumer in ``country`` ("NO" or "SE"), canonical digits."""
    if _country(country) == "NO":
        return clean_norwegian_national_id(value)
    return clean_swedish_personal_number(value)


def mask_national_id(value: str) -> str:
    """Hide the personal part for lists: ``19811218-****`` (SE), ``181281*****`` (NO)."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) == 12:
        return f"{value[:8]}-****"
    if len(value) == 11:
        return f"{value[:6]}*****"
    # Unknown shape (should not be stored): show only the first two characters.
    return value[:2] + "*" * max(len(value) - 2, 0)


def ssn_for_peppol_endpoint(ssn12: str) -> str:
    """The 10-digit ``YYMMDDNNNN`` form for a UBL buyer EndpointID with schemeID 0007.

    PEPPOL-COMMON-R049 requires the identifier under scheme 0007 to be 10 digits with a valid
    Luhn check digit, so the number is checked in full first (an FMI's SSN, which is only
    checked for format and date, must not go into a document unchecked).
    """
    canonical = clean_swedish_personal_number(ssn12)
    return canonical[2:]


# ---------------------------------------------------------------------------------------------
# Organisation numbers
# ---------------------------------------------------------------------------------------------


def clean_organisation_number(value: str, country: str) -> str:
    """Organisation number -> digits only: NO 9 digits MOD11, SE 10 digits Luhn (stdnum)."""
    code = _country(country)
    compact = _digits(value)
    if code == "NO":
        if len(compact) != 9:
            raise ValidationError(
                _("A Norwegian organisation number has 9 digits."), code="invalid_length"
            )
        module = no_orgnr
    else:
        if len(compact) != 10:
            raise ValidationError(
                _("A Swedish organisation number has 10 digits."), code="invalid_length"
            )
        module = se_orgnr
    try:
        return module.validate(compact)
    except InvalidChecksum:
        raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum") from None
    except StdnumError:  # pragma: no cover - length and digits were checked above
        raise ValidationError(
            _("This is not a valid organisation number."), code="invalid"
        ) from None


def organisation_number_12(value_se: str) -> str:
    """The 12-digit form used in an FUI: ``00`` + 10-digit orgnr (5560169095 -> 005560169095).

    A 12-digit input that starts with ``00`` or ``16`` (the legal-entity prefixes) is an
    organisation number already in 12-digit form and comes back with ``00``; any other 12-digit
    input is taken as a sole trader's personnummer/samordningsnummer and returned in canonical
    form.
    """
    compact = _digits(value_se)
    if len(compact) == 12 and compact[:2] in ("00", "16"):
        return "00" + clean_organisation_number(compact[2:], "SE")
    if len(compact) == 12:
        return clean_swedish_personal_number(compact)
    return "00" + clean_organisation_number(compact, "SE")


# ---------------------------------------------------------------------------------------------
# Postcodes and phone numbers
# ---------------------------------------------------------------------------------------------


def clean_postcode(value: str, country: str) -> str:
    """Postcode -> digits: NO exactly 4 digits, SE 5 digits ("123 45" accepted).

    Norway is checked here because python-stdnum has no Norwegian postcode module; Sweden uses
    ``stdnum.se.postnummer`` (which also rejects a leading 0).
    """
    code = _country(country)
    compact = _digits(value, separators=re.compile(r"\s" if code == "NO" else r"[\s\-]"))
    if code == "NO":
        if len(compact) != 4:
            raise ValidationError(_("A Norwegian postcode has 4 digits."), code="invalid_length")
        return compact
    if len(compact) != 5:
        raise ValidationError(_("A Swedish postcode has 5 digits."), code="invalid_length")
    try:
        return se_postnummer.validate(compact)
    except StdnumError:
        raise ValidationError(
            _("A Swedish postcode does not start with 0."), code="invalid_format"
        ) from None


def format_postcode(value: str, country: str) -> str:
    """Display form: "123 45" for SE, the four digits for NO."""
    canonical = clean_postcode(value, country)
    if _country(country) == "SE":
        return se_postnummer.format(canonical)
    return canonical


def clean_phone_number(value: str, country: str) -> str:
    """Phone number -> E.164 (``+4791234567``), read with ``country`` as the default region.

    Any region phonenumbers knows is accepted as ``country`` (a customer abroad still has a
    phone); a number written with ``+`` or ``00`` keeps its own country code.
    """
    region = (country or "").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"Unknown phone region {country!r}")
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(MSG_REQUIRED, code="required")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("This does not look like a phone number."), code="invalid_format"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This phone number does not exist. Check the digits and the country code."),
            code="invalid",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile_number(e164: str) -> bool:
    """True when phonenumbers classifies the number as mobile (can receive SMS).

    ``FIXED_LINE_OR_MOBILE`` (regions such as the US where the two cannot be told apart)
    counts as mobile, because an SMS to such a number usually arrives. Norwegian and Swedish
    numbers are classified exactly (4x/9x and 07x are mobile).
    """
    try:
        number = phonenumbers.parse(e164 or "", None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


# ---------------------------------------------------------------------------------------------
# Payment accounts: Norwegian BBAN, Swedish Bankgiro and PlusGiro
# ---------------------------------------------------------------------------------------------


def clean_bban(value: str) -> str:
    """Norwegian bank account (BBAN) -> 11 digits, MOD11 via ``stdnum.no.kontonr``."""
    compact = _digits(value)
    if len(compact) != 11:
        raise ValidationError(
            _("A Norwegian bank account number has 11 digits."), code="invalid_length"
        )
    try:
        number = no_kontonr.validate(compact)
    except InvalidChecksum:
        raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum") from None
    except StdnumError:
        # kontonr reads a leading 0000 as the old postgiro prefix and then wants 7 digits.
        raise ValidationError(
            _("This is not a valid bank account number."), code="invalid"
        ) from None
    if len(number) != 11:
        # Bank code 0000 is the old postgiro prefix, not a bank account.
        raise ValidationError(_("This is not a valid bank account number."), code="invalid")
    return number


def format_bban(value: str) -> str:
    """Display form ``1234.56.78903``."""
    return no_kontonr.format(clean_bban(value))


def _luhn_account(
    value: str, *, lengths: range, length_message, separators: re.Pattern[str]
) -> str:
    compact = _digits(value, separators=separators)
    if len(compact) not in lengths:
        raise ValidationError(length_message, code="invalid_length")
    if not luhn.is_valid(compact):
        raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum")
    return compact


def clean_bankgiro(value: str) -> str:
    """Bankgiro number -> 7 or 8 digits ("5050-1055" accepted), Luhn check digit.

    python-stdnum has no Bankgiro module, so the length rule is written here; the check digit
    uses ``stdnum.luhn``.
    """
    return _luhn_account(
        value,
        lengths=range(7, 9),
        length_message=_("A Bankgiro number has 7 or 8 digits."),
        separators=re.compile(r"[\s\-]"),
    )


def format_bankgiro(value: str) -> str:
    """Display form: ``123-4567`` (7 digits) or ``5050-1055`` (8 digits)."""
    digits = clean_bankgiro(value)
    return f"{digits[:-4]}-{digits[-4:]}"


def clean_plusgiro(value: str) -> str:
    """PlusGiro number -> 2 to 8 digits ("90 20 03-3" accepted), Luhn check digit.

    python-stdnum has no PlusGiro module, so the length rule is written here; the check digit
    uses ``stdnum.luhn``.
    """
    return _luhn_account(
        value,
        lengths=range(2, 9),
        length_message=_("A PlusGiro number has 2 to 8 digits."),
        separators=re.compile(r"[\s\-]"),
    )


def format_plusgiro(value: str) -> str:
    """Display form: the digits, a dash, the check digit (``902003-3``)."""
    digits = clean_plusgiro(value)
    return f"{digits[:-1]}-{digits[-1]}"


# ---------------------------------------------------------------------------------------------
# FUI and FMI (Swedish bank e-invoice identities)
# ---------------------------------------------------------------------------------------------

_BANK_ID = re.compile(r"^[A-Z0-9]{1,4}$")


def _split_identity(value: str, parts: int) -> list[str]:
    compact = _strip_whitespace(value).upper()
    if not compact:
        raise ValidationError(MSG_REQUIRED, code="required")
    pieces = compact.split(".")
    if len(pieces) != parts:
        return []
    return pieces


def _clean_bank_id(bank_id: str) -> str:
    bank_id = _strip_whitespace(bank_id).upper()
    if not _BANK_ID.match(bank_id):
        raise ValidationError(
            _("The bank ID must be 1 to 4 letters or digits, for example FSPA."),
            code="invalid_bank_id",
        )
    return bank_id


def _check_country_code(code: str) -> None:
    if code != "SE":
        raise ValidationError(_("The country code must be SE."), code="invalid_country")


def _clean_fui_organisation(value: str) -> str:
    """12-digit organisation part of an FUI: 00/16 + orgnr, or a sole trader's personnummer."""
    message = _(
        "The organisation number part must be a valid 12-digit Swedish organisation number "
        "(for example 005560169095) or personal identity number."
    )
    if len(value) != 12 or not value.isdigit() or not value.isascii():
        raise ValidationError(message, code="invalid_organisation_number")
    # 16 is the other prefix Swedish systems use for legal entities; keep what the bank issued.
    if value[:2] in ("00", "16"):
        if se_orgnr.is_valid(value[2:]):
            return value
        raise ValidationError(message, code="invalid_organisation_number")
    try:
        clean_swedish_personal_number(value)
    except ValidationError:
        raise ValidationError(message, code="invalid_organisation_number") from None
    return value


@dataclass(frozen=True)
class Fui:
    """Faktura Utställar Identitet: ``<org number 12>.<agreement ID 11>.<bank ID>.SE``."""

    organisation_number: str
    agreement_id: str
    bank_id: str

    def __str__(self) -> str:
        return f"{self.organisation_number}.{self.agreement_id}.{self.bank_id}.SE"


def parse_fui(value: str) -> Fui:
    """Read an FUI such as ``005560169095.00002222222.FSPA.SE``; the error names the bad part."""
    pieces = _split_identity(value, 4)
    if not pieces:
        raise ValidationError(
            _(
                "An FUI has four parts separated by dots: organisation number, agreement ID, "
                "bank ID and SE, for example 005560169095.00002222222.FSPA.SE."
            ),
            code="invalid_format",
        )
    organisation, agreement_id, bank_id, country = pieces
    organisation = _clean_fui_organisation(organisation)
    if len(agreement_id) != 11 or not agreement_id.isdigit() or not agreement_id.isascii():
        raise ValidationError(
            _("The agreement ID part must be 11 digits, for example 00002222222."),
            code="invalid_agreement_id",
        )
    bank_id = _clean_bank_id(bank_id)
    _check_country_code(country)
    return Fui(organisation_number=organisation, agreement_id=agreement_id, bank_id=bank_id)


def make_fui(organisation_number_12: str, agreement_id: str, bank_id: str) -> str:
    """Build and validate an FUI string from its parts (agreement ID is zero-padded to 11)."""
    agreement = _strip_whitespace(agreement_id)
    if agreement.isdigit() and len(agreement) < 11:
        agreement = agreement.zfill(11)
    organisation = _strip_whitespace(organisation_number_12)
    return str(parse_fui(f"{organisation}.{agreement}.{_strip_whitespace(bank_id)}.SE"))


@dataclass(frozen=True)
class Fmi:
    """Faktura Mottagar Identitet: ``<SSN or org number, 12 digits>.<bank ID>.SE``."""

    ssn: str
    bank_id: str

    def __str__(self) -> str:
        return f"{self.ssn}.{self.bank_id}.SE"


def _clean_fmi_ssn(value: str) -> str:
    """Check the 12-digit receiver part of an FMI: format and date, not the Luhn digit.

    The Swedish seed publishes ``194001111111.NB.SE`` (and the same number for FSPA, OEB and
    SHB) as valid FMIs, but 4001111111 fails the Luhn check, so an FMI is treated as an
    identifier issued by the bank: it must be 12 digits that form a personnummer /
    samordningsnummer date (day + 60 allowed) or an ``00``/``16`` + organisation number. The
    consumer's own SSN is checked in full by :func:`clean_swedish_personal_number` when typed in.
    """
    message = _(
        "The SSN part must be a 12-digit Swedish personal identity number (YYYYMMDDNNNN) or "
        "organisation number."
    )
    if len(value) != 12 or not value.isdigit() or not value.isascii():
        raise ValidationError(message, code="invalid_ssn")
    if value[:2] in ("00", "16"):
        if se_orgnr.is_valid(value[2:]):
            return value
        raise ValidationError(message, code="invalid_ssn")
    try:
        birth_date, _coordination = _swedish_birth_date(value[:8])
    except ValidationError:
        raise ValidationError(message, code="invalid_ssn") from None
    if birth_date > _today():
        raise ValidationError(message, code="invalid_ssn")
    return value


def parse_fmi(value: str) -> Fmi:
    """Read an FMI such as ``194001111111.NB.SE``; the error names the bad part."""
    pieces = _split_identity(value, 3)
    if not pieces:
        raise ValidationError(
            _(
                "An FMI has three parts separated by dots: SSN, bank ID and SE, for example "
                "194001111111.NB.SE."
            ),
            code="invalid_format",
        )
    ssn, bank_id, country = pieces
    ssn = _clean_fmi_ssn(ssn)
    bank_id = _clean_bank_id(bank_id)
    _check_country_code(country)
    return Fmi(ssn=ssn, bank_id=bank_id)


def make_fmi(ssn: str, bank_id: str) -> str:
    """Build an FMI string from a 12-digit SSN (or org number) and the receiver's bank ID."""
    return str(parse_fmi(f"{_strip_whitespace(ssn)}.{_strip_whitespace(bank_id)}.SE"))


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


# ---------------------------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------------------------


@cache
def _holidays(country: str) -> holidays.HolidayBase:
    if country == "SE":
        # Midsummer Eve, Christmas Eve and New Year's Eve are not public holidays in Sweden but
        # banks and most offices are closed; holidays files them under the de facto category.
        return holidays.country_holidays("SE", categories=("public", "de_facto"))
    return holidays.country_holidays(country)


def _is_working_day(day: datetime.date, country: str) -> bool:
    # Weekends are checked explicitly: some holidays versions list every Sunday as a holiday
    # in NO/SE and some do not, and Saturdays are never listed.
    return day.weekday() < 5 and day not in _holidays(country)


def _add_working_days(start: datetime.date, days: int, country: str) -> datetime.date:
    step = 1 if days >= 0 else -1
    current = start
    remaining = abs(days)
    while remaining:
        current += datetime.timedelta(days=step)
        if _is_working_day(current, country):
            remaining -= 1
    return current


def add_norwegian_working_days(start: datetime.date, days: int) -> datetime.date:
    """``start`` moved ``days`` working days (weekends and Norwegian public holidays skipped)."""
    return _add_working_days(start, days, "NO")


def add_swedish_working_days(start: datetime.date, days: int) -> datetime.date:
    """``start`` moved ``days`` working days (weekends, Swedish public holidays and the
    de facto holidays Midsummer Eve, Christmas Eve and New Year's Eve skipped)."""
    return _add_working_days(start, days, "SE")
