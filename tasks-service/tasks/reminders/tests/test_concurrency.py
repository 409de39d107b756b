"""Exactly once under concurrency and crashes, on the real PostgreSQL: two passes at the same
moment each claim other rows (SKIP LOCKED); a pass killed while it holds its rows, or failing
before its commit, sends nothing and leaves them for the next pass."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from cotask_common.testing.concurrency import InThread, overlap_then_kill_the_first
from tasks.reminders import sending
from tasks.reminders.models import Reminder
from tasks.reminders.tests.conftest import due_events, utc

DUE = utc(2026, 6, 3, 12)


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
    # The day-before reminders (40) are due at DUE. Two passes overlap, each holding the rows it
    # claimed; the first worker dies (its session is killed) while it holds its 15.
    _first, second = overlap_then_kill_the_first(
        lambda: sending.send_due_reminders(now=DUE, batch_size=15)
    )
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
    passes = [InThread(lambda: sending.send_due_reminders(now=DUE, batch_size=7)) for _ in range(2)]
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
