"""Personal identity numbers: Swedish personnummer and samordningsnummer, Norwegian
fødselsnummer and D-number."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from ._common import (
    MSG_CHECK_DIGIT,
    MSG_REQUIRED,
    _country,
    _digits,
    _strip_whitespace,
    _today,
)

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
