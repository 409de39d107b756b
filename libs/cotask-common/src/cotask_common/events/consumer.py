"""Consuming events: the handler registry, the idempotent dispatch, and the consumer runner.

A handler is a plain function `handler(event) -> None`, registered with `@event_handler(...)` in
an app's `events.py` (or `handlers.py`), which `autodiscover_handlers()` imports.

For each message the runner decides exactly one of (each logged on `cotask.events`):
- `handled`: handlers ran and a ProcessedEvent row was written in one transaction; then the
  offset is stored. A crash before the stored offset is committed redelivers the message, and
  then:
- `duplicate`: the ProcessedEvent row already exists; nothing runs; the offset is stored.
- `no_handler`: nobody here handles the type; the offset is stored.
- `retry`: a handler raised; its transaction rolled back; tried again after a short backoff.
- `dead_letter`: unparseable, or still failing after COTASK_EVENT_MAX_ATTEMPTS; copied to
  `<topic>.dlq` with the error in its headers, then the offset is committed at once (with the
  stored ones) so the consumer moves on and the copy is not made twice.

Stored offsets are committed together: after `commit_every` messages, once the oldest stored
one is `commit_interval` seconds old, whenever the bus has nothing to read, and on stopping. A
synchronous Kafka commit is a broker round trip (~7 ms median, ~25 ms p99 on the 2-core build
machine), more than handling a notification takes: per message, it was an event's largest
cost. Deferring it is safe because handling is idempotent: a redelivered event finds its
ProcessedEvent row and runs nothing (see `handle_event`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from cotask_common.events.bus.base import BusConsumer, BusError, BusMessage, EventBus
from cotask_common.events.envelope import (
    Event,
    EventValidationError,
    topic_for,
    validate_event_type,
)
from cotask_common.events.models import ProcessedEvent
from cotask_common.events.runtime import ConnectionCheck
from cotask_common.inserts import insert_if_absent

logger = logging.getLogger("cotask.events")

Handler = Callable[[Event], None]
H = TypeVar("H", bound=Handler)

DLQ_SUFFIX = ".dlq"
# Headers added to a dead-lettered message (the original headers are kept; docs/events.md).
DLQ_ERROR = "error"
DLQ_ERROR_TYPE = "error_type"
DLQ_ORIGINAL_TOPIC = "original_topic"
DLQ_ORIGINAL_PARTITION = "original_partition"
DLQ_ORIGINAL_OFFSET = "original_offset"
DLQ_ATTEMPTS = "attempts"
DLQ_GROUP = "consumer_group"
DLQ_FAILED_AT = "failed_at"
MAX_ERROR_LENGTH = 2000
MAX_RETRY_DELAY = 5.0
MAX_OUTAGE_DELAY = 30.0
COMMIT_EVERY = 100
COMMIT_INTERVAL = 1.0


# -- registry --------------------------------------------------------------------------------


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def register(self, types: Iterable[str], handler: Handler) -> None:
        for event_type in types:
            handlers = self._handlers.setdefault(validate_event_type(event_type), [])
            if handler not in handlers:
                handlers.append(handler)

    def handlers_for(self, event_type: str) -> list[Handler]:
        return list(self._handlers.get(event_type, ()))

    def types(self) -> list[str]:
        return sorted(self._handlers)

    def topics(self) -> list[str]:
        return sorted({topic_for(event_type) for event_type in self._handlers})

    def snapshot(self) -> dict[str, list[Handler]]:
        return {event_type: list(handlers) for event_type, handlers in self._handlers.items()}

    def restore(self, snapshot: dict[str, list[Handler]]) -> None:
        self._handlers = {event_type: list(handlers) for event_type, handlers in snapshot.items()}


registry = HandlerRegistry()
_discovered = False


def event_handler(*types: str) -> Callable[[H], H]:
    """Register the decorated function for one or more event types, e.g.
    `@event_handler("auth.user.registered", "auth.user.updated")`. Several handlers of one type
    run in registration order, in one transaction."""
    if not types:
        raise ValueError("event_handler needs at least one event type")
    for event_type in types:
        validate_event_type(event_type)

    def decorator(handler: H) -> H:
        registry.register(types, handler)
        return handler

    return decorator


def autodiscover_handlers() -> None:
    """Import `events` and `handlers` modules of every installed app (once per process)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("events", "handlers")
        _discovered = True


@contextmanager
def isolated_handlers() -> Iterator[HandlerRegistry]:
    """An empty registry for the duration (tests); the previous one is restored afterwards."""
    global _discovered
    saved, saved_discovered = registry.snapshot(), _discovered
    registry.restore({})
    _discovered = True  # keep autodiscovery from filling the isolated registry
    try:
        yield registry
    finally:
        registry.restore(saved)
        _discovered = saved_discovered


# -- idempotent dispatch ---------------------------------------------------------------------


def handle_event(event: Event, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Run the handlers of `event` once per event id; True if they ran now, False if the event
    was already processed (or nobody here handles its type).

    Handlers and the ProcessedEvent row commit together in one (outermost) transaction, so a
    redelivered event is skipped and a failed handler leaves no trace. The ProcessedEvent row is
    inserted first: a concurrent consumer of the same event waits on it and then skips.
    """
    autodiscover_handlers()
    handlers = registry.handlers_for(event.type)
    if not handlers:
        return False
    # durable: the offset is stored after this returns, so this must be a real commit.
    with transaction.atomic(using=using, durable=True):
        if not _claim(event, using=using):
            return False
        for handler in handlers:
            handler(event)
    return True


def _claim(event: Event, *, using: str) -> bool:
    """Insert the event's ProcessedEvent row; False if it exists (no savepoint: see
    `insert_if_absent`)."""
    claimed = insert_if_absent(
        ProcessedEvent,
        values={"event_id": event.id, "type": event.type, "handled_at": timezone.now()},
        conflict=["event_id"],
        using=using,
    )
    return claimed is not None


def cleanup_processed(*, older_than_days: int = 30, using: str = DEFAULT_DB_ALIAS) -> int:
    """Forget processed events older than `older_than_days` (far beyond any redelivery)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = ProcessedEvent.objects.using(using).filter(handled_at__lt=cutoff).delete()
    return deleted


# -- the runner ------------------------------------------------------------------------------


@dataclass
class ConsumeStats:
    handled: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: int = 0

    @property
    def total(self) -> int:
        return self.handled + self.duplicates + self.skipped + self.dead_lettered


def dlq_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def consume(
    *,
    bus: EventBus,
    group: str | None = None,
    topics: Sequence[str] | None = None,
    stop_event: threading.Event | None = None,
    max_messages: int | None = None,
    max_attempts: int | None = None,
    retry_backoff: float = 0.2,
    poll_timeout: float = 0.5,
    commit_every: int = COMMIT_EVERY,
    commit_interval: float = COMMIT_INTERVAL,
) -> ConsumeStats:
    """Consume until `stop_event` is set (or `max_messages` were dealt with).

    `group` defaults to the service name, `topics` to the topics of every registered type.
    Offsets of finished messages are committed together (module docstring): after
    `commit_every` messages, `commit_interval` seconds, when idle and on stopping;
    `commit_every=1` commits each one. Bus failures close the consumer and open a new one after
    a backoff; it resumes after the last committed offset, so nothing polled-but-uncommitted is
    skipped (and what was handled but not committed is recognised as a duplicate).
    """
    autodiscover_handlers()
    group = group or settings.COTASK_SERVICE
    topics = sorted(set(topics if topics is not None else registry.topics()))
    stop_event = stop_event or threading.Event()
    max_attempts = max(1, max_attempts or settings.COTASK_EVENT_MAX_ATTEMPTS)
    stats = ConsumeStats()
    if not topics:
        logger.warning("no event handlers registered; nothing to consume", extra={"group": group})
        return stats

    consumer: BusConsumer | None = None
    offsets = _Offsets(every=max(1, commit_every), interval=commit_interval)
    check_connections = ConnectionCheck()
    backoff = 0.5
    try:
        while not stop_event.is_set() and (max_messages is None or stats.total < max_messages):
            try:
                if consumer is None:
                    bus.ensure_topics([*topics, *(dlq_topic(topic) for topic in topics)])
                    consumer = bus.consumer(group=group, topics=topics)
                    logger.info(
                        "event consumer started",
                        extra={"bus": bus.name, "group": group, "topics": topics},
                    )
                message = consumer.poll(poll_timeout)
                if message is None:
                    offsets.commit(consumer)  # idle: nothing is waiting for this round trip
                    continue
                finished = _process(
                    message,
                    bus=bus,
                    consumer=consumer,
                    offsets=offsets,
                    check_connections=check_connections,
                    group=group,
                    stats=stats,
                    max_attempts=max_attempts,
                    retry_backoff=retry_backoff,
                    stop_event=stop_event,
                )
                if not finished:
                    break  # stopping mid-retry: left uncommitted, so it is redelivered
                if offsets.due():
                    offsets.commit(consumer)
                backoff = 0.5
            except BusError as exc:
                logger.warning(
                    "event bus error; reconnecting the consumer",
                    extra={"bus": bus.name, "group": group, "error": str(exc), "retry_in": backoff},
                )
                if consumer is not None:
                    consumer.close()
                    consumer = None
                # What was stored is redelivered to the next consumer and skipped as duplicates.
                offsets.forget()
                stop_event.wait(backoff)
                backoff = min(backoff * 2, MAX_OUTAGE_DELAY)
    finally:
        if consumer is not None:
            try:
                offsets.commit(consumer)
            except BusError as exc:
                logger.warning(
                    "could not commit the last offsets on stopping; they will be redelivered",
                    extra={"bus": bus.name, "group": group, "error": str(exc)},
                )
            finally:
                consumer.close()
    logger.info("event consumer stopped", extra={"group": group, **vars(stats)})
    return stats


class _Offsets:
    """Offsets of finished messages, stored on the consumer until committed together."""

    def __init__(self, *, every: int, interval: float) -> None:
        self.every = every
        self.interval = interval
        self.count = 0
        self.oldest: float | None = None

    def done(self, consumer: BusConsumer, message: BusMessage) -> None:
        consumer.store(message)
        self.count += 1
        if self.oldest is None:
            self.oldest = time.monotonic()

    def due(self) -> bool:
        return self.count >= self.every or (
            self.oldest is not None and time.monotonic() - self.oldest >= self.interval
        )

    def commit(self, consumer: BusConsumer) -> None:
        if self.count:
            self.forget()  # a failed commit is not retried: those messages come back instead
            consumer.commit_stored()

    def forget(self) -> None:
        self.count = 0
        self.oldest = None


def _process(
    message: BusMessage,
    *,
    bus: EventBus,
    consumer: BusConsumer,
    offsets: _Offsets,
    check_connections: ConnectionCheck,
    group: str,
    stats: ConsumeStats,
    max_attempts: int,
    retry_backoff: float,
    stop_event: threading.Event,
) -> bool:
    """Deal with one message; False when a stop request interrupted it (nothing committed)."""
    where: dict[str, Any] = {
        "group": group,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    }
    try:
        event = Event.from_json(message.value)
    except EventValidationError as exc:
        _dead_letter(bus=bus, message=message, group=group, error=exc, attempts=0)
        offsets.done(consumer, message)
        offsets.commit(consumer)
        stats.dead_lettered += 1
        logger.error(
            "unparseable event dead-lettered",
            extra={**where, "decision": "dead_letter", "error": str(exc)},
        )
        return True
    where.update(event_id=str(event.id), event_type=event.type)
    if not registry.handlers_for(event.type):
        offsets.done(consumer, message)
        stats.skipped += 1
        logger.info("event has no handler here; skipped", extra={**where, "decision": "no_handler"})
        return True

    attempt = 0
    outage_delay = 1.0
    while True:
        attempt += 1
        check_connections(force=attempt > 1)  # after a failure, always
        try:
            handled = handle_event(event)
        except Exception as exc:
            if _database_unreachable(exc):
                # An outage is not the event's fault: wait for the database, keep the attempts.
                logger.error(
                    "database unreachable; waiting before handling again",
                    extra={
                        **where,
                        "decision": "wait",
                        "error": str(exc),
                        "retry_in": outage_delay,
                    },
                )
                attempt -= 1
                if stop_event.wait(outage_delay):
                    return False
                outage_delay = min(outage_delay * 2, MAX_OUTAGE_DELAY)
                continue
            if attempt >= max_attempts:
                logger.exception(
                    "event handler failed for the last time; dead-lettering",
                    extra={**where, "decision": "dead_letter", "attempt": attempt},
                )
                _dead_letter(bus=bus, message=message, group=group, error=exc, attempts=attempt)
                offsets.done(consumer, message)
                offsets.commit(consumer)
                stats.dead_lettered += 1
                return True
            delay = min(retry_backoff * 2 ** (attempt - 1), MAX_RETRY_DELAY)
            logger.warning(
                "event handler failed; retrying",
                extra={
                    **where,
                    "decision": "retry",
                    "attempt": attempt,
                    "error": f"{type(exc).__name__}: {exc}",
                    "retry_in": delay,
                },
            )
            if stop_event.wait(delay):
                return False
            continue
        # Only now, after the handler's transaction committed, is the offset stored.
        offsets.done(consumer, message)
        if handled:
            stats.handled += 1
            logger.info("event handled", extra={**where, "decision": "handled", "attempt": attempt})
        else:
            stats.duplicates += 1
            logger.info(
                "event already processed; skipped", extra={**where, "decision": "duplicate"}
            )
        return True


def _dead_letter(
    *, bus: EventBus, message: BusMessage, group: str, error: BaseException, attempts: int
) -> None:
    headers = {
        **message.headers,
        DLQ_ERROR: f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH],
        DLQ_ERROR_TYPE: type(error).__name__,
        DLQ_ORIGINAL_TOPIC: message.topic,
        DLQ_ORIGINAL_PARTITION: str(message.partition),
        DLQ_ORIGINAL_OFFSET: str(message.offset),
        DLQ_ATTEMPTS: str(attempts),
        DLQ_GROUP: group,
        DLQ_FAILED_AT: datetime.now(UTC).isoformat(),
    }
    # If this fails (bus down) the BusError propagates and the offset stays uncommitted.
    bus.publish(
        [
            BusMessage(
                topic=dlq_topic(message.topic),
                key=message.key,
                value=message.value,
                headers=headers,
            )
        ]
    )


def _database_unreachable(exc: Exception) -> bool:
    """True when `exc` came from a database that cannot be reached at all (versus a handler bug
    that merely raised a database error)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        return False  # inside a test's transaction: do not disturb it
    try:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return True
    return False
