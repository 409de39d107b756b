"""The kit's hand-written statements, each against its ORM twin on the same data: the same
result and the same rows afterwards (every service runs them: the event claim, the outbox row,
the relay's pass, the single-statement upserts). On the suite's database: PostgreSQL in CI,
SQLite with `DATABASE_URL=`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from testproject.sample.models import Tally

from cotask_common.events.models import OutboxEvent
from cotask_common.events.outbox import wakeup_channel, write_outbox_row, write_outbox_row_orm
from cotask_common.events.relay import (
    mark_published,
    mark_published_orm,
    pending_events,
    pending_events_orm,
)
from cotask_common.inserts import (
    add_to_counts,
    add_to_counts_orm,
    insert_if_absent,
    insert_if_absent_orm,
)
from cotask_common.testing.parity import same

pytestmark = pytest.mark.django_db(transaction=True)


def tallies() -> list[tuple[Any, ...]]:
    return list(Tally.objects.order_by("name", "day").values_list("name", "day", "hits", "misses"))


def test_insert_if_absent_is_get_or_create_without_the_savepoint() -> None:
    day = date(2026, 12, 3)
    Tally.objects.create(name="taken", day=day, hits=4)

    def run(insert: Callable[..., Any]) -> Callable[[], list[bool]]:
        def calls() -> list[bool]:
            new = insert(
                Tally, values={"name": "new", "day": day, "hits": 1}, conflict=["name", "day"]
            )
            # The new key's row is the returned one.
            assert Tally.objects.get(name="new").pk == new
            again = insert(
                Tally, values={"name": "new", "day": day, "hits": 9}, conflict=["name", "day"]
            )
            taken = insert(Tally, values={"name": "taken", "day": day}, conflict=["name", "day"])
            return [new is not None, again is None, taken is None]

        return calls

    result, rows = same(run(insert_if_absent), run(insert_if_absent_orm), tallies)
    assert result == [True, True, True]
    assert rows == [("new", day, 1, 0), ("taken", day, 4, 0)]


def test_add_to_counts_is_update_else_create() -> None:
    day = date(2026, 12, 3)
    Tally.objects.create(name="a", day=day, hits=1)

    def run(add: Callable[..., None]) -> Callable[[], None]:
        def calls() -> None:
            add(Tally, key={"name": "a", "day": day}, counts={"hits": 2, "misses": -1})
            add(Tally, key={"name": "b", "day": day}, counts={"hits": 5})  # a new row
            add(Tally, key={"name": "b", "day": day}, counts={"misses": 3})

        return calls

    _, rows = same(run(add_to_counts), run(add_to_counts_orm), tallies)
    assert rows == [("a", day, 3, -1), ("b", day, 5, 3)]


def _outbox_rows() -> list[tuple[Any, ...]]:
    return list(
        OutboxEvent.objects.order_by("created_at", "id").values_list(
            "id", "topic", "key", "type", "payload", "created_at", "published_at", "attempts",
            "last_error",
        )
    )  # fmt: skip


def test_the_relays_pending_read_and_published_mark() -> None:
    start = timezone.now() - timedelta(minutes=5)

    def row(minute: int, **fields: Any) -> OutboxEvent:
        return OutboxEvent.objects.create(
            id=uuid.uuid4(), topic="kit.parity", key="k", type="kit.parity.done",
            payload={"n": minute}, created_at=start + timedelta(minutes=minute), **fields,
        )  # fmt: skip

    # Two rows share a creation time: the id breaks the tie in both versions.
    rows = [row(0), row(1), row(1), row(2, published_at=start, attempts=1), row(3, attempts=2)]

    def read(pending: Callable[..., list[OutboxEvent]]) -> Callable[[], list[tuple[Any, ...]]]:
        def calls() -> list[tuple[Any, ...]]:
            return [
                (e.id, e.type, e.payload, e.created_at, e.published_at, e.attempts)
                for limit in (2, 10)
                for e in pending(limit, DEFAULT_DB_ALIAS)
            ]

        return calls

    found, _ = same(read(pending_events), read(pending_events_orm), _outbox_rows)
    unpublished = sorted(
        (r for r in rows if r.published_at is None), key=lambda r: (r.created_at, r.id)
    )
    assert [f[0] for f in found] == [r.id for r in unpublished[:2] + unpublished]

    # Marking: published rows are left alone (their time and attempts); the time is the call's.
    ids = [rows[0].id, rows[3].id, rows[4].id, uuid.uuid4()]

    def marked() -> list[tuple[Any, ...]]:
        return [
            (
                r[0],
                r[6] is not None and (r[6] == start or r[6] > start + timedelta(minutes=5)),
                r[7],
                r[8],
            )
            for r in _outbox_rows()
        ]

    def mark(run: Callable[..., int]) -> Callable[[], int]:
        return lambda: run(ids, DEFAULT_DB_ALIAS)

    count, after = same(mark(mark_published), mark(mark_published_orm), marked)
    assert count == 2
    by_id = {r[0]: r[1:] for r in after}
    assert by_id[rows[0].id] == (True, 1, "") and by_id[rows[4].id] == (True, 3, "")
    assert by_id[rows[3].id] == (True, 1, "") and by_id[rows[1].id] == (False, 0, "")


def test_the_outbox_row_is_the_orms_row_and_both_wake_the_relay() -> None:
    values = {
        "id": uuid.uuid4(), "topic": "kit.parity", "key": "k", "type": "kit.parity.done",
        "payload": {"id": "x", "data": {"n": [1, "ü"]}},
        "created_at": timezone.now(),
    }  # fmt: skip
    same(
        lambda: write_outbox_row(dict(values)),
        lambda: write_outbox_row_orm(dict(values)),
        _outbox_rows,
    )
    if connection.vendor != "postgresql":
        return  # LISTEN/NOTIFY is PostgreSQL's
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    other.ensure_connection()
    other.connection.autocommit = True
    other.connection.execute(f'LISTEN "{wakeup_channel()}"')
    try:
        for write in (write_outbox_row, write_outbox_row_orm):
            with transaction.atomic():
                write({**values, "id": uuid.uuid4()})
            heard = list(other.connection.notifies(timeout=2, stop_after=1))
            assert [n.channel for n in heard] == [wakeup_channel()], write.__name__
    finally:
        other.close()
