"""Cursor pagination: stable while new rows arrive (no duplicates, no gaps).

Its query parameters are checked like a body: a `page_size` that is not a whole number from 1 to
`max_page_size`, or a `cursor` the server did not make, is a 400 naming the parameter (DRF's own
class would fall back to the default size, or answer 404 for a bad cursor).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.request import Request

# The links of a page in the OpenAPI document's examples (DRF's own example of `next` ends in a
# stray quote); `cotask_common.openapi_examples` puts each list's own path in their place.
EXAMPLE_NEXT = "https://cotask.example/?cursor=cD0yMDI2LTEyLTA1KzA5JTNBMzAlM0EwMCUyQjAwJTNBMDA%3D"
EXAMPLE_PREVIOUS = "https://cotask.example/?cursor=cj0xJnA9MjAyNi0xMi0wNSswOSUzQTMxJTNBMDA%3D"


def query_error(parameter: str, message: str) -> exceptions.ValidationError:
    """A 400 naming a query parameter, in the kit's error shape (`fields.<parameter>`)."""
    return exceptions.ValidationError({parameter: [message]})


class CursorPagination(pagination.CursorPagination):
    # UUIDv7 ids sort by creation time, so `-id` is both newest-first and a unique tiebreaker.
    ordering: str | tuple[str, ...] = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        document = super().get_paginated_response_schema(schema)
        properties = document.get("properties", {})
        if "next" in properties and "previous" in properties:
            properties["next"]["example"] = EXAMPLE_NEXT
            properties["previous"]["example"] = EXAMPLE_PREVIOUS
        return document

    def get_page_size(self, request: Request) -> int:
        if self.page_size_query_param and self.page_size_query_param in request.query_params:
            return checked_page_size(
                request.query_params[self.page_size_query_param],
                most=self.max_page_size,
                parameter=self.page_size_query_param,
            )
        return self.page_size

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise query_error(self.cursor_query_param, _("This cursor is not valid.")) from exc


def checked_page_size(raw: str, *, most: int, parameter: str = "page_size") -> int:
    """`raw` as a page size from 1 to `most`, else a 400 naming `parameter`."""
    try:
        size = int(raw)
    except (TypeError, ValueError):
        size = 0
    if not raw.strip().isdigit() or not 1 <= size <= most:
        raise query_error(parameter, _("Give a whole number from 1 to %(most)d.") % {"most": most})
    return size
