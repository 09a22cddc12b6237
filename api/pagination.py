"""Cursor pagination: stable pages over lists that change while an ERP walks them."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # Each view names its own unique, unchanging column (`ordering = "number"`).
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
