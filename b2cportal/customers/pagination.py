"""Paging for big lists without counting every row.

`COUNT(*)` over 100,000 customers costs more than the page itself on PostgreSQL, so the total
is counted only up to `count_cap` ("1,000+"), and "Next" is known by fetching one row more
than a page. Deep pages still work (plain OFFSET), they are just not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

PER_PAGE = 50
COUNT_CAP = 1_000
# Pages beyond this answer 404 (1,000,000 pages of 50 is far more than any company has).
MAX_PAGE = 1_000_000


@dataclass
class CappedPage:
    number: int
    object_list: list[Any]
    has_next: bool
    total: int  # exact when `total_is_exact`, else the cap
    total_is_exact: bool
    per_page: int

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)


def capped_page(
    queryset: QuerySet,
    page: str | int | None,
    *,
    per_page: int = PER_PAGE,
    count_cap: int = COUNT_CAP,
) -> CappedPage:
    """One page of `queryset` (1-based; junk input means page 1) with a capped total."""
    try:
        number = max(int(page or 1), 1)
    except (TypeError, ValueError):
        number = 1
    if number > MAX_PAGE:
        # Beyond any list we hold; a huge number would overflow the database's OFFSET.
        raise Http404
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    # COUNT(*) over a LIMITed subquery: stops after count_cap + 1 rows.
    counted = queryset.order_by()[: count_cap + 1].count()
    return CappedPage(
        number=number,
        object_list=rows[:per_page],
        has_next=len(rows) > per_page,
        total=min(counted, count_cap),
        total_is_exact=counted <= count_cap,
        per_page=per_page,
    )
