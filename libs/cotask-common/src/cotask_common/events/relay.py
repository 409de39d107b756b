"""The outbox relay: publishes committed outbox rows to the bus, oldest first.

One relay at a time per service: on PostgreSQL each pass holds a session advisory lock (keyed
by service and schema), so a second relay process simply skips the pass. Row locks with
SKIP LOCKED were rejected on purpose: two relays would then publish *different* batches
concurrently and a later event of a key could overtake an earlier one. On SQLite (one machine,
one relay per service by construction) no lock is needed; even two relays would only duplicate
messages, never reorder the first copies, because each always starts from the oldest
unpublished row. Duplicates are harmless: consumers are idempotent by event id.

A batch is marked published only after the bus acknowledged all of it (at-least-once). When the
bus is unreachable the rows stay, each with `attempts` and `last_error`, and `run_relay` backs
off exponentially.

Waking up: the relay runs in its own process (`run_events`), not in the web workers that commit
the events. On PostgreSQL `publish_event` also sends a NOTIFY on `wakeup_channel()` (delivered
at commit), and `run_relay` keeps a LISTEN connection in a thread that wakes the relay at once;
if that connection drops, it reconnects (waking the relay once, for what it may have missed)
and the `poll_interval` polling covers the gap. Elsewhere (SQLite) the relay polls, and an
in-process commit wakes it through `relay_wakeup`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import F
from django.utils import timezone

from cotask_common.events.bus.base import BusError, BusMessage, EventBus
from cotask_common.events.models import OutboxEvent
from cotask_common.events.outbox import relay_wakeup, wakeup_channel
from cotask_common.events.runtime import ConnectionCheck
from cotask_common.statements import Columns, Statement

logger = logging.getLogger("cotask.events")

MAX_ERROR_LENGTH = 2000
# Relays in one process (threads, tests) take turns too.
_process_lock = threading.Lock()


def relay_once(*, bus: EventBus, batch_size: int = 100, using: str = DEFAULT_DB_ALIAS) -> int:
    """Publish up to `batch_size` unpublished events in creation order; return how many.

    Returns 0 when another relay holds the lock. Raises `BusError` (after recording the attempt
    on the rows) when the bus did not accept the batch.
    """
    with _process_lock, _relay_lock(using) as acquired:
        if not acquired:
            return 0
        rows = pending_events(batch_size, using)
        if not rows:
            return 0
        ids = [row.id for row in rows]
        try:
            bus.ensure_topics(sorted({row.topic for row in rows}))
            bus.publish([outbox_message(row) for row in rows])
        except BusError as exc:
            OutboxEvent.objects.using(using).filter(pk__in=ids).update(
                attempts=F("attempts") + 1,
                last_error=f"{timezone.now().isoformat()} {type(exc).__name__}: {exc}"[
                    :MAX_ERROR_LENGTH
                ],
            )
            logger.warning(
                "outbox relay could not publish",
                extra={
                    "bus": bus.name,
                    "batch": len(rows),
                    "oldest_event_id": str(rows[0].id),
                    "oldest_attempts": rows[0].attempts + 1,
                    "error": str(exc),
                },
            )
            raise
        mark_published(ids, using)
        logger.info(
            "outbox relay published",
            extra={
                "bus": bus.name,
                "count": len(rows),
                "first_event_id": str(rows[0].id),
                "last_event_id": str(rows[-1].id),
            },
        )
        return len(rows)


# The two statements of every pass, prepared: the ORM would compile them on each pass, which
# cost more CPU than the database did (a relay passes once per commit at 100 events/s; see
# bench/hot_sql.py). Each has its ORM twin, which the kit's parity tests hold it to.


def pending_events(limit: int, using: str = DEFAULT_DB_ALIAS) -> list[OutboxEvent]:
    """The oldest `limit` unpublished outbox rows, in creation order."""
    return _pending_statement(using).fetch(OutboxEvent, limit)


def pending_events_orm(limit: int, using: str = DEFAULT_DB_ALIAS) -> list[OutboxEvent]:
    rows = OutboxEvent.objects.using(using).filter(published_at__isnull=True)
    return list(rows.order_by("created_at", "id")[:limit])


def mark_published(ids: list[Any], using: str = DEFAULT_DB_ALIAS) -> int:
    """Mark these rows published (unless they already are): how many were marked."""
    return _published_statement(len(ids), using).execute(timezone.now(), *ids)


def mark_published_orm(ids: list[Any], using: str = DEFAULT_DB_ALIAS) -> int:
    rows = OutboxEvent.objects.using(using).filter(published_at__isnull=True, id__in=ids)
    return rows.update(published_at=timezone.now(), attempts=F("attempts") + 1, last_error="")


@functools.cache
def _pending_statement(using: str) -> Statement:
    o = Columns(OutboxEvent, using=using)
    return Statement(
        f"SELECT {o.all()} FROM {o.table} WHERE {o('published_at')} IS NULL"  # noqa: S608 - names only
        f" ORDER BY {o('created_at')}, {o('id')} LIMIT %s",
        [None],
        using=using,
    )


@functools.cache
def _published_statement(count: int, using: str) -> Statement:
    o = Columns(OutboxEvent, using=using)
    return Statement(
        f"UPDATE {o.table} SET {o('published_at')} = %s,"  # noqa: S608 - names only
        f" {o('attempts')} = {o('attempts')} + 1,"
        f" {o('last_error')} = '' WHERE {o('published_at')} IS NULL"
        f" AND {o('id')} IN ({', '.join(['%s'] * count)})",
        [o.field("published_at"), *[o.field("id")] * count],
        using=using,
    )


def outbox_message(row: OutboxEvent) -> BusMessage:
    payload = row.payload
    return BusMessage(
        topic=row.topic,
        key=row.key,
        value=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        # Headers let tools route and inspect without parsing the body.
        headers={
            "content-type": "application/json",
            "event-id": str(row.id),
            "event-type": row.type,
            "event-version": str(payload.get("version", "")),
            "producer": str(payload.get("producer", "")),
        },
    )


def run_relay(
    *,
    bus: EventBus,
    stop_event: threading.Event,
    poll_interval: float = 0.5,
    batch_size: int = 100,
    max_backoff: float = 30.0,
    listen: bool = True,
) -> None:
    """Relay until `stop_event` is set: immediately while there is a backlog, on a commit's
    notification (PostgreSQL LISTEN/NOTIFY, or an in-process commit) or every `poll_interval`
    seconds when idle, with exponential backoff up to `max_backoff` while the bus or the
    database fails."""
    logger.info("outbox relay started", extra={"bus": bus.name, "poll_interval": poll_interval})
    listener = None
    if listen and connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        listener = threading.Thread(
            target=listen_for_commits,
            kwargs={"stop_event": stop_event},
            name="cotask-relay-listener",
            daemon=True,
        )
        listener.start()
    try:
        _relay_loop(
            bus=bus,
            stop_event=stop_event,
            poll_interval=poll_interval,
            batch_size=batch_size,
            max_backoff=max_backoff,
        )
    finally:
        if listener is not None:
            listener.join(timeout=5)
    logger.info("outbox relay stopped", extra={"bus": bus.name})


def _relay_loop(
    *,
    bus: EventBus,
    stop_event: threading.Event,
    poll_interval: float,
    batch_size: int,
    max_backoff: float,
) -> None:
    backoff = poll_interval
    check_connections = ConnectionCheck()
    while not stop_event.is_set():
        # CONN_MAX_AGE and health checks as around a request, but not once per event.
        check_connections(force=backoff != poll_interval)
        try:
            sent = relay_once(bus=bus, batch_size=batch_size)
        except BusError:
            _pause(stop_event, backoff, wakeable=False)
            backoff = min(backoff * 2, max_backoff)
            continue
        except DatabaseError:
            logger.exception("outbox relay database error")
            connections[DEFAULT_DB_ALIAS].close()
            _pause(stop_event, backoff, wakeable=False)
            backoff = min(backoff * 2, max_backoff)
            continue
        backoff = poll_interval
        if sent < batch_size:
            _pause(stop_event, poll_interval, wakeable=True)


def listen_for_commits(
    *, stop_event: threading.Event, using: str = DEFAULT_DB_ALIAS, max_backoff: float = 30.0
) -> None:
    """Until `stop_event`: LISTEN on this service's wakeup channel on a connection of its own
    and set `relay_wakeup` for every notification. Reconnects with backoff; never raises."""
    channel = wakeup_channel(using)
    backoff = 0.5
    while not stop_event.is_set():
        wrapper = connections.create_connection(using)
        try:
            wrapper.ensure_connection()
            raw = wrapper.connection
            raw.autocommit = True
            raw.execute(f'LISTEN "{channel}"')
            logger.debug("outbox relay listening", extra={"channel": channel})
            backoff = 0.5
            relay_wakeup.set()  # whatever committed while nobody was listening
            while not stop_event.is_set():
                for _notification in raw.notifies(timeout=0.5):
                    relay_wakeup.set()
        except Exception as exc:  # the database is down or the connection broke
            logger.warning(
                "outbox relay listener lost its connection; polling meanwhile",
                extra={"error": str(exc), "retry_in": backoff},
            )
            stop_event.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
        finally:
            try:
                wrapper.close()
            except Exception:
                logger.debug("closing the relay listener connection failed", exc_info=True)


def cleanup_published(*, older_than_days: int = 7, using: str = DEFAULT_DB_ALIAS) -> int:
    """Delete outbox rows published more than `older_than_days` ago; return how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = (
        OutboxEvent.objects.using(using)
        .filter(published_at__isnull=False, published_at__lt=cutoff)
        .delete()
    )
    if deleted:
        logger.info(
            "outbox cleaned", extra={"deleted": deleted, "older_than_days": older_than_days}
        )
    return deleted


def _pause(stop_event: threading.Event, seconds: float, *, wakeable: bool) -> None:
    deadline = time.monotonic() + seconds
    while not stop_event.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        if wakeable:
            if relay_wakeup.wait(min(remaining, 0.1)):
                relay_wakeup.clear()
                return
        else:
            stop_event.wait(min(remaining, 0.1))


def relay_lock_key(using: str = DEFAULT_DB_ALIAS) -> int:
    """The PostgreSQL advisory lock key of this service's relay. Advisory locks are
    database-wide and every service shares the database, so the key names service and schema."""
    schema = connections[using].settings_dict.get("COTASK_SCHEMA", "")
    name = f"cotask-outbox-relay:{settings.COTASK_SERVICE}:{schema}"
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


@contextmanager
def _relay_lock(using: str) -> Iterator[bool]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield True
        return
    key = relay_lock_key(using)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    if not acquired:
        logger.debug("outbox relay lock held elsewhere; skipping this pass")
        yield False
        return
    try:
        yield True
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        except DatabaseError:
            # A broken connection: closing it releases the session lock anyway.
            logger.warning("could not release the outbox relay lock; closing the connection")
            connection.close()


def forget_published_mentions(*, value: str, using: str = DEFAULT_DB_ALIAS) -> int:
    """Delete published outbox rows whose envelope mentions `value` (a deleted account's id):
    what the bus has carried is not kept here for the retention period after the person asked
    to be forgotten. Unpublished rows stay (they still have to travel). A scan of the published
    rows, so it runs in a Celery task (`cotask_common.forget_user_events`), never in a request."""
    if not value:
        return 0
    deleted, _ = (
        OutboxEvent.objects.using(using)
        .filter(published_at__isnull=False, payload__icontains=value)
        .delete()
    )
    return deleted
