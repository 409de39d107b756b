"""The rendered JSON of the board and the task lists, cached under the versions of the rooms
they show.

Every write that can change such a page raises its room's `Room.version` in the writer's own
transaction (`tasks.rooms.access.touch_rooms`, which `membership_in(..., lock=True)` calls).
A reader gets the versions with the membership lookup it needs anyway (the permission check
runs on every request, cached page or not), so a page's key names exactly the state it was
rendered from: a reader that sees a change sees a new key, in every process, whatever the
cache backend (Redis in production, each process's own memory in the embedded default). No
invalidation message can be lost, and a page stored late under an old key is never read again.

Pages that depend on the clock (`due=overdue|today|week`) are not cached.

In front of the shared cache each process keeps the pages it served last (`_Recent`, a few MB,
each for at most LOCAL_SECONDS): a key never changes meaning, so a copy cannot be stale, and a
board read by a whole team is then served without the Redis round trip (the client Django's
RedisCache builds per call, the socket, the 30-60 KB value). Not used when the cache is already
this process's memory (LocMemCache, the embedded default).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from cotask_common import outages

logger = logging.getLogger("cotask.outages")

# An entry's key changes with every write of its rooms, so the timeout only frees memory.
PAGE_SECONDS = 600
CLOCK_FILTERS = frozenset({"overdue", "today", "week"})
HEADER = "X-Page-Cache"  # hit | miss | off: what the response came from (benchmarks, debugging)
# This process's copies: their bytes at most, and how long one is served without asking the
# shared cache (short: an edit in Django admin, which raises no version, shows on a page after
# the shared entry's PAGE_SECONDS and at most this much more).
LOCAL_BYTES = 8 * 1024 * 1024
LOCAL_SECONDS = 60


class _Recent:
    """A small LRU of pages by key, with an expiry each; safe across a worker's threads."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._size = 0
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.budget // 8:  # one page must not push out most of the others
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (time.monotonic() + LOCAL_SECONDS, body)
            self._size += len(body)
            while self._size > self.budget:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._size -= len(entry[1])


recent = _Recent(LOCAL_BYTES)


def _local() -> _Recent | None:
    # The backend of this moment (tests change CACHES).
    return None if isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache) else recent


def render(data: Any) -> bytes:
    """The bytes DRF's Response would send (the same renderer and settings)."""
    return JSONRenderer().render(data)


def page_key(
    kind: str, *, versions: Iterable[tuple[UUID, int]], request: Any, extra: str = ""
) -> str:
    """The cache key of a page: its kind, the (room id, version) pairs it was read under, the
    full URL (path, filters, cursor; its links are absolute), the time zone its times are
    written in, the language (no text in a page is translated today; one added later must not
    reach a reader of another language), and `extra` (whose page it is, the reader's saved
    zone)."""
    digest = hashlib.blake2b(digest_size=20)
    for room_id, version in sorted(versions):
        digest.update(f"{room_id}:{version};".encode())
    digest.update(request.build_absolute_uri().encode())
    zone, language = timezone.get_current_timezone_name(), translation.get_language()
    digest.update(f"|{zone}|{language}|{extra}".encode())
    return f"tasks:page:{kind}:{digest.hexdigest()}"


def cacheable(request: Any) -> bool:
    return request.query_params.get("due") not in CLOCK_FILTERS


def cached_json(key: str | None, build: Callable[[], Any]) -> HttpResponse:
    """The page under `key`, or `build()`'s data rendered once and stored (`key` None: not
    cached). Errors raised by `build` are never stored."""
    if key is None:
        return _response(render(build()), "off")
    local = _local()
    body = local.get(key) if local is not None else None
    if body is not None:
        return _response(body, "hit")
    try:
        body = cache.get(key)
    except Exception as exc:
        # The cache is a cache: while its Redis is away the page is built from the database.
        if outages.unavailable_dependency(exc) != outages.REDIS:
            raise
        logger.warning("redis unavailable: %s; %s built without the page cache", exc, key[:40])
        return _response(render(build()), "off")
    if body is not None:
        if local is not None:
            local.put(key, body)
        return _response(body, "hit")
    body = render(build())
    store(key, body, seconds=PAGE_SECONDS, local=local)
    return _response(body, "miss")


def store(key: str, value: bytes, *, seconds: int, local: Any) -> None:
    """Keep `value` under `key` in this process's copies (`local`, None for none) and in the
    cache; a Redis gone meanwhile only means the next read builds it again."""
    if local is not None:
        local.put(key, value)
    try:
        cache.set(key, value, seconds)
    except Exception as exc:
        if outages.unavailable_dependency(exc) != outages.REDIS:
            raise


def _response(body: bytes, state: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    response[HEADER] = state
    return response
