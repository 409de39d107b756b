"""The consumer runner over both backends: idempotent handling, commits after the handler's
transaction, redelivery after a crash, resuming, retries and the dead-letter topic."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from testproject.sample.models import Note

from cotask_common.events.bus import BusConsumer, BusMessage, EventBus
from cotask_common.events.consumer import (
    DLQ_ATTEMPTS,
    DLQ_ERROR,
    DLQ_GROUP,
    DLQ_ORIGINAL_OFFSET,
    DLQ_ORIGINAL_TOPIC,
    ConsumeStats,
    HandlerRegistry,
    consume,
    event_handler,
    handle_event,
)
from cotask_common.events.envelope import Event
from cotask_common.events.models import ProcessedEvent
from cotask_common.events.outbox import publish_event
from cotask_common.events.testing import make_event, published_events
from events.support import drain, send, unique_name

pytestmark = pytest.mark.django_db(transaction=True)


class Crash(BaseException):
    """The process dies: nothing in the runner may catch this."""


class _CrashOnCommit(BusConsumer):
    def __init__(self, inner: BusConsumer) -> None:
        self.inner = inner

    def poll(self, timeout: float) -> BusMessage | None:
        return self.inner.poll(timeout)

    def commit(self, message: BusMessage) -> None:
        raise Crash("killed after the handler committed, before the offset commit")

    def close(self) -> None:
        self.inner.close()


class CrashBeforeOffsetCommit(EventBus):
    """Wraps a bus; its consumers die when they try to commit an offset."""

    def __init__(self, inner: EventBus) -> None:
        self.inner = inner
        self.name = inner.name

    def publish(self, messages: Sequence[BusMessage]) -> None:
        self.inner.publish(messages)

    def consumer(self, *, group: str, topics: Sequence[str]) -> BusConsumer:
        return _CrashOnCommit(self.inner.consumer(group=group, topics=topics))

    def ensure_topics(self, topics: Sequence[str]) -> None:
        self.inner.ensure_topics(topics)

    def ping(self) -> None:
        self.inner.ping()

    def close(self) -> None:
        pass


@pytest.fixture
def event_type(aggregate: str) -> str:
    return f"kit.{aggregate}.created"


@pytest.fixture
def recorded(handlers: HandlerRegistry, event_type: str) -> list[Event]:
    """Registers a handler for `event_type` that records each call and writes a Note (so the
    handler's transaction is real); events with data {"fail": n} raise on their first n calls."""
    calls: list[Event] = []

    @event_handler(event_type)
    def on_created(event: Event) -> None:
        calls.append(event)
        Note.objects.create(title=str(event.id))
        failures = event.data.get("fail", 0)
        if failures == "always" or sum(c.id == event.id for c in calls) <= failures:
            raise ValueError(f"boom for {event.data.get('n')}")

    return calls


def new_event(event_type: str, n: int, *, key: str = "k", **data: object) -> Event:
    return make_event(type=event_type, key=key, data={"n": n, **data})


def run(
    bus: EventBus,
    group: str,
    stop: Callable[[float], threading.Event],
    count: int,
    **kwargs: Any,
) -> ConsumeStats:
    return consume(bus=bus, group=group, max_messages=count, stop_event=stop(45.0), **kwargs)


def test_round_trip_through_a_handler(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    event = new_event(event_type, 1)
    send(bus, event)
    stats = run(bus, group, deadline_stop, 1)
    assert stats.handled == 1
    assert recorded == [event]
    assert ProcessedEvent.objects.filter(event_id=event.id, type=event_type).exists()
    assert Note.objects.filter(title=str(event.id)).exists()
    # The offset was committed: the group's next consumer starts after it.
    later = new_event(event_type, 2)
    send(bus, later)
    stats = run(bus, group, deadline_stop, 1)
    assert (stats.handled, stats.duplicates) == (1, 0)
    assert recorded == [event, later]


def test_crash_between_handler_commit_and_offset_commit_is_not_handled_twice(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    event = new_event(event_type, 1)
    send(bus, event)
    with pytest.raises(Crash):
        run(CrashBeforeOffsetCommit(bus), group, deadline_stop, 1)
    # The handler's transaction committed before the crash...
    assert recorded == [event]
    assert ProcessedEvent.objects.filter(event_id=event.id).exists()
    # ...the message comes back to the restarted consumer, which recognizes it.
    stats = run(bus, group, deadline_stop, 1)
    assert (stats.handled, stats.duplicates) == (0, 1)
    assert recorded == [event]
    assert Note.objects.count() == 1


class _CountCommits(BusConsumer):
    def __init__(self, inner: BusConsumer, calls: list[str]) -> None:
        self.inner = inner
        self.calls = calls

    def poll(self, timeout: float) -> BusMessage | None:
        return self.inner.poll(timeout)

    def commit(self, message: BusMessage) -> None:
        self.calls.append("commit")
        self.inner.commit(message)

    def store(self, message: BusMessage) -> None:
        self.inner.store(message)

    def commit_stored(self) -> None:
        self.calls.append("commit_stored")
        self.inner.commit_stored()

    def close(self) -> None:
        self.inner.close()


class CountCommits(CrashBeforeOffsetCommit):
    """Wraps a bus; records every offset commit request its consumers make."""

    def __init__(self, inner: EventBus) -> None:
        super().__init__(inner)
        self.calls: list[str] = []

    def consumer(self, *, group: str, topics: Sequence[str]) -> BusConsumer:
        return _CountCommits(self.inner.consumer(group=group, topics=topics), self.calls)


def test_offsets_are_committed_in_batches_not_per_message(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    send(bus, *[new_event(event_type, n, key=f"k{n % 3}") for n in range(40)])
    counting = CountCommits(bus)
    stats = run(counting, group, deadline_stop, 40, commit_every=15, commit_interval=60)
    assert stats.handled == 40
    # Every 15 messages, then the rest on stopping (an idle poll may add one more).
    assert "commit" not in counting.calls
    assert 3 <= counting.calls.count("commit_stored") <= 5
    # All 40 really were committed: the group's next consumer starts after them.
    later = new_event(event_type, 40)
    send(bus, later)
    stats = run(bus, group, deadline_stop, 1)
    assert (stats.handled, stats.duplicates) == (1, 0)
    assert recorded[-1] == later


def test_a_crash_before_a_batched_commit_redelivers_only_duplicates(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    """What makes deferring commits safe: every handled-but-uncommitted event comes back and is
    recognised by its ProcessedEvent row; no handler runs twice and nothing is lost."""
    events = [new_event(event_type, n, key=f"k{n % 2}") for n in range(6)]
    send(bus, *events)
    with pytest.raises(Crash):
        run(CrashBeforeOffsetCommit(bus), group, deadline_stop, 6, commit_interval=60)
    handled_before_crash = len(recorded)
    assert handled_before_crash >= 1
    stats = run(bus, group, deadline_stop, 6)
    assert stats.duplicates == handled_before_crash
    assert stats.handled == 6 - handled_before_crash
    assert sorted(e.data["n"] for e in recorded) == list(range(6))  # each handled once
    assert Note.objects.count() == 6


def test_a_restarted_consumer_resumes_where_it_committed(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    first = [new_event(event_type, n, key=f"k{n % 2}") for n in range(6)]
    send(bus, *first)
    stats = run(bus, group, deadline_stop, 3)
    assert stats.handled == 3
    second = [new_event(event_type, n, key=f"k{n % 2}") for n in range(6, 10)]
    send(bus, *second)
    stats = run(bus, group, deadline_stop, 7)
    # Nothing redelivered (no duplicates at all), nothing lost, per-key order kept.
    assert (stats.handled, stats.duplicates, stats.dead_lettered) == (7, 0, 0)
    assert sorted(e.data["n"] for e in recorded) == list(range(10))
    for key in ("k0", "k1"):
        ns = [e.data["n"] for e in recorded if e.key == key]
        assert ns == sorted(ns)
    assert ProcessedEvent.objects.count() == 10


def test_handle_event_is_idempotent(event_type: str, recorded: list[Event]) -> None:
    event = new_event(event_type, 1)
    assert handle_event(event) is True
    assert handle_event(event) is False
    assert recorded == [event]


@pytest.mark.django_db  # an ordinary (non-transactional) test, as services write them
def test_handle_event_in_a_services_test_and_handlers_may_publish(
    handlers: HandlerRegistry, aggregate: str
) -> None:
    @event_handler(f"auth.{aggregate}.registered")
    def greet(event: Event) -> None:
        # A handler's own events are written in the handler's transaction.
        publish_event(type=f"kit.{aggregate}.greeted", key=event.key, data={})

    incoming = make_event(type=f"auth.{aggregate}.registered", key="u1", data={})
    assert handle_event(incoming) is True
    assert handle_event(incoming) is False
    [greeted] = published_events(type_prefix=f"kit.{aggregate}.")
    assert (greeted.key, greeted.producer) == ("u1", "kit")


def test_a_failing_handler_is_retried_then_succeeds(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    event = new_event(event_type, 1, fail=2)
    send(bus, event)
    stats = run(bus, group, deadline_stop, 1, max_attempts=3, retry_backoff=0.01)
    assert (stats.handled, stats.dead_lettered) == (1, 0)
    assert len(recorded) == 3
    # The two failed attempts rolled back their writes.
    assert Note.objects.count() == 1


def test_a_poison_message_goes_to_the_dlq_and_the_consumer_moves_on(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    good, poison = new_event(event_type, 1), new_event(event_type, 2, fail="always")
    # The poison message is the last one, so no later commit can cover for a missing one.
    send(bus, good, poison)
    stats = run(bus, group, deadline_stop, 2, max_attempts=3, retry_backoff=0.01)
    assert (stats.handled, stats.dead_lettered) == (1, 1)
    assert [e.data["n"] for e in recorded] == [1, 2, 2, 2]
    assert not ProcessedEvent.objects.filter(event_id=poison.id).exists()
    assert not Note.objects.filter(title=str(poison.id)).exists()

    topic = poison.topic
    with bus.consumer(group=unique_name("inspect"), topics=[f"{topic}.dlq"]) as dlq:
        [dead] = drain(dlq, count=1)
    assert Event.from_json(dead.value) == poison
    assert dead.key == poison.key
    assert dead.headers[DLQ_ERROR] == "ValueError: boom for 2"
    assert dead.headers[DLQ_ORIGINAL_TOPIC] == topic
    assert dead.headers[DLQ_ATTEMPTS] == "3"
    assert dead.headers[DLQ_GROUP] == group
    assert dead.headers[DLQ_ORIGINAL_OFFSET].isdigit()
    assert dead.headers["event-id"] == str(poison.id)  # the original headers are kept

    # Its offset was committed: the group goes on with the next message, not the poison again.
    after = new_event(event_type, 3)
    send(bus, after)
    stats = run(bus, group, deadline_stop, 1)
    assert (stats.handled, stats.duplicates, stats.dead_lettered) == (1, 0, 0)
    assert recorded[-1] == after


def test_an_unparseable_message_is_dead_lettered_at_once(
    bus: EventBus, group: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    topic = event_type.rsplit(".", 1)[0]
    good = new_event(event_type, 1)
    send(bus, good)
    bus.publish([BusMessage(topic=topic, key="junk", value=b"{not json")])
    stats = run(bus, group, deadline_stop, 2)
    assert (stats.handled, stats.dead_lettered) == (1, 1)
    assert recorded == [good]
    with bus.consumer(group=unique_name("inspect"), topics=[f"{topic}.dlq"]) as dlq:
        [dead] = drain(dlq, count=1)
    assert dead.value == b"{not json"
    assert dead.headers[DLQ_ERROR].startswith(
        "EventValidationError: invalid event: payload is not JSON"
    )
    assert dead.headers[DLQ_ATTEMPTS] == "0"
    assert dead.headers[DLQ_ORIGINAL_TOPIC] == topic

    after = new_event(event_type, 2)
    send(bus, after)
    stats = run(bus, group, deadline_stop, 1)
    assert (stats.handled, stats.dead_lettered) == (1, 0)
    assert recorded == [good, after]


def test_events_without_a_handler_are_skipped_and_committed(
    bus: EventBus, group: str, aggregate: str, event_type: str, recorded: list[Event], deadline_stop
) -> None:
    handled = new_event(event_type, 1)
    other = make_event(type=f"kit.{aggregate}.archived", key="k", data={})
    send(bus, handled, other)
    stats = run(bus, group, deadline_stop, 2)
    assert (stats.handled, stats.skipped) == (1, 1)
    assert recorded == [handled]
    assert not ProcessedEvent.objects.filter(event_id=other.id).exists()
    after = new_event(event_type, 2)
    send(bus, after)
    stats = run(bus, group, deadline_stop, 1)
    assert (stats.handled, stats.skipped) == (1, 0)


def test_consume_stops_when_asked(bus: EventBus, group: str, recorded: list[Event]) -> None:
    stop = threading.Event()
    stop.set()
    stats = consume(bus=bus, group=group, stop_event=stop)
    assert stats.total == 0
