"""Money arithmetic for invoices, shared by services, UBL and PDF so every total agrees.

The rules follow EN 16931: a line's net amount is quantity x price rounded to 2 decimals
(PEPPOL-EN16931-R120); the VAT of each category/rate group is its taxable amount x rate / 100,
rounded to 2 decimals (BR-CO-17); document totals are sums of those (BR-CO-10, BR-CO-14).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount the database holds (DecimalField max_digits=14, decimal_places=2): every
# line amount and document total must stay within it (services and forms refuse more).
MAX_AMOUNT = Decimal("999999999999.99")


def totals_problem(lines: Iterable[LineLike]) -> str | None:
    """Why these lines cannot be stored (a line or total beyond MAX_AMOUNT), or None."""
    lines = list(lines)
    limit = f"{MAX_AMOUNT:,}".replace(",", " ")
    for index, line in enumerate(lines, start=1):
        if line_amount(line.quantity, line.unit_price) > MAX_AMOUNT:
            return _("Line %(n)s: the amount (quantity times price) must not exceed %(max)s.") % {
                "n": index,
                "max": limit,
            }
    if compute_totals(lines).incl_vat > MAX_AMOUNT:
        return _("The invoice total including VAT must not exceed %(max)s.") % {"max": limit}
    return None


# VAT rates a user may choose per country for the standard-rated category (S).
STANDARD_RATES = {
    "NO": (Decimal("25"), Decimal("15"), Decimal("12")),
    "SE": (Decimal("25"), Decimal("12"), Decimal("6")),
}


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return money(Decimal(quantity) * Decimal(unit_price))


class LineLike(Protocol):
    """What the totals read of a line (read-only, so frozen snapshots and form rows qualify).

    A line may also carry `fixed_amount`: set on the last credit of an invoice line, what remains
    of that line's amount, which can differ by a cent from quantity x price (see
    `invoices.services`, partial credit notes); `amount_of` reads it when present.
    """

    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def vat_category(self) -> str: ...
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def exemption_reason(self) -> str: ...


def amount_of(line: LineLike) -> Decimal:
    """A line's net amount: quantity x price, or the fixed remainder of a closing credit."""
    fixed = getattr(line, "fixed_amount", None)
    if fixed is not None:
        return money(fixed)
    return line_amount(line.quantity, line.unit_price)


# Group key of the VAT breakdown: (category, rate). EN 16931 allows one breakdown per category
# and rate (BR-E-08 compares each exempt breakdown with the sum of *all* exempt lines), so lines
# with different exemption reasons share one breakdown that names every reason.
GroupKey = tuple[str, Decimal]
REASON_SEPARATOR = "; "


def group_key(category: str, rate: Decimal) -> str:
    """The stored form of a VAT group key (`Invoice.vat_overrides`): "S|25.00"."""
    return f"{category}|{Decimal(rate).quantize(CENT)}"


@dataclass(frozen=True, slots=True)
class VatGroup:
    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal
    exemption_reason: str = ""


@dataclass(frozen=True, slots=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    groups: tuple[VatGroup, ...]


def compute_totals(
    lines: Iterable[LineLike], tax_overrides: Mapping[str, Decimal | str] | None = None
) -> Totals:
    """Line amounts, the VAT breakdown per (category, rate) and the document totals.

    `tax_overrides` ("S|25.00" -> tax) is set only on a credit note that credits the last of a
    VAT group: it takes the VAT that remains, so the credits add up to the invoice exactly.
    """
    taxable: dict[GroupKey, Decimal] = {}
    reasons: dict[GroupKey, list[str]] = {}
    for line in lines:
        rate = Decimal(line.vat_rate).quantize(CENT)
        key = (line.vat_category, rate)
        taxable[key] = taxable.get(key, ZERO) + amount_of(line)
        found = reasons.setdefault(key, [])
        if line.exemption_reason and line.exemption_reason not in found:
            found.append(line.exemption_reason)
    overrides = tax_overrides or {}

    def tax(category: str, rate: Decimal, amount: Decimal) -> Decimal:
        fixed = overrides.get(group_key(category, rate))
        if fixed is not None:
            return money(Decimal(fixed))
        return money(amount * rate / 100) if category == "S" else ZERO

    groups = tuple(
        VatGroup(
            category=category,
            rate=rate,
            taxable=amount,
            tax=tax(category, rate, amount),
            exemption_reason=REASON_SEPARATOR.join(reasons.get((category, rate), [])),
        )
        for (category, rate), amount in sorted(
            taxable.items(), key=lambda kv: (kv[0][0], -kv[0][1])
        )
    )
    excl = sum((g.taxable for g in groups), ZERO)
    vat = sum((g.tax for g in groups), ZERO)
    return Totals(excl_vat=excl, vat=vat, incl_vat=excl + vat, groups=groups)
