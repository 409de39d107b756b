"""The layout of the post cards kept in Redis (see cards.py), in one place: Python writes and
reads them here, and the Lua script that reads a feed in one round trip
(`timelines.READ_SCRIPT`) is built from the constants below, so the two cannot drift apart
(tests/test_codec.py runs that script on cards made here).

- a post card is `<page id>|<the post's JSON object without its closing brace>`, or `-` for a
  post that is gone; the page id is the canonical 36-character UUID, so the Lua script finds it
  without parsing (`PAGE_ID_LENGTH`);
- a page card is `<owner id>|<blocked 0/1>|<the page brief's JSON>`, or `-`;
- the keys are `<card prefix>post:<post id>` and `<card prefix>page:<page id>`;
- a rendered post is the post part, then `"page":<page card's JSON>,"liked":true|false}`.
"""

from __future__ import annotations

import json
from typing import Any

GONE = b"-"
SEPARATOR = "|"
PAGE_ID_LENGTH = 36  # str(uuid.UUID(...)): what a post card starts with
POST_KEY = "post:"
PAGE_KEY = "page:"


def post_key(prefix: str, post_id: str) -> str:
    return f"{prefix}{POST_KEY}{post_id}"


def page_key(prefix: str, page_id: str) -> str:
    return f"{prefix}{PAGE_KEY}{page_id}"


def dumps(value: dict[str, Any]) -> str:
    # As DRF's renderer writes JSON (UNICODE_JSON, COMPACT_JSON).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_post(page_id: Any, body: dict[str, Any]) -> bytes:
    """A post card: its page and its JSON (`body` as `PostOutput` minus `page` and `liked`)."""
    return f"{page_id}{SEPARATOR}{dumps(body)[:-1]}".encode()


def decode_post(value: bytes) -> tuple[str, str] | None:
    """(page id, the post's JSON without its closing brace), or None for a post that is gone."""
    if value == GONE:
        return None
    page_id, post_json = value.decode().split(SEPARATOR, 1)
    return page_id, post_json


def encode_page(owner_id: Any, blocked: bool, brief: dict[str, Any]) -> bytes:
    return f"{owner_id}{SEPARATOR}{int(blocked)}{SEPARATOR}{dumps(brief)}".encode()


def decode_page(value: bytes) -> tuple[str, bool, str] | None:
    """(owner id, blocked, the page brief's JSON), or None for a page that is gone."""
    if value == GONE:
        return None
    owner_id, blocked, page_json = value.decode().split(SEPARATOR, 2)
    return owner_id, blocked == "1", page_json


PROGRESS_MARK = '"kind":"progress"'


def is_progress(post_json: str) -> bool:
    """A progress post's card. Exact: every `"` inside a JSON string is escaped, so the mark
    can only be the post's own `kind` (a progress card's nested `kind` is never `progress`)."""
    return PROGRESS_MARK in post_json


def render_post(post_json: str, page_json: str, liked: bool, videos_json: str = "{}") -> str:
    """One `PostOutput` object from a post card's JSON, its page's, the reader's `liked` and
    the post's `videos` (read at render time: a conversion ends after the card is cached)."""
    liked_json = "true" if liked else "false"
    return f'{post_json},"page":{page_json},"liked":{liked_json},"videos":{videos_json}}}'
