"""What posts and pages tell the feed about their writes.

The feed sits above posts and pages in the layer order (`.importlinter`): it reads their models,
so they may not import it. Yet a new post, a follow's start or end and an account's deletion
change timelines and cached cards. So posts and pages call this interface, and the feed app
registers its implementation when Django starts (`social.feed.apps.FeedConfig.ready`).

Every call is made inside the writer's transaction; the feed decides what waits for the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Protocol


class FeedWrites(Protocol):
    def post_created(self, *, post_id: uuid.UUID) -> None:
        """A post was written: push it into its readers' timelines."""

    def posts_changed(self, *, post_ids: Iterable[uuid.UUID]) -> None:
        """Posts changed without `save()` (counters by `UPDATE`): their cards are stale."""

    def follow_started(self, *, user_id: uuid.UUID, page_id: uuid.UUID, followers: int) -> None:
        """`user_id` now follows the page (`followers`: its count as the caller read it)."""

    def follows_ended(self, *, page_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
        """These users no longer follow the page (unfollow, removal, block, deletion)."""

    def reader_deleted(self, *, user_id: uuid.UUID) -> None:
        """A deleted account: its own timeline and reader state go."""


_registered: FeedWrites | None = None


def register(feed: FeedWrites) -> None:
    global _registered  # one process-wide implementation, set at startup
    _registered = feed


def feed_writes() -> FeedWrites:
    if _registered is None:  # a write without the feed would leave timelines silently wrong
        raise RuntimeError("No feed registered: is social.feed in INSTALLED_APPS?")
    return _registered
