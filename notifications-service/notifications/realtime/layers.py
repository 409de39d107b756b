"""The channel layers: Redis in production, a SQLite file in the embedded default.

The Redis channel layer, with connection settings that hold 5,000 sockets per process.

channels-redis builds each event loop's pool with redis-py's defaults, and redis-py 8 changed
two of them in ways that break it under load:
- `max_connections` became 100, for a pool that raises (`MaxConnectionsError: Too many
  connections`) instead of waiting; each connecting socket's `group_add` takes a connection, so
  a burst of handshakes failed some of them. Here the pool is a `BlockingConnectionPool`: at
  most `pool_size` connections, and a command waits up to `pool_timeout` seconds for a free one.
- `socket_timeout` became 5 s, exactly the server-side timeout of the `BZPOPMIN` the layer
  blocks in while a process's sockets wait for messages (`brpop_timeout`). When the loop is busy
  the client gives up first: `TimeoutError: Timeout reading from …`, and the socket whose
  receive was running dies with it. A longer
  timeout is not the cure either: with any `socket_timeout` redis-py sends each command inside
  `asyncio.wait_for`, which on Python 3.11 swallows a cancellation that arrives as the send
  completes; a disconnecting socket's cancelled receive then keeps looping on `BZPOPMIN`, and
  uvicorn waits for it forever on shutdown (seen with 50 sockets and a few hundred pushes). So
  there is no client-side timeout, as before redis-py 8 (the server answers every `BZPOPMIN`
  within 5 s), and TCP keepalive finds a vanished server instead.
- a pooled connection is not retried (redis-py's default for a pool's connections): after
  Redis restarted, every idle connection in the pool is dead, and the first command each one
  carried failed (a handshake answered 503, an open socket told to resume) until the pool had
  cycled through them all. Here a command that meets a broken connection reconnects and runs
  once more; with Redis really down the reconnect is refused at once, and the error stands.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool, ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = logging.getLogger("cotask.notifications")


# Each key gets its message unless it holds `capacity` already; old messages expire first.
_SEND_MANY_LUA = """
local now, expiry = tonumber(ARGV[#ARGV - 1]), tonumber(ARGV[#ARGV])
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, now - expiry)
    if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    end
end
return 0
"""


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(
        self,
        *,
        pool_size: int = 50,
        pool_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.connect_timeout = connect_timeout

    def create_pool(self, index: int) -> ConnectionPool:
        host = dict(self.hosts[index])
        if "master_name" in host:  # Sentinel: channels-redis's own pool, configured per host
            return super().create_pool(index)
        options: dict[str, Any] = {
            "max_connections": self.pool_size,
            "timeout": self.pool_timeout,
            "socket_timeout": None,  # see the module docstring
            "socket_connect_timeout": self.connect_timeout,
            # What finds a server that vanished without closing the connection (~45 s).
            "socket_keepalive": True,
            "retry": Retry(NoBackoff(), 1),  # a connection that died idle: see the docstring
        }
        options.update({k: v for k, v in host.items() if k != "address"})  # explicit wins
        if "address" in host:
            return BlockingConnectionPool.from_url(host["address"], **options)
        return BlockingConnectionPool(**options)

    async def group_send_many(self, groups: Iterable[str], message: dict[str, Any]) -> None:
        """`message` to every socket of `groups`, as one entry per receiving process (the
        layer's own batching: the entry names that process's sockets), where `group_send` per
        group costs each process one entry, and one blocking read, per group. A message to a
        500-member conversation was 500 sends of four round trips each here, and 500 reads in
        each uvicorn."""
        keys: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
            keys[self.consistent_hash(group)].append(self._group_key(group))
        horizon = int(time.time()) - self.group_expiry
        channels: set[str] = set()
        for index, group_keys in keys.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for key in group_keys:
                pipe.zremrangebyscore(key, min=0, max=horizon)
                pipe.zrange(key, 0, -1)
            replies = await pipe.execute()
            channels.update(name.decode() for names in replies[1::2] for name in names)
        if not channels:
            return
        by_connection, messages, capacities = self._map_channel_keys_to_connection(
            sorted(channels), message
        )
        for index, channel_keys in by_connection.items():
            await self.connection(index).eval(
                _SEND_MANY_LUA,
                len(channel_keys),
                *channel_keys,
                *(messages[key] for key in channel_keys),
                *(capacities[key] for key in channel_keys),
                time.time(),
                self.expiry,
            )


class SQLiteChannelLayer(InMemoryChannelLayer):
    """The embedded default's layer: group messages cross processes through one SQLite file.

    `make run` pushes from `run_events` (and Celery, and the REST views) while the sockets live
    in the ASGI process; the in-memory layer cannot bridge that, and the embedded default runs no
    server. So a send appends a row to `path` (WAL mode: writers never block readers), and every
    process that holds sockets polls the rows after the newest it has seen, every
    `poll_interval` seconds, and hands each to its own in-memory groups. Membership stays local:
    a sender needs no list of members, and a process that dies leaves nothing behind. Rows are
    deleted after `message_ttl` seconds; a socket that missed one catches up by cursor.
    """

    def __init__(
        self,
        *,
        path: str,
        poll_interval: float = 0.05,
        message_ttl: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = str(path)
        self.poll_interval = poll_interval
        self.message_ttl = message_ttl
        self._local = threading.local()
        self._pollers: dict[asyncio.AbstractEventLoop, tuple[asyncio.Task, asyncio.Future]] = {}

    # -- the file ---------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS channel_message ("
                " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " target TEXT NOT NULL, is_group INTEGER NOT NULL,"
                " payload TEXT NOT NULL, created REAL NOT NULL)"
            )
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _append(self, target: str, is_group: bool, message: dict[str, Any]) -> None:
        self._connection().execute(
            "INSERT INTO channel_message (target, is_group, payload, created) VALUES (?, ?, ?, ?)",
            (target, int(is_group), json.dumps(message), time.time()),
        )

    def _newest_id(self) -> int:
        row = self._connection().execute("SELECT MAX(id) FROM channel_message").fetchone()
        return int(row[0] or 0)

    def _after(self, last: int) -> list[tuple[int, str, int, str]]:
        return (
            self._connection()
            .execute(
                "SELECT id, target, is_group, payload FROM channel_message"
                " WHERE id > ? ORDER BY id",
                (last,),
            )
            .fetchall()
        )

    def _forget_old(self) -> None:
        self._connection().execute(
            "DELETE FROM channel_message WHERE created < ?", (time.time() - self.message_ttl,)
        )

    # -- sending (any process) --------------------------------------------------------------

    def group_send_now(self, group: str, message: dict[str, Any]) -> None:
        """group_send for sync code (the event consumer, Celery, views): one INSERT, no loop."""
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._append(group, True, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        await asyncio.to_thread(self._append, group, True, message)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        # A process-specific channel (`…!…`, from new_channel: every socket's) is this
        # process's own; a general channel name may be listened to anywhere.
        if "!" in channel or channel in self.channels:
            await super().send(channel, message)
        else:
            self.require_valid_channel_name(channel)
            await asyncio.to_thread(self._append, channel, False, message)

    # -- receiving (the processes that hold sockets) ----------------------------------------

    async def _ensure_poller(self) -> None:
        """One poller per event loop; returns once it knows where the file ends, so anything
        sent after the caller's group_add reaches the group."""
        loop = asyncio.get_running_loop()
        current = self._pollers.get(loop)
        if current is None or current[0].done():
            ready = loop.create_future()
            current = (loop.create_task(self._poll(ready)), ready)
            self._pollers[loop] = current
        await asyncio.shield(current[1])

    async def _poll(self, ready: asyncio.Future) -> None:
        last = None
        forgotten = time.monotonic()
        while True:
            try:
                if last is None:
                    last = await asyncio.to_thread(self._newest_id)
                    ready.set_result(None)
                for row_id, target, is_group, payload in await asyncio.to_thread(self._after, last):
                    last = row_id
                    message = json.loads(payload)
                    if is_group:
                        await InMemoryChannelLayer.group_send(self, target, message)
                    elif target in self.channels:
                        await InMemoryChannelLayer.send(self, target, message)
                if time.monotonic() - forgotten > self.message_ttl / 2:
                    forgotten = time.monotonic()
                    await asyncio.to_thread(self._forget_old)
            except asyncio.CancelledError:
                raise
            except Exception:  # the file is locked or gone for a moment: try again
                logger.warning("channel layer poll failed", exc_info=True)
                if not ready.done():  # do not hold connecting sockets hostage meanwhile
                    ready.set_result(None)
            await asyncio.sleep(self.poll_interval)

    async def group_add(self, group: str, channel: str) -> None:
        await self._ensure_poller()
        await super().group_add(group, channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        await self._ensure_poller()
        return await super().receive(channel)

    async def flush(self) -> None:
        await super().flush()
        await asyncio.to_thread(lambda: self._connection().execute("DELETE FROM channel_message"))

    async def close(self) -> None:
        for task, _ready in self._pollers.values():
            task.cancel()
        self._pollers.clear()
