"""The one pagination of every list screen: numbered pages with a capped total.

`COUNT(*)` over 1,000,000 invoices costs more than the page itself on PostgreSQL, so the total
is counted only up to `count_cap` ("1-25 of more than 1,000"), and "Next" is known by fetching
one row more than a page. Deep pages still work (plain OFFSET), they are just not counted.
Accountants keep page numbers they can read out and a total that is exact for every list they
actually page through; keyset pagination would give neither.

Templates render it with `{% include "includes/_pagination.html" %}` (needs `page`, and
`query_string`: the list's filters without `page`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.functional import cached_property

PER_PAGE = 50
COUNT_CAP = 1_000
# Pages beyond this answer 404 (1,000,000 pages of 50 is far more than any company has).
MAX_PAGE = 1_000_000
ADMIN_COUNT_CAP = 10_000


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
    total: int | None = None,
) -> CappedPage:
    """One page of `queryset` (1-based; junk input means page 1) with a capped total.

    Two queries: the page (one row more, to know "Next") and the capped count. A caller that
    already knows the exact total (the support list counts per status) passes `total`.
    """
    try:
        number = max(int(page or 1), 1)
    except (TypeError, ValueError):
        number = 1
    if number > MAX_PAGE:
        # Beyond any list we hold; a huge number would overflow the database's OFFSET.
        raise Http404
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    if total is not None:
        counted, count_cap = total, max(total, count_cap)
    else:
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


def query_string_without_page(request) -> str:
    """The request's GET parameters without `page`, for the page links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class CappedAdminPaginator(Paginator):
    """The Django admin's pager (TenantScopedAdmin) without COUNT(*) over a whole table.

    The change list counts at most ADMIN_COUNT_CAP + 1 rows: past that it shows that many
    and the last page is the cap's; search or filter to narrow down.
    """

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            return object_list.order_by()[: ADMIN_COUNT_CAP + 1].count()
        return len(object_list)
