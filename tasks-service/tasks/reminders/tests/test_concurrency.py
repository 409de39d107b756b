"""Exactly once under concurrency and crashes, on the real PostgreSQL: two passes at the same
moment each claim other rows (SKIP LOCKED); a pass killed while it holds its rows, or failing
before its commit, sends nothing and leaves them for the next pass."""

from __future__ import annotations

import threading
import time as clock_time
from collections import Counter
from datetime import datetime

import pytest
from django.db import close_old_connections, connection, connections

from cotask_common.events.models import OutboxEvent
from tasks.reminders import sending
from tasks.reminders.models import Reminder
from tasks.reminders.tests.conftest import due_events, utc

DUE = utc(2026, 6, 3, 12)


def _outbox_table() -> str:
    return connection.ops.quote_name(OutboxEvent._meta.db_table)


def _blocked_pass_pids() -> list[int]:
    """Sessions waiting for a lock; each must wait for the outbox table (a pass waiting for
    another's reminder rows would wait on a tuple or a transaction instead)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid, wait_event FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        found = cursor.fetchall()
    assert all(event == "relation" for _pid, event in found), found
    return [pid for pid, _event in found]


def _wait(condition, timeout: float = 15.0) -> None:
    deadline = clock_time.monotonic() + timeout
    while not condition():
        assert clock_time.monotonic() < deadline, "timed out"
        clock_time.sleep(0.05)


class PassThread(threading.Thread):
    def __init__(self, now: datetime, batch_size: int) -> None:
        super().__init__(daemon=True)
        self.now, self.batch_size = now, batch_size
        self.result: sending.PassResult | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = sending.send_due_reminders(now=self.now, batch_size=self.batch_size)
        except Exception as exc:  # the crash under test
            self.error = exc
        finally:
            close_old_connections()
            connections.close_all()


def _reminded_tasks() -> Counter:
    return Counter(e.data["task_id"] for e in due_events("tasks.reminder.due"))


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_and_a_killed_one_send_each_reminder_once(clock, team, new_task):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    tasks = [
        new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 4, 12), assignee_ids=[team.member.id])
        for _ in range(40)
    ]
    # The day-before reminders (40) are due at DUE.
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    first, second = PassThread(DUE, batch_size=15), PassThread(DUE, batch_size=15)
    try:
        # Holding the outbox makes each pass wait right before it publishes, holding the rows
        # it claimed: the moment two passes overlap.
        with blocker.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_outbox_table()} IN SHARE MODE")
        first.start()
        _wait(lambda: len(_blocked_pass_pids()) == 1)
        [first_pid] = _blocked_pass_pids()
        second.start()
        _wait(lambda: len(_blocked_pass_pids()) == 2)
        # The first worker dies (its session is killed) while it holds its 15 rows.
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first_pid])
        first.join(15)
        assert first.error is not None and first.result is None
    finally:
        blocker.rollback()
        blocker.close()
    second.join(30)
    assert second.error is None, second.error
    assert second.result is not None
    # The second pass skipped the killed one's rows while they were held, and took them (or
    # the third does) once they were released: each sent by exactly one pass.
    third = sending.send_due_reminders(now=DUE)
    assert second.result.sent + third.sent == 40
    assert _reminded_tasks() == Counter({str(t.id): 1 for t in tasks})
    assert not Reminder.objects.filter(sent_at__isnull=True, remind_at__lte=DUE).exists()


@pytest.mark.django_db(transaction=True)
def test_two_passes_racing_freely_send_each_once(clock, team, new_task):
    for _ in range(60):
        new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 4, 12), assignee_ids=[team.member.id])
    passes = [PassThread(DUE, batch_size=7) for _ in range(2)]
    for one in passes:
        one.start()
    for one in passes:
        one.join(60)
        assert one.error is None, one.error
    assert sum(one.result.sent for one in passes) == 60
    assert set(_reminded_tasks().values()) == {1} and len(_reminded_tasks()) == 60


@pytest.mark.django_db
def test_a_pass_failing_before_its_commit_loses_nothing(clock, team, new_task, monkeypatch):
    for _ in range(5):
        new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 4, 12), assignee_ids=[team.member.id])

    def crash(ids, *, now):
        raise RuntimeError("worker died before the commit")

    monkeypatch.setattr(sending, "_mark_sent", crash)
    with pytest.raises(RuntimeError):
        sending.send_due_reminders(now=DUE)
    assert due_events("tasks.reminder.due") == []  # the events rolled back with the batch
    assert Reminder.objects.filter(sent_at__isnull=True, remind_at__lte=DUE).count() == 5
    monkeypatch.undo()
    assert sending.send_due_reminders(now=DUE).sent == 5
    assert sending.send_due_reminders(now=DUE).sent == 0
    assert len(due_events("tasks.reminder.due")) == 5
