"""The feed while its Redis (or the Celery broker) cannot be reached: Redis is a cache here, not
a single point of failure.

- Reads: `selectors.home_feed` reads the database path (`database_feed`'s posts, order and
  cursor) and renders cards without the card cache.
- Writes: the database write commits as usual; the timeline and card work that should follow it
  (`guarded`) is kept as a `FeedRepair` row instead of failing the request.
- Recovery: `repairs.drain` replays the rows (fan-outs, dropped cards and reader states,
  timelines to rebuild) once Redis answers again; the beat task `social.drain_feed_repairs`
  runs it, and so does the first feed read of a process that kept rows, once its window
  below has passed.

A failed call marks its server down for `RETRY_SECONDS` in this process (like the kit's rate
limits): meanwhile nothing waits for a refused connection, and the log says so once per window.
Nothing here runs, and no query is added, while Redis answers.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from cotask_common import outages
from social.feed.models import FeedRepair

logger = logging.getLogger("cotask.outages")

# How long a server that refused is left alone before it is tried again.
RETRY_SECONDS = 5.0
_down_until: dict[str, float] = {}
# This process kept repair rows: its next feed read after the window drains them.
_owed_drain = False


def feed_redis() -> str:
    return f"redis {settings.SOCIAL_FEED_REDIS_URL}"


def broker() -> str:
    return f"broker {getattr(settings, 'CELERY_BROKER_URL', '')}"


def uses_redis() -> bool:
    return settings.SOCIAL_FEED_BACKEND == "redis"


def is_down(server: str) -> bool:
    until = _down_until.get(server)
    return until is not None and time.monotonic() < until


def is_outage(exc: BaseException) -> bool:
    """A Redis or broker server that cannot be reached (not a bug, not the database)."""
    return outages.unavailable_dependency(exc) in (outages.REDIS, outages.BROKER)


def mark_down(server: str, exc: BaseException, doing: str) -> None:
    """Leave `server` alone for RETRY_SECONDS; the log line comes once per window."""
    _down_until[server] = time.monotonic() + RETRY_SECONDS
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    logger.warning(
        "%s unavailable: %s: %s; %s (tried again after %.0f s)",
        server.split(" ", 1)[0],
        type(exc).__name__,
        first_line,
        doing,
        RETRY_SECONDS,
    )


def record(
    *,
    post_id: uuid.UUID | str | None = None,
    keys: Iterable[str] = (),
    new_big_pages_version: bool = False,
) -> None:
    """Keep timeline/card work for `repairs.drain`: a post to fan out, Redis keys to drop
    (cards, reader states, timelines to rebuild), a new big-pages version."""
    FeedRepair.objects.create(
        post_id=post_id, keys=list(keys), new_big_pages_version=new_big_pages_version
    )
    owe_drain()


def guarded(
    fn: Callable[[], Any], *, repair: Callable[[], None], server: str | None = None
) -> Callable[[], None]:
    """`fn` (Redis work following a database write), or `repair` (a `record`) when its server
    is down or turns out to be: the write has happened, so its client gets its answer."""
    server = server or feed_redis()

    def run() -> None:
        if is_down(server):
            repair()
            return
        try:
            fn()
        except Exception as exc:
            if not is_outage(exc):
                raise
            mark_down(server, exc, "its timeline and card work waits in the feed's repairs")
            repair()

    return run


def take_owed_drain() -> bool:
    """Whether this process kept repair rows since it last asked (and Redis may be back)."""
    global _owed_drain
    if not _owed_drain or is_down(feed_redis()):
        return False
    _owed_drain = False
    return True


def owe_drain() -> None:
    global _owed_drain
    _owed_drain = True
