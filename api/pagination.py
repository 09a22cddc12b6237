"""Cursor pagination: stable pages over lists that change while an ERP walks them."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Views set `ordering` to a unique, unchanging column.
    ordering = "-id"
