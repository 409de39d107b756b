"""The outbox and its relay: events travel with the transaction, survive a dead bus and arrive in
order once it is back."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from testproject.sample.models import Note
from typing_extensions import TypedDict

from cotask_common.events.bus import BusUnavailable, EventBus
from cotask_common.events.envelope import Event, EventValidationError
from cotask_common.events.models import OutboxEvent
from cotask_common.events.outbox import OutboxError, publish_event, relay_wakeup
from cotask_common.events.relay import (
    cleanup_published,
    forget_published_mentions,
    relay_lock_key,
    relay_once,
    run_relay,
)
from cotask_common.events.testing import published_events
from events.support import drain_until, unique_name

pytestmark = pytest.mark.django_db(transaction=True)


def create_note(*, title: str, event_type: str) -> tuple[Note, Event]:
    """A service function as services write them: the change and its event, one transaction."""
    with transaction.atomic():
        note = Note.objects.create(title=title)
        event = publish_event(type=event_type, key=note.id, data={"title": title}, actor="u1")
    return note, event


def read_topic(bus: EventBus, topic: str, *, until: uuid.UUID) -> list[Event]:
    with bus.consumer(group=unique_name("reader"), topics=[topic]) as consumer:
        received = drain_until(consumer, stop=lambda m: m.headers.get("event-id") == str(until))
    return [Event.from_json(m.value) for m in received]


def test_publish_event_outside_a_transaction_is_refused(aggregate: str) -> None:
    with pytest.raises(OutboxError, match=r"inside transaction\.atomic\(\)"):
        publish_event(type=f"kit.{aggregate}.created", key="k", data={})
    assert not OutboxEvent.objects.exists()


def test_a_rolled_back_transaction_publishes_nothing(bus: EventBus, aggregate: str) -> None:
    with pytest.raises(RuntimeError, match="business rule"), transaction.atomic():
        Note.objects.create(title="never")
        publish_event(type=f"kit.{aggregate}.created", key="k", data={})
        raise RuntimeError("business rule broken")
    assert not Note.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert relay_once(bus=bus) == 0


def test_a_committed_event_is_stored_with_its_envelope_and_relayed(
    bus: EventBus, aggregate: str
) -> None:
    note, event = create_note(title="hello", event_type=f"kit.{aggregate}.created")
    row = OutboxEvent.objects.get()
    assert row.id == event.id
    assert (row.topic, row.key, row.type) == (f"kit.{aggregate}", str(note.id), event.type)
    assert Event.from_dict(row.payload) == event
    assert event.producer == "kit"  # settings.COTASK_SERVICE
    assert event.actor == "u1"
    assert row.published_at is None

    assert relay_once(bus=bus) == 1
    row.refresh_from_db()
    assert row.published_at is not None
    assert (row.attempts, row.last_error) == (1, "")
    assert relay_once(bus=bus) == 0  # nothing is sent twice
    assert read_topic(bus, event.topic, until=event.id) == [event]


def test_events_wait_in_the_outbox_while_the_bus_is_down_then_arrive_in_order(
    make_bus: Callable[..., EventBus], aggregate: str
) -> None:
    created: list[Event] = []
    for n in range(12):
        with transaction.atomic():
            created.append(
                publish_event(type=f"kit.{aggregate}.updated", key=f"k{n % 3}", data={"n": n})
            )

    dead = make_bus(reachable=False)
    for attempt in (1, 2):
        with pytest.raises(BusUnavailable):
            relay_once(bus=dead, batch_size=5)
        rows = list(OutboxEvent.objects.order_by("created_at", "id"))
        assert all(row.published_at is None for row in rows)
        # The attempted batch records the failure; the rest were not tried yet.
        assert [row.attempts for row in rows] == [attempt] * 5 + [0] * 7
        assert all(row.last_error for row in rows[:5])

    live = make_bus()  # "the broker is back": the relay gets a reachable bus
    sent = 0
    while batch := relay_once(bus=live, batch_size=5):
        sent += batch
    assert sent == 12
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert OutboxEvent.objects.filter(last_error="").count() == 12

    received = read_topic(live, f"kit.{aggregate}", until=created[-1].id)
    assert [e.id for e in received] == [e.id for e in created]


def test_publish_event_validates_the_type(aggregate: str) -> None:
    with transaction.atomic():
        with pytest.raises(EventValidationError, match="type must look like"):
            publish_event(type=f"kit.{aggregate}", key="k", data={})
        with pytest.raises(EventValidationError, match="this service's name 'kit'"):
            publish_event(type=f"social.{aggregate}.created", key="k", data={})
        with pytest.raises(EventValidationError, match="at most"):
            publish_event(type=f"kit.{aggregate}.created", key="k", data={"x": "y" * 600_000})
    assert not OutboxEvent.objects.exists()


def test_published_events_helper_filters_by_type_prefix(aggregate: str) -> None:
    _, first = create_note(title="a", event_type=f"kit.{aggregate}.created")
    _, second = create_note(title="b", event_type=f"kit.{aggregate}.renamed")
    assert published_events() == [first, second]
    assert published_events(type_prefix=f"kit.{aggregate}.renamed") == [second]
    assert published_events(type_prefix="kit.other.") == []


def test_cleanup_deletes_only_old_published_rows(bus: EventBus, aggregate: str) -> None:
    for title in ("old", "recent", "pending"):
        create_note(title=title, event_type=f"kit.{aggregate}.created")
    old, recent, pending = OutboxEvent.objects.order_by("created_at", "id")
    OutboxEvent.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=8))
    OutboxEvent.objects.filter(pk=recent.pk).update(published_at=timezone.now() - timedelta(days=1))
    assert cleanup_published(older_than_days=7) == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}


def test_a_deleted_accounts_published_events_are_forgotten_not_the_pending_ones(
    aggregate: str,
) -> None:
    person, other = str(uuid.uuid4()), str(uuid.uuid4())
    with transaction.atomic():
        mine = publish_event(type=f"kit.{aggregate}.liked", key="p1", data={"user_id": person})
        by_them = publish_event(type=f"kit.{aggregate}.liked", key="p2", data={}, actor=person)
        theirs = publish_event(type=f"kit.{aggregate}.liked", key="p3", data={"user_id": other})
        pending = publish_event(type=f"kit.{aggregate}.gone", key=person, data={"id": person})
    OutboxEvent.objects.exclude(id=pending.id).update(published_at=timezone.now())
    assert forget_published_mentions(value=person.upper()) == 2
    assert forget_published_mentions(value="") == 0
    left = set(OutboxEvent.objects.values_list("id", flat=True))
    assert left == {theirs.id, pending.id}
    assert not left & {mine.id, by_them.id}


def test_run_relay_publishes_soon_after_commit_and_stops(bus: EventBus, aggregate: str) -> None:
    relay_wakeup.clear()
    stop = threading.Event()
    relay = threading.Thread(
        target=run_relay, kwargs={"bus": bus, "stop_event": stop, "poll_interval": 5.0}
    )
    relay.start()
    try:
        bus.ensure_topics([f"kit.{aggregate}"])
        started = time.monotonic()
        _, event = create_note(title="x", event_type=f"kit.{aggregate}.created")
        while OutboxEvent.objects.filter(published_at__isnull=True).exists():
            assert time.monotonic() - started < 4.5, "not relayed before the 5 s poll interval"
            time.sleep(0.02)
        # The in-process commit nudged the relay instead of it waiting for its poll interval.
        assert read_topic(bus, event.topic, until=event.id)[-1] == event
    finally:
        stop.set()
        relay.join(timeout=10)
    assert not relay.is_alive()
    assert OutboxEvent.objects.get().published_at is not None


def test_on_postgresql_only_one_relay_runs_at_a_time(bus: EventBus, aggregate: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the relay lock is a PostgreSQL advisory lock (SQLite runs one relay)")
    create_note(title="x", event_type=f"kit.{aggregate}.created")
    # Another relay process: a separate database session holding the lock.
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [relay_lock_key()])
        assert relay_once(bus=bus) == 0
        assert OutboxEvent.objects.get().published_at is None
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [relay_lock_key()])
        assert relay_once(bus=bus) == 1
    finally:
        other.close()


def _listening_connection() -> object:
    from cotask_common.events.outbox import wakeup_channel

    other = connections.create_connection(DEFAULT_DB_ALIAS)
    other.ensure_connection()
    other.connection.autocommit = True
    other.connection.execute(f'LISTEN "{wakeup_channel()}"')
    return other


def test_on_postgresql_a_commit_notifies_the_relays_channel_and_a_rollback_does_not(
    aggregate: str,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    other = _listening_connection()
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_event(type=f"kit.{aggregate}.created", key="k", data={})
            raise RuntimeError("rolled back")
        assert list(other.connection.notifies(timeout=0.3)) == []
        create_note(title="x", event_type=f"kit.{aggregate}.created")
        create_note(title="y", event_type=f"kit.{aggregate}.created")
        heard = list(other.connection.notifies(timeout=1, stop_after=2))
        assert len(heard) == 2
    finally:
        other.close()


def test_on_postgresql_the_listener_wakes_the_relay_for_another_process_commit() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    from cotask_common.events.outbox import wakeup_channel
    from cotask_common.events.relay import listen_for_commits

    stop = threading.Event()
    relay_wakeup.clear()
    listener = threading.Thread(target=listen_for_commits, kwargs={"stop_event": stop})
    listener.start()
    # Another process's commit: a separate session, nothing set in this process.
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        assert relay_wakeup.wait(5), "the listener wakes the relay once it listens"
        relay_wakeup.clear()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [wakeup_channel()])
        assert relay_wakeup.wait(2)
    finally:
        other.close()
        stop.set()
        listener.join(timeout=5)
    assert not listener.is_alive()


class _Titled(TypedDict):
    title: str
    count: int


def test_publish_events_writes_many_in_the_transaction_or_refuses_them_all(
    bus: EventBus, aggregate: str
) -> None:
    from cotask_common.contracts.testing import declared
    from cotask_common.events.outbox import publish_events

    type = f"kit.{aggregate}.counted"
    with declared([type], payload=_Titled):
        with pytest.raises(OutboxError, match=r"inside transaction\.atomic\(\)"):
            publish_events(type=type, items=[("k", {"title": "a", "count": 1})])
        # One bad item refuses the batch, naming it.
        bad: list[tuple[str, dict[str, Any]]] = [
            ("a", {"title": "a", "count": 1}),
            ("b", {"title": "b", "count": "2"}),
        ]
        with (
            transaction.atomic(),
            pytest.raises(EventValidationError, match=r"items\[1\]\.data\.count"),
        ):
            publish_events(type=type, items=bad)
        assert not OutboxEvent.objects.filter(type=type).exists()
        # Rolled back with the transaction.
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_events(type=type, items=[("a", {"title": "a", "count": 1})])
            raise RuntimeError
        assert not OutboxEvent.objects.filter(type=type).exists()
        with transaction.atomic():
            ids = publish_events(
                type=type, items=[(f"k{n}", {"title": f"t{n}", "count": n}) for n in range(5)]
            )
        stored = published_events(type_prefix=type)
        assert [e.id for e in stored] == ids
        assert [(e.key, e.data["count"], e.producer) for e in stored] == [
            (f"k{n}", n, "kit") for n in range(5)
        ]
        relay_once(bus=bus)
        assert [e.id for e in read_topic(bus, f"kit.{aggregate}", until=ids[-1])] == ids
