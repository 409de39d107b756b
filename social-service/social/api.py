"""Small helpers the thin views of every app share."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.request import Request

from cotask_common.errors import ServiceError
from cotask_common.pagination import CursorPagination
from cotask_common.security.tokens import TokenUser
from cotask_common.views import paginated as paginated
from cotask_common.views import valid as valid

T = TypeVar("T")


def viewer(request: Request) -> TokenUser | None:
    user = request.user
    return user if isinstance(user, TokenUser) else None


def page_size(request: Request) -> int:
    """`?page_size=` of the views that page by hand (the feed, search), with the bounds and
    default of the kit's `CursorPagination`; out of bounds is a 400, not a quiet clamp."""
    default, most = CursorPagination.page_size, CursorPagination.max_page_size
    raw = request.query_params.get("page_size", str(default))
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= most:
        raise ServiceError.for_field(
            "page_size",
            gettext("A number from 1 to %(most)s, got %(raw)s.") % {"most": most, "raw": repr(raw)},
        )
    return size


def encode_cursor(value: bytes) -> str:
    """An opaque `?cursor=`: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


def decode_cursor(raw: str, parse: Callable[[bytes], T]) -> T:
    """What `encode_cursor` made, read by `parse`; anything else (`parse` raising ValueError
    included) is a 400 naming `cursor`."""
    try:
        return parse(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError as exc:
        raise ServiceError.for_field(
            "cursor", gettext("Invalid cursor."), code="invalid_cursor"
        ) from exc


class UserBrief(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()
