"""Posts and pages reach the feed only through `social.core.feed_writes` (they sit below it in
the layer order); the feed app registers the implementation at startup."""

from __future__ import annotations

from typing import Any

import pytest

from social.core import feed_writes
from social.feed.writes import TimelineWrites


def test_the_feed_app_registers_its_writes() -> None:
    assert isinstance(feed_writes.feed_writes(), TimelineWrites)


def test_a_write_without_a_registered_feed_fails_loudly(monkeypatch: Any) -> None:
    # Silently skipped, a new post would never reach its followers' timelines.
    monkeypatch.setattr(feed_writes, "_registered", None)
    with pytest.raises(RuntimeError, match="No feed registered"):
        feed_writes.feed_writes()
