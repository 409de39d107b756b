"""Post cards: each post's JSON, rendered once and kept in Redis, so reading a feed page costs
one Redis round trip for the posts and one for their pages instead of a database query, model
instances and a serializer per read.

A card is split where it changes (the string layout is codec.py's):
- the post part (text, tags, counters, times; `PostOutput` minus `page` and `liked`), or "gone"
  for a post that is deleted or never existed, so a feed full of deleted posts does not go back
  to the database;
- the page part (the `page` brief plus who owns it and whether it is blocked) is stored per page,
  so renaming a page or blocking it touches one key, not every post of the page;
- `liked` is the reader's own and is asked of the database for the posts actually returned.

Writes forget the keys they make stale (`forget_posts`, `forget_pages`) after their transaction
commits; the model signals in `social.feed.apps` cover every `save()` and `delete()`, and the
services call `forget_posts` where they change counters with `UPDATE`. Keys also expire
(`SOCIAL_FEED_CARD_TTL`), which bounds the one stale case a cache like this keeps: a reader
filling a key from a snapshot taken just before a write committed.

With the "table" timelines (the embedded default, no Redis) nothing is kept: cards are built
from the database on every read, through the same code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.conf import settings

from cotask_common.roles import can_moderate
from cotask_common.security.tokens import TokenUser
from social.feed import codec, outage
from social.feed.codec import GONE
from social.feed.services import after_commit
from social.feed.timelines import FastRead, card_prefix, get_timelines
from social.pages.models import Page
from social.pages.selectors import video_states
from social.posts.models import Post
from social.posts.serializers import page_brief, post_body

# What `post_body` reads of a post (its page's owner comes through `page`).
POST_BODY_FIELDS = (
    "id",
    "page",
    "reply_to_id",
    "kind",
    "progress",
    "text",
    "tags",
    "mentions",
    "media_ids",
    "like_count",
    "comment_count",
    "reply_count",
    "created_at",
    "edited_at",
)


class Card(NamedTuple):
    """One visible post, ready to render but for the reader's `liked`."""

    post_id: str
    post_json: str  # the post part, without its closing brace
    page_json: str
    owner_id: str = ""  # the page's owner: the author (the reader's progress mutes use it)


def _redis() -> Any:
    return get_timelines().client  # None for the table store: nothing is kept


def _post_key(post_id: str) -> str:
    return codec.post_key(card_prefix(), post_id)


def _page_key(page_id: str) -> str:
    return codec.page_key(card_prefix(), page_id)


def _post_values(post_ids: list[str]) -> dict[str, bytes]:
    posts = (
        Post.objects.filter(id__in=post_ids, deleted_at__isnull=True)
        .select_related("page")
        .only(*POST_BODY_FIELDS, "page__owner_id")
    )
    found = {str(post.id): codec.encode_post(post.page_id, post_body(post)) for post in posts}
    return {post_id: found.get(post_id, GONE) for post_id in post_ids}


def _page_values(page_ids: list[str]) -> dict[str, bytes]:
    pages = Page.objects.filter(id__in=page_ids).only(
        "id", "owner_id", "handle", "name", "avatar_id", "is_private", "is_blocked"
    )
    found = {
        str(page.id): codec.encode_page(page.owner_id, page.is_blocked, page_brief(page))
        for page in pages
    }
    return {page_id: found.get(page_id, GONE) for page_id in page_ids}


def _cached(
    client: Any, ids: list[str], key: Any, load: Any, known: dict[str, bytes | None] | None
) -> dict[str, bytes]:
    """`ids`' values: those `known` already (read with the timeline), else from Redis; the
    missing ones loaded (one query) and stored."""
    if client is None:
        return load(ids)
    if known is None:
        known = dict(zip(ids, client.mget([key(i) for i in ids]), strict=True))
    values = {i: known.get(i) for i in ids}
    missing = [i for i, value in values.items() if value is None]
    if missing:
        loaded = load(missing)
        values.update(loaded)
        pipe = client.pipeline(transaction=False)
        for i, value in loaded.items():
            pipe.set(key(i), value, ex=settings.SOCIAL_FEED_CARD_TTL)
        pipe.execute()
    return values  # type: ignore[return-value]


def visible_cards(
    *,
    post_ids: Iterable[uuid.UUID],
    viewer: TokenUser,
    prefetched: FastRead | None = None,
    cached: bool = True,
) -> dict[uuid.UUID, Card]:
    """The cards of the posts in `post_ids` that `viewer` may see in their home feed
    (`prefetched`: what the timeline's read already found in Redis; `cached=False`: built
    from the database alone, Redis being away).

    Only what can hide a post a home timeline holds is checked here: the post is gone, or its
    page is gone or blocked (moderation, or the owner's ban) — except for the page's owner and
    for moderators. Privacy and an owner's block of the reader need no check: a timeline holds
    only the reader's own pages and pages they follow (approved), and the follow's end removes
    the page from it."""
    ids = [str(post_id) for post_id in post_ids]
    if not ids:
        return {}
    client = _redis() if cached else None
    known_posts = prefetched.posts if prefetched else None
    posts = _cached(client, ids, _post_key, _post_values, known_posts)
    live = {i: post for i, value in posts.items() if (post := codec.decode_post(value))}
    page_ids = sorted({page_id for page_id, _ in live.values()})
    known_pages = prefetched.pages if prefetched else None
    pages = _cached(client, page_ids, _page_key, _page_values, known_pages)
    viewer_id = str(viewer.id)
    sees_blocked = can_moderate(viewer)
    cards: dict[uuid.UUID, Card] = {}
    for post_id, (page_id, post_json) in live.items():
        page = codec.decode_page(pages.get(page_id, GONE))
        if page is None:
            continue
        owner_id, blocked, page_json = page
        if blocked and owner_id != viewer_id and not sees_blocked:
            continue
        cards[uuid.UUID(post_id)] = Card(post_id, post_json, page_json, owner_id)
    return cards


def render(cards: list[Card], liked: set[str], absolute: Callable[[str], str] | None = None) -> str:
    """The JSON array of `PostOutput` objects for `cards`, in order (`absolute`: see
    `video_states`)."""
    videos = _videos_json(cards, absolute)
    parts = [
        codec.render_post(c.post_json, c.page_json, c.post_id in liked, videos.get(c.post_id, "{}"))
        for c in cards
    ]
    return "[" + ",".join(parts) + "]"


NO_MEDIA = '"media_ids":[]'  # as dumps writes it; a text's quotes are escaped, so never in one


def _videos_json(cards: list[Card], absolute: Callable[[str], str] | None) -> dict[str, str]:
    """`videos` of the cards with media, by post id: one query for the page, none without."""
    wanted = {
        c.post_id: [str(m) for m in json.loads(c.post_json + "}").get("media_ids") or []]
        for c in cards
        if NO_MEDIA not in c.post_json
    }
    if not wanted:
        return {}
    states = video_states(media_ids=[m for ids in wanted.values() for m in ids], absolute=absolute)
    return {
        post_id: codec.dumps({m: states[m] for m in ids if m in states})
        for post_id, ids in wanted.items()
    }


def forget_posts(post_ids: Iterable[Any]) -> None:
    """Drop these posts' cards once the current transaction commits (with Redis away, once it
    is back: see outage.py)."""
    _forget([_post_key(str(post_id)) for post_id in post_ids])


def forget_pages(page_ids: Iterable[Any]) -> None:
    _forget([_page_key(str(page_id)) for page_id in page_ids])


def _forget(keys: list[str]) -> None:
    client = _redis()
    if keys and client is not None:
        after_commit(lambda: client.delete(*keys), repair=lambda: outage.record(keys=keys))
