"""Cursor pagination: stable while new rows arrive (no duplicates, no gaps)."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    # UUIDv7 ids sort by creation time, so `-id` is both newest-first and a unique tiebreaker.
    ordering: str | tuple[str, ...] = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
