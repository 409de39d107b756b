"""Sending to a user's open sockets through the channel layer (from sync code, after commit).

A failed push is logged, never raised: the notification is already stored, and the client gets
it by cursor when it reconnects.

Sync code has no event loop, and `async_to_sync` runs each call in a new thread with a new loop;
channels-redis keeps its connection pools per loop, so every push then also opened (and closed)
a Redis connection: ~4 ms per notification in the event consumer, most of its time after the
database. Pushes from sync code therefore run on one long-lived loop per process
(`PushLoop`), which keeps the layer's pool warm. The in-memory layer (embedded default, tests
without Redis) only works inside its own loop, so it keeps `async_to_sync`; the embedded
default's SQLite layer sends with one INSERT, from any thread, without a loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from notifications.realtime.layers import RedisChannelLayer, SQLiteChannelLayer

logger = logging.getLogger("cotask.notifications")

# A push that takes longer is abandoned (logged); the client still gets it by cursor.
PUSH_TIMEOUT_SECONDS = 5.0


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


def session_group(session_id: str) -> str:
    """Every socket opened with a ticket or token of this auth session (the `sid` claim)."""
    return f"session.{session_id}"


class PushLoop:
    """An event loop in a daemon thread, started on first use and again after a fork (Celery's
    prefork children do not inherit the thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="cotask-push-loop", daemon=True
                ).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, call: Callable[[], Awaitable[Any]], *, timeout: float) -> Any:
        """Run `call()` on the loop and wait for its result (at most `timeout` seconds)."""

        async def runner() -> Any:
            return await call()

        future = asyncio.run_coroutine_threadsafe(runner(), self.loop())
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise


push_loop = PushLoop()


def _group_send(user_id: UUID | str, payload: dict[str, Any], *, group: str = "") -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    group = group or user_group(user_id)
    try:
        if isinstance(layer, SQLiteChannelLayer):
            layer.group_send_now(group, payload)
        elif isinstance(layer, InMemoryChannelLayer):
            async_to_sync(layer.group_send)(group, payload)
        else:
            push_loop.run(lambda: layer.group_send(group, payload), timeout=PUSH_TIMEOUT_SECONDS)
    except Exception:  # the layer (Redis) is down or slow: the database still has everything
        logger.warning("realtime push failed", extra={"user": str(user_id)}, exc_info=True)


def send_to_user(*, user_id: UUID | str, message: dict[str, Any]) -> None:
    _group_send(user_id, {"type": "deliver", "message": message})


def send_to_users(*, message: dict[str, Any], cursors: dict[UUID, int]) -> None:
    """`message` to each person in `cursors`, with their own `cursor`. On Redis it travels as
    one `deliver.many` layer message for all of them (each socket picks its person's cursor):
    a frame to a 500-member group is one send, and one read per uvicorn process, not 500 of
    each. Other layers: one send per person."""
    if not cursors:
        return
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        for user_id, cursor in cursors.items():
            send_to_user(user_id=user_id, message={**message, "cursor": cursor})
        return
    payload = {
        "type": "deliver.many",
        "message": message,
        "cursors": {str(user_id): cursor for user_id, cursor in cursors.items()},
    }
    groups = [user_group(user_id) for user_id in cursors]
    try:
        push_loop.run(lambda: layer.group_send_many(groups, payload), timeout=PUSH_TIMEOUT_SECONDS)
    except Exception:  # the layer (Redis) is down or slow: the database still has everything
        logger.warning("realtime push failed", extra={"users": len(cursors)}, exc_info=True)


def close_user_sockets(*, user_id: UUID | str, code: int, reason: str = "") -> None:
    _group_send(user_id, {"type": "force.close", "code": code, "reason": reason})


def close_session_sockets(*, session_id: str, code: int, reason: str = "") -> None:
    _group_send(
        session_id,
        {"type": "force.close", "code": code, "reason": reason},
        group=session_group(session_id),
    )
