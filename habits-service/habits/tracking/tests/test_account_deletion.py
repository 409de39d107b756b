"""`auth.user.deleted`: the person's habits go with their check-ins, pauses and reminders, each
announced with `habits.habit.deleted`; other people's habits stay; a redelivered event changes
nothing."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from habits.tracking.models import Checkin, Habit, Pause, Reminder
from habits.tracking.tests.conftest import Cast, today

pytestmark = pytest.mark.django_db


def _delete(user: Any) -> bool:
    return handle_event(make_event(type="auth.user.deleted", key=str(user.id), data={}))


def test_a_deleted_accounts_habits_go(make_habit: Any, cast: Cast, published_events: Any) -> None:
    mine = [make_habit(name=n)["id"] for n in ("Read", "Run")]
    theirs = make_habit(client=cast.clients["stranger"])["id"]
    cast.owner.put(f"/api/habits/habits/{mine[0]}/checkins/", {}, format="json")
    Pause.objects.create(habit_id=mine[0], start_date=today(), end_date=today())
    Reminder.objects.create(habit_id=mine[1], local_time=time(7, 30))
    assert _delete(cast.users["owner"])
    assert list(Habit.objects.values_list("id", flat=True)) == [Habit.objects.get().id]
    assert str(Habit.objects.get().id) == theirs
    assert not Checkin.objects.exists()
    assert not Pause.objects.exists()
    assert not Reminder.objects.exists()
    deleted = published_events("habits.habit.deleted")
    assert sorted(e.data["habit_id"] for e in deleted) == sorted(mine)
    assert {e.data["owner_id"] for e in deleted} == {str(cast.users["owner"].id)}
    # Delivered again: already handled, nothing more.
    again = make_event(type="auth.user.deleted", key=str(cast.users["owner"].id), data={})
    handle_event(again)
    handle_event(again)
    assert len(published_events("habits.habit.deleted")) == 2
    assert Habit.objects.count() == 1
