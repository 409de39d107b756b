"""The public selectors the calendar feed reads: a task's override, else the person's
defaults, else the built-in ones."""

from __future__ import annotations

from datetime import time

import pytest

from tasks.planning.models import Task
from tasks.reminders.models import ReminderSettings, TaskReminderOverride
from tasks.reminders.selectors import all_day_time_for, offsets_for
from tasks.rooms.models import Room, RoomKind

pytestmark = pytest.mark.django_db


def test_offsets_override_then_own_defaults_then_built_in(make_user) -> None:
    mila, olga = make_user(), make_user()
    room = Room.objects.create(name="R", owner=mila, kind=RoomKind.TEAM, join_code=None)
    task = Task.objects.create(room=room, title="T", creator=mila)
    assert offsets_for(task_id=task.id, user_id=mila.id) == [1440, 60]
    assert all_day_time_for(user_id=mila.id) == time(9, 0)
    ReminderSettings.objects.create(user=mila, offsets_minutes=[10, 120], all_day_time=time(7, 30))
    assert offsets_for(task_id=task.id, user_id=mila.id) == [120, 10]
    assert all_day_time_for(user_id=mila.id) == time(7, 30)
    TaskReminderOverride.objects.create(task=task, offsets_minutes=[30])
    assert offsets_for(task_id=task.id, user_id=mila.id) == [30]
    assert offsets_for(task_id=task.id, user_id=olga.id) == [30]
