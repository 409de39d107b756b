"""Deadline reminders: each person's defaults, a task's override of the offsets, and one row
per reminder (and per overdue notice) that the beat pass sends once."""

from __future__ import annotations

from datetime import time

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from tasks.planning.models import Task

# A person who never chose: a day and an hour before, all-day deadlines at 09:00 local.
DEFAULT_OFFSETS_MINUTES = (1440, 60)
DEFAULT_ALL_DAY_TIME = time(9, 0)
MAX_OFFSET_MINUTES = 43_200  # 30 days
MAX_OFFSETS = 5


def _default_offsets() -> list[int]:
    return list(DEFAULT_OFFSETS_MINUTES)


class ReminderSettings(models.Model):
    """A person's defaults (no row: `DEFAULT_OFFSETS_MINUTES` and `DEFAULT_ALL_DAY_TIME`)."""

    user = models.OneToOneField(
        UserRef, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # Minutes before a deadline, distinct, largest first; [] = no reminders.
    offsets_minutes = models.JSONField(default=_default_offsets)
    # The local time (in the person's `UserRef.time_zone`) reminders of all-day deadlines come.
    all_day_time = models.TimeField(default=DEFAULT_ALL_DAY_TIME)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reminder settings"

    def __str__(self) -> str:
        return f"reminder settings of {self.user_id}"


class TaskReminderOverride(models.Model):
    """A task's own offsets, for everyone it reminds (no row: each person's defaults)."""

    task = models.OneToOneField(
        Task, primary_key=True, on_delete=models.CASCADE, related_name="reminder_override"
    )
    offsets_minutes = models.JSONField()
    updated_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminder offsets of {self.task_id}"


class Kind(models.TextChoices):
    REMINDER = "reminder", "reminder"
    OVERDUE = "overdue", "overdue"


class Reminder(models.Model):
    """One notice for one person about one task's deadline: a reminder `minutes_before` it, or
    (kind `overdue`, minutes_before 0) the notice that it passed. `remind_at` is the instant
    it is due (UTC); `sent_at` null = pending. `due_sort` is the task's deadline it was
    computed for: a new deadline makes a sent row pending again."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REMINDER)
    minutes_before = models.PositiveIntegerField(default=0)
    due_sort = models.DateTimeField()
    remind_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set by a snooze: `remind_at` was moved by the person, a recomputation keeps it.
    snoozed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "user", "kind", "minutes_before"], name="reminder_unique"
            )
        ]
        indexes = [
            # The pass: pending rows in due order, nothing else (sent rows stay out of it).
            models.Index(
                fields=["remind_at"],
                name="reminder_pending_idx",
                condition=models.Q(sent_at__isnull=True),
            ),
            # "My upcoming reminders": one person's pending rows in order (the cursor's key).
            models.Index(
                fields=["user", "remind_at", "id"],
                name="reminder_user_pending_idx",
                condition=models.Q(sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.minutes_before} of {self.task_id} for {self.user_id}"
