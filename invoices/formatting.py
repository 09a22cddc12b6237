"""Numbers as a reader expects them: the active locale's separators, grouping, no noise zeros."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats


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
