"""The reminders of a feed's tasks, as the reminders app (tasks.reminders) defines them: each
task's offsets (its override, else the person's defaults) and the local time all-day deadlines
remind at.

`tasks.reminders.selectors.offsets_for` answers for one task (a query or two each); a feed needs
them for up to a thousand tasks, so this reads the same rows for all of them at once: the
person's settings in one query, the overrides of the feed's tasks in another. The tests check
the answers equal `offsets_for` / `all_day_time_for` task by task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from uuid import UUID

from tasks.reminders.models import (
    DEFAULT_ALL_DAY_TIME,
    DEFAULT_OFFSETS_MINUTES,
    ReminderSettings,
    TaskReminderOverride,
)


@dataclass(frozen=True)
class FeedReminders:
    offsets: dict[UUID, list[int]]  # task id → minutes before its deadline, largest first
    all_day_time: time


def reminders_for(*, task_ids: Iterable[UUID], user_id: UUID) -> FeedReminders:
    """The alarms of the person `user_id` for these tasks. Two queries, whatever their number."""
    ids = list(task_ids)
    mine = (
        ReminderSettings.objects.filter(user_id=user_id)
        .values_list("offsets_minutes", "all_day_time")
        .first()
    )
    defaults = sorted(mine[0] if mine is not None else DEFAULT_OFFSETS_MINUTES, reverse=True)
    offsets = {task_id: defaults for task_id in ids}
    if ids:
        overrides = TaskReminderOverride.objects.filter(task_id__in=ids).values_list(
            "task_id", "offsets_minutes"
        )
        for task_id, minutes in overrides:
            offsets[task_id] = sorted(minutes, reverse=True)
    return FeedReminders(
        offsets=offsets, all_day_time=mine[1] if mine is not None else DEFAULT_ALL_DAY_TIME
    )
