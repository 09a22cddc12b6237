"""Organisation numbers (Norway MOD11, Sweden Luhn) and the 12-digit Swedish form."""

from __future__ import annotations

import contextlib
from types import ModuleType

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import mva as no_mva
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
        module: ModuleType = no_orgnr
    else:
        if len(compact) == 12 and compact[:2] == "16":
            compact = compact[2:]  # the 12-digit form of a legal entity's number
        elif len(compact) == 12:
            # A sole trader's organisation number is their personnummer, often typed with the
            # century: keep the 10-digit organisation-number form.
            with contextlib.suppress(ValidationError):
                compact = clean_swedish_personal_number(compact)[2:]
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


def sole_trader_personnummer(organisation_number: str) -> str:
    """The 12-digit personnummer (or samordningsnummer) a Swedish sole trader uses as their
    organisation number, or '' when the number is a legal entity's (month digits 20 or more).

    Seed 004: "a company can have an SSN (social security number) as their organization
    number"; such a business reaches the online bank, Billo and Kivra like a consumer.
    """
    compact = _digits(organisation_number)
    if len(compact) not in (10, 12):
        return ""
    try:
        return clean_swedish_personal_number(compact)
    except ValidationError:
        return ""


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
# VAT numbers
# ---------------------------------------------------------------------------------------------


def clean_vat_number(value: str, country: str) -> str:
    """VAT identifier -> its canonical form with the country prefix, checked by python-stdnum.

    Norway: ``NO`` + organisation number (MOD11) + ``MVA`` (``stdnum.no.mva``); Sweden and the
    other EU countries: the prefix and the national rules of ``stdnum.eu.vat`` (Sweden: 10-digit
    organisation number + ``01``). Without a prefix the customer's country is assumed.
    """
    compact = "".join(value.split()).replace(".", "").replace("-", "").upper()
    if not compact:
        raise ValidationError(_("Enter a VAT number."), code="required")
    if compact[:2].isdigit():
        compact = _country(country) + compact
    if compact.startswith("NO"):
        try:
            return "NO" + no_mva.validate(compact)
        except InvalidChecksum:
            raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum") from None
        except StdnumError:
            raise ValidationError(
                _("A Norwegian VAT number is NO, the 9-digit organisation number and MVA."),
                code="invalid_format",
            ) from None
    try:
        return eu_vat.validate(compact)
    except InvalidChecksum:
        raise ValidationError(MSG_CHECK_DIGIT, code="invalid_checksum") from None
    except StdnumError:
        if compact.startswith("SE"):
            raise ValidationError(
                _("A Swedish VAT number is SE, the 10-digit organisation number and 01."),
                code="invalid_format",
            ) from None
        raise ValidationError(_("This is not a valid VAT number."), code="invalid") from None
