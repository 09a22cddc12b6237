"""Numbers as a reader expects them: the active locale's separators, grouping, no noise zeros."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from django.utils import formats, numberformat
from django.utils.translation import get_language


def format_number(value: Decimal | int | str | None) -> str:
    """Quantities and rates: no trailing zeros ("7.500" → "7.5" / "7,5"), grouped, localised."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return formats.number_format(number, use_l10n=True, force_grouping=True)


def format_money(value: Decimal | int | str | None) -> str:
    """Amounts: two decimals, grouped, localised ("11 091,41" in nb, "11,091.41" in en)."""
    if value is None or value == "":
        return ""
    return formats.number_format(
        Decimal(str(value)), decimal_pos=2, use_l10n=True, force_grouping=True
    )


def number_formatter(decimal_pos: int | None = None) -> Callable[[Decimal | int | str], str]:
    """`format_number` (or, with `decimal_pos=2`, `format_money`) for many values at once.

    `formats.number_format` looks the language and three settings up on every call, which is
    most of the time of a page with thousands of numbers (the invoice and credit-note pages of
    large invoices). Here the locale's separators are read once and Python's own grouping
    does the rest; the output is the same as `format_number` / `format_money`.
    """
    language = get_language()
    decimal_sep = formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
    thousand_sep = formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
    grouping = formats.get_format("NUMBER_GROUPING", language, use_l10n=True)
    table = str.maketrans({",": thousand_sep, ".": decimal_sep})
    spec = ",f" if decimal_pos is None else f",.{decimal_pos}f"

    def fmt(value: Decimal | int | str) -> str:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if decimal_pos is None:
            number = number.normalize()
            if number == number.to_integral_value():
                number = number.quantize(Decimal(1))
        else:
            # Django's number_format cuts extra decimals rather than rounding them.
            number = number.quantize(Decimal(1).scaleb(-decimal_pos), rounding=ROUND_DOWN)
        if grouping != 3:
            return numberformat.format(
                number,
                decimal_sep,
                decimal_pos=decimal_pos,
                grouping=grouping,
                thousand_sep=thousand_sep,
                force_grouping=True,
                use_l10n=True,
            )
        return format(number, spec).translate(table)

    return fmt
