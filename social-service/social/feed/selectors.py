"""Reading the home feed: the kept timeline, merged with the big pages read live (the hybrid),
then the database for anything older than the timeline holds. Cursor = the last post id
returned; post ids are UUIDv7, so a page of results never shifts when newer posts arrive."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q

from cotask_common.security.tokens import TokenUser
from social import hot_sql
from social.feed import codec, outage, repairs
from social.feed.cards import Card, visible_cards
from social.feed.services import big_followed_pages, current_reader
from social.feed.timelines import get_timelines
from social.pages.models import Follow
from social.posts.models import Post
from social.posts.selectors import visible_posts
from social.progress.selectors import muted_among

MAX_ROUNDS = 3


def _followed_page_ids(user_id: uuid.UUID) -> Any:
    return Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED).values("page_id")


def _database_posts(viewer: TokenUser) -> Any:
    user_id = viewer.id
    return visible_posts(viewer=viewer).filter(
        Q(page_id__in=_followed_page_ids(user_id)) | Q(page__owner_id=user_id)
    )


def database_feed(*, viewer: TokenUser, before: uuid.UUID | None, limit: int) -> list[Post]:
    """The home feed straight from the database (the reference the timelines must agree with,
    and the source for anything older than a timeline keeps)."""
    posts = _database_posts(viewer)
    if before is not None:
        posts = posts.filter(id__lt=before)
    return list(posts.order_by("-id")[:limit])


def database_feed_ids(
    *, viewer: TokenUser, before: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    return _visible_ids(_database_posts(viewer), before=before, limit=limit)


def _visible_ids(posts: Any, *, before: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    if before is not None:
        posts = posts.filter(id__lt=before)
    return list(posts.order_by("-id").values_list("id", flat=True)[:limit])


def home_feed(
    *, viewer: TokenUser, before: uuid.UUID | None, limit: int
) -> tuple[list[Card], uuid.UUID | None]:
    """Up to `limit` posts older than `before` as cards (see cards.py), newest first, with no
    duplicates, and the cursor of the next page (None at the end).

    The progress posts of people the reader muted are left out after the page is chosen (one
    query, only when the page holds progress posts; the cursor stays the page's, so such a page
    may come back shorter).

    With the feed's Redis away: the same answer from the database alone (outage.py)."""
    cards, cursor = _home_feed(viewer=viewer, before=before, limit=limit)
    authors = {c.owner_id for c in cards if codec.is_progress(c.post_json)}
    if not authors:
        return cards, cursor
    muted = muted_among(user_id=viewer.id, person_ids=authors)
    kept = [c for c in cards if c.owner_id not in muted or not codec.is_progress(c.post_json)]
    return kept, cursor


def _home_feed(
    *, viewer: TokenUser, before: uuid.UUID | None, limit: int
) -> tuple[list[Card], uuid.UUID | None]:
    if outage.uses_redis():
        repairs.drain_if_owed()
        if outage.is_down(outage.feed_redis()):
            return _database_home_feed(viewer=viewer, before=before, limit=limit)
        try:
            return _kept_home_feed(viewer=viewer, before=before, limit=limit)
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            outage.mark_down(outage.feed_redis(), exc, "the home feed reads the database")
            return _database_home_feed(viewer=viewer, before=before, limit=limit)
    return _kept_home_feed(viewer=viewer, before=before, limit=limit)


def _database_home_feed(
    *, viewer: TokenUser, before: uuid.UUID | None, limit: int
) -> tuple[list[Card], uuid.UUID | None]:
    """`database_feed`'s page as cards built without Redis: slower, the same answer."""
    ids = database_feed_ids(viewer=viewer, before=before, limit=limit + 1)
    cards = visible_cards(post_ids=ids, viewer=viewer, cached=False)
    ordered = [post_id for post_id in ids if post_id in cards]
    results = ordered[:limit]
    more = len(ordered) > limit
    return [cards[i] for i in results], (results[-1] if more and results else None)


def _kept_home_feed(
    *, viewer: TokenUser, before: uuid.UUID | None, limit: int
) -> tuple[list[Card], uuid.UUID | None]:
    user_id = viewer.id
    reader, fast = current_reader(user_id=user_id, before=before, limit=limit + 1)
    store = get_timelines()
    found: dict[uuid.UUID, Card] = {}

    # Big pages (not fanned out) straight from the database, for those who follow any.
    if reader.follows_big_pages:
        big = visible_posts(viewer=viewer).filter(page_id__in=big_followed_pages(user_id=user_id))
        found.update(
            visible_cards(post_ids=_visible_ids(big, before=before, limit=limit + 1), viewer=viewer)
        )

    # The kept timeline; ids whose post is now hidden (deleted, blocked) are skipped, reading
    # further so a page of results is still full.
    cursor = before
    exhausted = False
    for round_ in range(MAX_ROUNDS):
        prefetched = fast if round_ == 0 else None
        if prefetched is not None:
            ids = prefetched.ids
        else:
            ids = store.read(user_id=user_id, before=cursor, limit=limit + 1)
        if ids:
            found.update(visible_cards(post_ids=ids, viewer=viewer, prefetched=prefetched))
            cursor = ids[-1]
        if len(ids) <= limit:
            exhausted = True
            break
        if sum(1 for pid in found if cursor is None or pid >= cursor) > limit:
            break

    if exhausted:
        # Past the end of the timeline (it keeps only the newest entries): older posts come
        # from the database, below the last id the timeline gave.
        older = database_feed_ids(viewer=viewer, before=cursor, limit=limit + 1)
        for post_id, card in visible_cards(post_ids=older, viewer=viewer).items():
            found.setdefault(post_id, card)
        ordered = sorted(found, reverse=True)
        results = ordered[:limit]
        more = len(ordered) > limit
        return [found[i] for i in results], (results[-1] if more and results else None)
    # Only what lies above the last timeline id read is known to be complete.
    ordered = sorted((pid for pid in found if pid >= cursor), reverse=True)
    results = ordered[:limit]
    return [found[i] for i in results], (results[-1] if len(results) == limit else cursor)


def liked_among(*, viewer: TokenUser, cards: list[Card]) -> set[str]:
    """Which of these posts the reader liked (hand-written SQL: every feed read takes it)."""
    return hot_sql.liked_among(user_id=viewer.id, post_ids=[card.post_id for card in cards])
