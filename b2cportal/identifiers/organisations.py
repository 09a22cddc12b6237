"""Organisation numbers (Norway MOD11, Sweden Luhn) and the 12-digit Swedish form."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from ._common import (
    MSG_CHECK_DIGIT,
    _country,
    _digits,
)
from .people import clean_swedish_personal_number

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
