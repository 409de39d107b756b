"""Reading the home feed: the kept timeline, merged with the big pages read live (the hybrid),
then the database for anything older than the timeline holds. Cursor = the last post id
returned; post ids are UUIDv7, so a page of results never shifts when newer posts arrive."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q

from social.feed.services import big_followed_pages, touch_reader
from social.feed.timelines import get_timelines
from social.pages.models import Follow
from social.posts.models import Post
from social.posts.selectors import visible_posts

MAX_ROUNDS = 3


def _followed_page_ids(user_id: uuid.UUID) -> Any:
    return Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED).values("page_id")


def database_feed(*, viewer: Any, before: uuid.UUID | None, limit: int) -> list[Post]:
    """The home feed straight from the database (the reference the timelines must agree with,
    and the source for anything older than a timeline keeps)."""
    user_id = viewer.id
    posts = visible_posts(viewer=viewer).filter(
        Q(page_id__in=_followed_page_ids(user_id)) | Q(page__owner_id=user_id)
    )
    if before is not None:
        posts = posts.filter(id__lt=before)
    return list(posts.order_by("-id")[:limit])


def home_feed(
    *, viewer: Any, before: uuid.UUID | None, limit: int
) -> tuple[list[Post], uuid.UUID | None]:
    """Up to `limit` posts older than `before`, newest first, with no duplicates, and the
    cursor of the next page (None at the end)."""
    user_id = viewer.id
    reader = touch_reader(user_id=user_id)
    store = get_timelines()
    found: dict[uuid.UUID, Post] = {}

    # Big pages (not fanned out) straight from the database, for those who follow any.
    if reader.follows_big_pages:
        big = visible_posts(viewer=viewer).filter(page_id__in=big_followed_pages(user_id=user_id))
        if before is not None:
            big = big.filter(id__lt=before)
        for post in big.order_by("-id")[: limit + 1]:
            found[post.id] = post

    # The kept timeline; ids whose post is now hidden (deleted, blocked, private) are skipped,
    # reading further so a page of results is still full.
    cursor = before
    exhausted = False
    for _ in range(MAX_ROUNDS):
        ids = store.read(user_id=user_id, before=cursor, limit=limit + 1)
        if ids:
            for post in visible_posts(viewer=viewer).filter(id__in=ids):
                found[post.id] = post
            cursor = ids[-1]
        if len(ids) <= limit:
            exhausted = True
            break
        if sum(1 for pid in found if cursor is None or pid >= cursor) > limit:
            break

    if exhausted:
        # Past the end of the timeline (it keeps only the newest entries): older posts come
        # from the database, below the last id the timeline gave.
        for post in database_feed(viewer=viewer, before=cursor, limit=limit + 1):
            found.setdefault(post.id, post)
        ordered = sorted(found.values(), key=lambda p: p.id, reverse=True)
        results = ordered[:limit]
        more = len(ordered) > limit
        return results, (results[-1].id if more and results else None)
    # Only what lies above the last timeline id read is known to be complete.
    ordered = sorted(
        (p for p in found.values() if p.id >= cursor), key=lambda p: p.id, reverse=True
    )
    results = ordered[:limit]
    return results, (results[-1].id if len(results) == limit else cursor)
