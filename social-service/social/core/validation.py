"""Validation of the text, handles and tags people write, shared by pages, posts and
moderation. Each raises the kit's `ServiceError` naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext, ngettext

from cotask_common.errors import ServiceError

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{3,40}$")
TAG_RE = re.compile(r"^[\w-]{1,40}$")
# A tag as written: surrounding spaces and leading '#' are dropped, then 1 to 40 letters, digits,
# '_' or '-'. The documents state it as the pattern (`TAG_SCHEMA`), and `clean_tags` checks the
# written value against the same pattern, so the two cannot disagree.
TAG_PATTERN = r"^\s*#*[\w-]{1,40}\s*$"
TAG_SCHEMA = {"pattern": TAG_PATTERN, "example": "python"}
# A currency as written: blank (none), or three letters (ISO 4217, any case), spaces around.
CURRENCY_PATTERN = r"^\s*(?:[A-Za-z]{3})?\s*$"
CURRENCY_SCHEMA = {
    "pattern": CURRENCY_PATTERN,
    "example": "EUR",
    "description": "ISO 4217 code, e.g. EUR (any case); needed with an amount",
}


def clean_text(
    value: str | None,
    *,
    field: str,
    limit: int,
    required: bool = False,
    blank_message: str | None = None,
) -> str:
    """`value` stripped; at most `limit` characters, and not empty when `required`."""
    value = (value or "").strip()
    if required and not value:
        message = blank_message or gettext("This field may not be blank.")
        raise ServiceError.for_field(field, str(message), code="required")
    if len(value) > limit:
        raise ServiceError.for_field(
            field,
            ngettext(
                "At most %(limit)s character, got %(count)s.",
                "At most %(limit)s characters, got %(count)s.",
                limit,
            )
            % {"limit": limit, "count": len(value)},
            code="too_long",
        )
    return value


def clean_handle(handle: str | None, *, field: str = "handle") -> str:
    handle = (handle or "").strip().lstrip("@")
    if not HANDLE_RE.match(handle):
        raise ServiceError.for_field(
            field,
            gettext("A handle is 3 to 40 characters: letters, digits and underscores."),
        )
    return handle


def clean_tags(tags: Iterable[str] | None, *, limit: int, field: str = "tags") -> list[str]:
    """Lower-cased, without a leading '#', each once, at most `limit`."""
    cleaned: list[str] = []
    for raw in tags or []:
        if not re.match(TAG_PATTERN, str(raw)):
            raise ServiceError.for_field(
                field,
                gettext("%(tag)s is not a tag: 1 to 40 letters, digits, '_' or '-'.")
                % {"tag": repr(raw)},
            )
        tag = _lower(str(raw).strip().lstrip("#"))
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > limit:
        raise ServiceError.for_field(
            field,
            ngettext(
                "At most %(limit)s tag, got %(count)s.",
                "At most %(limit)s tags, got %(count)s.",
                limit,
            )
            % {"limit": limit, "count": len(cleaned)},
        )
    return cleaned


def _lower(tag: str) -> str:
    # Lower-cased letter by letter: the one letter whose lower case is two characters ('İ',
    # 'i' and a combining dot, which is no tag character) stays as written.
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in tag)


def clean_currency(currency: str | None, *, message: str) -> str:
    """`currency` upper-cased, or "" when blank; anything else than three letters is a 400
    naming `currency` with `message`."""
    currency = currency or ""
    if not re.match(CURRENCY_PATTERN, currency):
        raise ServiceError.for_field("currency", message)
    return currency.strip().upper()
