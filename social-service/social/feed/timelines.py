"""Timeline stores: Redis sorted sets in production, a table in the embedded default.

Both order a timeline by post id. Post ids are UUIDv7, whose canonical strings sort exactly as
their creation time, so in Redis every member has score 0 and the set is read in lexicographic
order (ZREVRANGEBYLEX): the cursor is simply the last post id seen, exact even for posts made in
the same millisecond. A sentinel member "0" (lower than any id) marks a timeline that was built,
even if empty, so an empty timeline is not rebuilt on every read. Only a rebuild writes it:
fan-out and a follow's merge add ids to whatever is there, so a timeline Redis lost (eviction, a
flush) and a later fan-out re-created with a few ids still lacks the sentinel and is rebuilt on
the next read, instead of quietly sending every read to the database.

Both implement `TimelineStore`; the feed asks the store, never which store it is. The Redis store
also keeps, beside the timelines, each reader's cached state and the post cards (cards.py), and
reads all of them in one round trip (`read_with_reader`); the table store keeps neither.
"""

from __future__ import annotations

import os
import threading
import uuid
import zlib
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol, runtime_checkable

from django.conf import settings
from django.db.models import Subquery

from social.feed import codec
from social.feed.models import TimelineEntry

SENTINEL = "0"


class FastRead(NamedTuple):
    state: bytes | None
    version: bytes | None
    built: bool
    ids: list[uuid.UUID]
    posts: dict[str, bytes | None]  # post id -> its card, None where Redis has none
    pages: dict[str, bytes | None]  # page id -> its card, for the pages of the cards found


@runtime_checkable
class TimelineStore(Protocol):
    """What the feed needs of a timeline store (`get_timelines()`)."""

    name: str

    def add(
        self, *, user_ids: Iterable[uuid.UUID], post_id: uuid.UUID, page_id: uuid.UUID
    ) -> None: ...

    def add_many(
        self, *, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]
    ) -> None: ...

    def replace(
        self, *, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]
    ) -> None: ...

    def remove_page(
        self, *, user_ids: Iterable[uuid.UUID], page_id: uuid.UUID, post_ids: list[uuid.UUID]
    ) -> None: ...

    def read(
        self, *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]: ...

    def exists(self, *, user_id: uuid.UUID) -> bool: ...

    def clear(self, *, user_id: uuid.UUID) -> None: ...

    @property
    def client(self) -> Any:
        """The Redis client that keeps the cards and reader states beside the timelines; None
        where nothing is kept (every read asks the database)."""

    def read_with_reader(
        self, *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int, card_prefix: str
    ) -> FastRead | None:
        """The whole fast path of a feed read in one round trip, or None where there is none."""

    def remember_reader(self, *, user_id: uuid.UUID, state: str, seconds: int) -> None:
        """Keep a reader's state (see services.current_reader) for `seconds`."""

    def forget_readers(self, *, user_ids: list[uuid.UUID], new_big_pages_version: bool) -> None:
        """Drop these readers' states; `new_big_pages_version` retires every reader's."""


class TableTimelines:
    """Trimmed on write like the Redis store, but amortised: trimming a timeline costs an index
    range scan of `size` entries, so a fan-out write trims each timeline it touches with
    probability 1/`slack` (decided by a hash of user and post, so it is reproducible), where
    `slack` is an eighth of `size`. A timeline then holds `size` entries plus, on average,
    `slack` more (the newest ones are never trimmed), and each write costs about 8 index
    entries of trimming on average instead of `size`."""

    name = "table"
    client = None  # no cards, no reader states: the feed asks the database

    def __init__(self, size: int) -> None:
        self.size = size
        self.slack = max(1, size // 8)

    def _due(self, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
        return zlib.crc32(user_id.bytes + post_id.bytes) % self.slack == 0

    def trim(self, *, user_ids: Iterable[uuid.UUID]) -> None:
        """Keep only the newest `size` entries of each timeline (one DELETE per timeline, the
        cut-off found through the `(user_id, -post_id)` index)."""
        for user_id in user_ids:
            cutoff = (
                TimelineEntry.objects.filter(user_id=user_id)
                .order_by("-post_id")
                .values_list("post_id", flat=True)[self.size : self.size + 1]
            )
            TimelineEntry.objects.filter(user_id=user_id, post_id__lte=Subquery(cutoff)).delete()

    def add(self, *, user_ids: Iterable[uuid.UUID], post_id: uuid.UUID, page_id: uuid.UUID) -> None:
        user_ids = [uuid.UUID(str(u)) for u in user_ids]
        post_id = uuid.UUID(str(post_id))
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(user_id=u, post_id=post_id, page_id=page_id) for u in user_ids],
            ignore_conflicts=True,
            batch_size=1000,
        )
        self.trim(user_ids=[u for u in user_ids if self._due(u, post_id)])

    def add_many(self, *, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(user_id=user_id, post_id=p, page_id=g) for p, g in entries],
            ignore_conflicts=True,
            batch_size=1000,
        )
        if entries:  # a follow's merge: rare, one timeline, trimmed at once
            self.trim(user_ids=[user_id])

    def replace(self, *, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        TimelineEntry.objects.filter(user_id=user_id).delete()
        self.add_many(user_id=user_id, entries=entries)

    def remove_page(
        self, *, user_ids: Iterable[uuid.UUID], page_id: uuid.UUID, post_ids: list[uuid.UUID]
    ) -> None:
        TimelineEntry.objects.filter(user_id__in=list(user_ids), page_id=page_id).delete()

    def read(self, *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        rows = TimelineEntry.objects.filter(user_id=user_id)
        if before is not None:
            rows = rows.filter(post_id__lt=before)
        return list(rows.order_by("-post_id").values_list("post_id", flat=True)[:limit])

    def exists(self, *, user_id: uuid.UUID) -> bool:
        # The table has no "empty but built" marker: FeedState says whether it was built.
        return True

    def clear(self, *, user_id: uuid.UUID) -> None:
        TimelineEntry.objects.filter(user_id=user_id).delete()

    def read_with_reader(
        self, *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int, card_prefix: str
    ) -> FastRead | None:
        return None

    def remember_reader(self, *, user_id: uuid.UUID, state: str, seconds: int) -> None:
        pass

    def forget_readers(self, *, user_ids: list[uuid.UUID], new_big_pages_version: bool) -> None:
        pass


# KEYS: the timeline, the reader's cached state, the big-pages version.
# ARGV: the upper bound ("+" or "(<id>"), how many ids, the cards' key prefix.
# The card keys are derived here rather than passed: a standalone Redis (not a cluster). The
# cards' layout (key names, "gone", where a post card's page id is) comes from codec.py.
READ_SCRIPT = f"""
local state = redis.call('GET', KEYS[2])
local version = redis.call('GET', KEYS[3])
local built = redis.call('ZSCORE', KEYS[1], '{SENTINEL}')
local ids = redis.call(
  'ZREVRANGEBYLEX', KEYS[1], ARGV[1], '({SENTINEL}', 'LIMIT', 0, tonumber(ARGV[2]))
local posts, pages, seen = {{}}, {{}}, {{}}
for i, id in ipairs(ids) do
  local card = redis.call('GET', ARGV[3] .. '{codec.POST_KEY}' .. id)
  posts[i] = card
  if card and card ~= '{codec.GONE.decode()}' then
    local page_id = string.sub(card, 1, {codec.PAGE_ID_LENGTH})
    if not seen[page_id] then
      seen[page_id] = true
      pages[#pages + 1] = page_id
      pages[#pages + 1] = redis.call('GET', ARGV[3] .. '{codec.PAGE_KEY}' .. page_id)
    end
  end
end
return {{state, version, built and 1 or 0, ids, posts, pages}}
"""


class RedisTimelines:
    name = "redis"

    def __init__(self, url: str, prefix: str, size: int) -> None:
        self.url = url
        self.prefix = prefix
        self.size = size
        self._client: Any = None
        self._pid = 0
        self._lock = threading.Lock()
        self._read_script: Any = None

    @property
    def client(self) -> Any:
        import redis

        if self._client is None or self._pid != os.getpid():  # reconnect after a fork
            with self._lock:
                # A Redis that is down or hung costs a call a second or two, not a hang (and
                # one immediate retry, not redis-py's three with growing pauses): the feed
                # then reads the database (outage.py).
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                self._client = redis.Redis.from_url(
                    self.url,
                    socket_timeout=2,
                    socket_connect_timeout=1,
                    retry=Retry(NoBackoff(), 1),
                )
                self._pid = os.getpid()
        return self._client

    def key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}{user_id}"

    def _trim(self, pipe: Any, key: str) -> None:
        # Keep the sentinel (rank 0) and the newest `size` ids. (A timeline without the
        # sentinel keeps one id more until its rebuild.)
        pipe.zremrangebyrank(key, 1, -(self.size + 1))

    def add(self, *, user_ids: Iterable[uuid.UUID], post_id: uuid.UUID, page_id: uuid.UUID) -> None:
        member = str(post_id)
        pipe = self.client.pipeline(transaction=False)
        for count, user_id in enumerate(user_ids, 1):
            key = self.key(user_id)
            pipe.zadd(key, {member: 0})
            self._trim(pipe, key)
            if count % 1000 == 0:
                pipe.execute()
        pipe.execute()

    def add_many(self, *, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        key = self.key(user_id)
        pipe = self.client.pipeline(transaction=False)
        if entries:
            pipe.zadd(key, {str(p): 0 for p, _ in entries})
        self._trim(pipe, key)
        pipe.execute()

    def replace(self, *, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        key = self.key(user_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        pipe.zadd(key, {SENTINEL: 0, **{str(p): 0 for p, _ in entries}})
        self._trim(pipe, key)
        pipe.execute()

    def remove_page(
        self, *, user_ids: Iterable[uuid.UUID], page_id: uuid.UUID, post_ids: list[uuid.UUID]
    ) -> None:
        if not post_ids:
            return
        members = [str(p) for p in post_ids]
        pipe = self.client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zrem(self.key(user_id), *members)
        pipe.execute()

    def read(self, *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        top = f"({before}" if before is not None else "+"
        members = self.client.zrevrangebylex(self.key(user_id), top, f"({SENTINEL}", 0, limit)
        return [uuid.UUID(m.decode()) for m in members]

    def reader_key(self, user_id: uuid.UUID | str) -> str:
        return f"{self.prefix}reader:{user_id}"

    @property
    def big_pages_version_key(self) -> str:
        return f"{self.prefix}big-pages-version"

    def read_with_reader(
        self, *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int, card_prefix: str
    ) -> FastRead:
        """One round trip for the whole fast path of a feed read (a Lua script): the cached
        reader state (see services.current_reader), the big-pages version, whether the
        timeline is built, its first `limit` ids below `before`, and the cards (see cards.py)
        Redis holds for those posts and their pages."""
        if self._read_script is None:
            self._read_script = self.client.register_script(READ_SCRIPT)
        top = f"({before}" if before is not None else "+"
        state, version, built, members, posts, pages = self._read_script(
            client=self.client,
            keys=[self.key(user_id), self.reader_key(user_id), self.big_pages_version_key],
            args=[top, limit, card_prefix],
        )
        ids = [uuid.UUID(m.decode()) for m in members]
        return FastRead(
            state=state,
            version=version,
            built=bool(built),
            ids=ids,
            posts={str(i): card for i, card in zip(ids, posts, strict=True)},
            pages={pages[n].decode(): pages[n + 1] for n in range(0, len(pages), 2)},
        )

    def remember_reader(self, *, user_id: uuid.UUID, state: str, seconds: int) -> None:
        self.client.set(self.reader_key(user_id), state, ex=seconds)

    def forget_readers(self, *, user_ids: list[uuid.UUID], new_big_pages_version: bool) -> None:
        pipe = self.client.pipeline(transaction=False)
        if user_ids:
            pipe.delete(*[self.reader_key(user_id) for user_id in user_ids])
        if new_big_pages_version:
            pipe.incr(self.big_pages_version_key)
        pipe.execute()

    def exists(self, *, user_id: uuid.UUID) -> bool:
        """Built (by a rebuild, which writes the sentinel), not merely holding a few ids."""
        return self.client.zscore(self.key(user_id), SENTINEL) is not None

    def clear(self, *, user_id: uuid.UUID) -> None:
        self.client.delete(self.key(user_id))


def card_prefix() -> str:
    """Where feed/cards.py keeps rendered cards: beside the timelines, so that one Lua call
    (RedisTimelines.read_with_reader) reads both."""
    return f"{settings.SOCIAL_FEED_KEY_PREFIX}card:"


_stores: dict[tuple[str, str, str, int], RedisTimelines] = {}


def get_timelines() -> TimelineStore:
    backend = settings.SOCIAL_FEED_BACKEND
    if backend == "table":
        return TableTimelines(settings.SOCIAL_FEED_TIMELINE_SIZE)
    if backend != "redis":
        raise ValueError(f"SOCIAL_FEED_BACKEND must be 'redis' or 'table', got {backend!r}")
    key = (
        backend,
        settings.SOCIAL_FEED_REDIS_URL,
        settings.SOCIAL_FEED_KEY_PREFIX,
        settings.SOCIAL_FEED_TIMELINE_SIZE,
    )
    if key not in _stores:
        _stores[key] = RedisTimelines(
            settings.SOCIAL_FEED_REDIS_URL,
            settings.SOCIAL_FEED_KEY_PREFIX,
            settings.SOCIAL_FEED_TIMELINE_SIZE,
        )
    return _stores[key]
