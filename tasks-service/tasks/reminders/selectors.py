"""Reads of reminder settings: the public selectors the calendar feed uses too."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from tasks.reminders.models import (
    DEFAULT_ALL_DAY_TIME,
    DEFAULT_OFFSETS_MINUTES,
    Kind,
    Reminder,
    ReminderSettings,
    TaskReminderOverride,
)
from tasks.rooms.models import Membership


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


def upcoming_for(*, user_id: Any, task_id: Any = None) -> QuerySet[Reminder]:
    """The person's reminders still to come (pending, of tasks in rooms they are a member of),
    with their task and room: one query per page."""
    member = Membership.objects.filter(room_id=OuterRef("task__room_id"), user_id=user_id)
    rows = (
        Reminder.objects.filter(user_id=user_id, kind=Kind.REMINDER, sent_at__isnull=True)
        .filter(Exists(member))
        .select_related("task", "task__room")
    )
    if task_id is not None:
        rows = rows.filter(task_id=task_id)
    return rows


def task_override(*, task_id: Any) -> list[int] | None:
    found = (
        TaskReminderOverride.objects.filter(task_id=task_id)
        .values_list("offsets_minutes", flat=True)
        .first()
    )
    return sorted(found, reverse=True) if found is not None else None
