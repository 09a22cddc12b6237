"""Postcodes and phone numbers."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import postnummer as se_postnummer

from ._common import (
    MSG_REQUIRED,
    _country,
    _digits,
)

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
