"""Validation and formatting of every identifier b2cportal handles.

Pure functions, no models, no database: the lowest layer, importable from any app (including
``network``). Each ``clean_*`` function strips whitespace and accepted separators and returns the
canonical form, or raises :class:`django.core.exceptions.ValidationError` with a translated
message that tells the user what is wrong, and a stable ``code`` for programs and tests.

The checks come from python-stdnum, phonenumbers and holidays wherever those libraries cover the
rule (the developers' guide forbids hand-rolled copies of library checks). Where a rule is written
here by hand, the docstring says why no library covers it.

Split by subject (people, organisations, contact, accounts, fui_fmi, references,
working_days); every public name is importable from ``b2cportal.identifiers``.
"""

from __future__ import annotations

from ._common import SUPPORTED_COUNTRIES
from .accounts import (
    clean_bankgiro,
    clean_bban,
    clean_plusgiro,
    format_bankgiro,
    format_bban,
    format_plusgiro,
)
from .contact import clean_phone_number, clean_postcode, format_postcode, is_mobile_number
from .fui_fmi import (
    Fmi,
    Fui,
    make_fmi,
    make_fui,
    mask_agreement_reference,
    parse_fmi,
    parse_fui,
)
from .organisations import clean_organisation_number, organisation_number_12
from .people import (
    clean_national_id,
    clean_norwegian_national_id,
    clean_swedish_personal_number,
    mask_national_id,
    ssn_for_peppol_endpoint,
)
from .references import (
    KID_ALGORITHMS,
    customer_number_from_kid,
    is_valid_kid,
    is_valid_ocr,
    kid_check_digit,
    make_kid,
    make_ocr,
)
from .working_days import add_norwegian_working_days, add_swedish_working_days

__all__ = [
    "KID_ALGORITHMS",
    "SUPPORTED_COUNTRIES",
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
    "mask_agreement_reference",
    "mask_national_id",
    "organisation_number_12",
    "parse_fmi",
    "parse_fui",
    "ssn_for_peppol_endpoint",
]
