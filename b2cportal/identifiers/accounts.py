"""Where customers pay: Norwegian BBAN, Swedish Bankgiro and PlusGiro."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import kontonr as no_kontonr

from ._common import (
    MSG_CHECK_DIGIT,
    _digits,
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
