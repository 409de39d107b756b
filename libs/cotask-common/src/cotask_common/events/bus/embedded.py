"""The embedded event bus: an append-only log in one SQLite file shared by every service on the
machine (the default when no Kafka is configured).

- `messages`: one global autoincrement `seq` (the offset; never reused, even after pruning), so
  order per topic and per key is simply publish order.
- `group_offsets`: the last committed `seq` per (group, topic); a consumer starts after it.
- `group_leases`: like a single-partition Kafka topic, only one consumer of a group reads a topic
  at a time; the lease expires when its holder stops renewing it (a crashed process).
WAL mode lets readers run beside the writer; the busy timeout makes several processes queue for
the write lock instead of failing.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from cotask_common.events.bus.base import BusConsumer, BusMessage, BusUnavailable, EventBus

logger = logging.getLogger("cotask.events")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT,
    value BLOB NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_topic_seq ON messages (topic, seq);
CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    seq INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (grp, topic)
);
CREATE TABLE IF NOT EXISTS group_leases (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (grp, topic)
);
"""

FETCH_BATCH = 200


def open_log(path: Path, *, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating if needed) the log; any failure means the bus is unavailable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode (isolation_level=None): transactions are explicit BEGIN IMMEDIATE.
        conn = sqlite3.connect(
            str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an accepted publish survives a power loss, not only a process crash.
        conn.execute("PRAGMA synchronous = FULL")
        conn.executescript(SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise BusUnavailable(f"the embedded event log {path} is unavailable: {exc}") from exc
    return conn


class EmbeddedBus(EventBus):
    name = "embedded"

    def __init__(
        self,
        *,
        path: str | Path,
        busy_timeout: float = 5.0,
        lease_seconds: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.lease_seconds = lease_seconds
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._known_topics: set[str] = set()

    def __repr__(self) -> str:
        return f"EmbeddedBus(path={str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        # Opened lazily so a bus pointing at an unusable path fails on use, not on creation.
        if self._conn is None:
            self._conn = open_log(self.path, busy_timeout=self.busy_timeout)
        return self._conn

    def publish(self, messages: Sequence[BusMessage]) -> None:
        if not messages:
            return
        now = time.time()
        rows = [
            (m.topic, m.key, m.value, json.dumps(m.headers, ensure_ascii=False), now)
            for m in messages
        ]
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(
                        "INSERT INTO messages (topic, key, value, headers, created_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise BusUnavailable(
                    f"the embedded event log {self.path} did not accept "
                    f"{len(messages)} message(s): {exc}"
                ) from exc

    def consumer(self, *, group: str, topics: Sequence[str]) -> EmbeddedConsumer:
        return EmbeddedConsumer(bus=self, group=group, topics=topics)

    def ensure_topics(self, topics: Sequence[str]) -> None:
        # Topics need no creation here; they are recorded so the log can be inspected.
        missing = sorted(set(topics) - self._known_topics)
        if not missing:
            return
        with self._lock:
            try:
                self._connection().executemany(
                    "INSERT OR IGNORE INTO topics (name, created_at) VALUES (?, ?)",
                    [(topic, time.time()) for topic in missing],
                )
            except sqlite3.Error as exc:
                raise BusUnavailable(f"the embedded event log {self.path}: {exc}") from exc
        self._known_topics.update(missing)

    def ping(self) -> None:
        # A connection of its own, so a publish waiting on the write lock cannot slow readyz.
        conn = open_log(self.path, busy_timeout=1.5)
        try:
            conn.execute("SELECT 1 FROM messages LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise BusUnavailable(f"the embedded event log {self.path}: {exc}") from exc
        finally:
            conn.close()

    def prune(self, *, older_than: timedelta) -> int:
        """Delete messages older than `older_than` (the log's retention, like Kafka's)."""
        cutoff = time.time() - older_than.total_seconds()
        with self._lock:
            try:
                cursor = self._connection().execute(
                    "DELETE FROM messages WHERE created_at < ?", (cutoff,)
                )
            except sqlite3.Error as exc:
                raise BusUnavailable(f"the embedded event log {self.path}: {exc}") from exc
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class EmbeddedConsumer(BusConsumer):
    def __init__(self, *, bus: EmbeddedBus, group: str, topics: Sequence[str]) -> None:
        if not topics:
            raise ValueError("a consumer needs at least one topic")
        self._bus = bus
        self._group = group
        self._topics = sorted(set(topics))
        self._owner = uuid.uuid4().hex
        self._conn = open_log(bus.path, busy_timeout=bus.busy_timeout)
        # Next position per owned topic: the last seq handed out (not yet necessarily committed).
        self._positions: dict[str, int] = {}
        self._buffer: deque[BusMessage] = deque()
        self._next_lease_check = 0.0
        self._closed = False

    def poll(self, timeout: float) -> BusMessage | None:
        deadline = time.monotonic() + max(timeout, 0.0)
        delay = 0.01
        while True:
            try:
                self._refresh_leases()
                if not self._buffer:
                    self._fetch()
            except sqlite3.Error as exc:
                raise BusUnavailable(f"the embedded event log {self._bus.path}: {exc}") from exc
            if self._buffer:
                return self._buffer.popleft()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.1)

    def commit(self, message: BusMessage) -> None:
        if message.offset is None:
            raise ValueError("only a consumed message (with an offset) can be committed")
        self._commit_offsets([message])

    def commit_stored(self) -> None:
        self._commit_offsets(self._take_stored())

    def _commit_offsets(self, messages: list[BusMessage]) -> None:
        if not messages:
            return
        now = time.time()
        try:
            # One transaction: one fsync however many topics (synchronous=FULL).
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO group_offsets (grp, topic, seq, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (grp, topic) DO UPDATE"
                    " SET seq = max(group_offsets.seq, excluded.seq),"
                    " updated_at = excluded.updated_at",
                    [(self._group, m.topic, m.offset, now) for m in messages],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise BusUnavailable(f"the embedded event log {self._bus.path}: {exc}") from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            # Hand the topics over at once instead of making the next consumer wait for expiry.
            self._conn.execute(
                "DELETE FROM group_leases WHERE grp = ? AND owner = ?", (self._group, self._owner)
            )
        except sqlite3.Error:
            logger.warning("could not release embedded bus leases", extra={"group": self._group})
        finally:
            self._conn.close()

    def _refresh_leases(self) -> None:
        now = time.time()
        if now < self._next_lease_check:
            return
        self._next_lease_check = now + self._bus.lease_seconds / 3
        owned: set[str] = set()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for topic in self._topics:
                cursor = self._conn.execute(
                    "INSERT INTO group_leases (grp, topic, owner, expires_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (grp, topic) DO UPDATE"
                    " SET owner = excluded.owner, expires_at = excluded.expires_at"
                    " WHERE group_leases.owner = excluded.owner OR group_leases.expires_at < ?",
                    (self._group, topic, self._owner, now + self._bus.lease_seconds, now),
                )
                if cursor.rowcount == 1:
                    owned.add(topic)
            committed = dict(
                self._conn.execute(
                    "SELECT topic, seq FROM group_offsets WHERE grp = ?", (self._group,)
                ).fetchall()
            )
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        for topic in owned - self._positions.keys():
            # Newly assigned: resume after what the group committed (like a Kafka rebalance).
            self._positions[topic] = committed.get(topic, 0)
            logger.info(
                "embedded bus topic assigned",
                extra={"group": self._group, "topic": topic, "position": self._positions[topic]},
            )
        for topic in self._positions.keys() - owned:
            del self._positions[topic]
            self._buffer = deque(m for m in self._buffer if m.topic != topic)
            logger.warning(
                "embedded bus topic revoked (lease lost)",
                extra={"group": self._group, "topic": topic},
            )

    def _fetch(self) -> None:
        rows: list[tuple[int, str, str | None, bytes, str]] = []
        for topic, position in self._positions.items():
            rows.extend(
                self._conn.execute(
                    "SELECT seq, topic, key, value, headers FROM messages"
                    " WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (topic, position, FETCH_BATCH),
                ).fetchall()
            )
        rows.sort(key=lambda row: row[0])
        for seq, topic, key, value, headers in rows:
            self._positions[topic] = max(self._positions[topic], seq)
            self._buffer.append(
                BusMessage(
                    topic=topic,
                    key=key,
                    value=bytes(value),
                    headers=json.loads(headers),
                    partition=0,
                    offset=seq,
                )
            )
