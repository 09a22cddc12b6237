"""The names of VAT rates as readers know them, per seller country, in nb / sv / en.

Norway (Skatteetaten): 25 % is the ordinary rate, 15 % the reduced rate for foodstuffs, 12 %
the low rate (passenger transport, cinema, accommodation). Sweden (Skatteverket): 25 % is the
normal rate, 12 % and 6 % are reduced rates. A 15 % or 12 % line is never "ordinary rate".
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .models import VatCategory

RATE_NAMES = {
    ("NO", Decimal("25")): _("Ordinary rate"),
    ("NO", Decimal("15")): _("Reduced rate (foodstuffs)"),
    ("NO", Decimal("12")): _("Low rate"),
    ("SE", Decimal("25")): _("Normal rate"),
    ("SE", Decimal("12")): _("Reduced rate (foodstuffs, hotels, restaurants)"),
    ("SE", Decimal("6")): _("Reduced rate (books, newspapers, passenger transport)"),
}


def vat_label(country: str, category: str, rate: Decimal | str | int) -> str:
    """ "Reduced rate (foodstuffs)" for a Norwegian 15 % line; the category's name otherwise."""
    if category == VatCategory.STANDARD:
        name = RATE_NAMES.get((country, Decimal(str(rate)).normalize()))
        if name is not None:
            return str(name)
    if category in VatCategory.values:
        return str(VatCategory(category).label)
    return category
