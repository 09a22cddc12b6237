"""Helpers shared by the identifier modules."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
