"""Reads of reminder settings: the public selectors the calendar feed uses too."""

from __future__ import annotations

from datetime import time
from typing import Any

from tasks.reminders.models import (
    DEFAULT_ALL_DAY_TIME,
    DEFAULT_OFFSETS_MINUTES,
    ReminderSettings,
    TaskReminderOverride,
)


def offsets_for(*, task_id: Any, user_id: Any) -> list[int]:
    """Minutes before the task's deadline the person is reminded, largest first: the task's
    override when it has one, else the person's defaults."""
    override = (
        TaskReminderOverride.objects.filter(task_id=task_id)
        .values_list("offsets_minutes", flat=True)
        .first()
    )
    if override is not None:
        return sorted(override, reverse=True)
    return default_offsets_for(user_id=user_id)


def default_offsets_for(*, user_id: Any) -> list[int]:
    """The person's own default offsets (largest first)."""
    mine = (
        ReminderSettings.objects.filter(user_id=user_id)
        .values_list("offsets_minutes", flat=True)
        .first()
    )
    return sorted(mine if mine is not None else DEFAULT_OFFSETS_MINUTES, reverse=True)


def all_day_time_for(*, user_id: Any) -> time:
    """The local time (in the person's zone) reminders of all-day deadlines come."""
    found = (
        ReminderSettings.objects.filter(user_id=user_id)
        .values_list("all_day_time", flat=True)
        .first()
    )
    return found if found is not None else DEFAULT_ALL_DAY_TIME
