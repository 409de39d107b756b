"""Analytics' own tables, kept by the consumer of tasks' events (tasks/analytics/events.py).

Nothing here points at the tasks tables (no foreign keys): reading analytics never touches
`planning_task`, and the tables can be dropped and rebuilt (`tasks_analytics_rebuild`).

- `TaskFact`: one row per live task, what the figures need of it (status history, priority,
  assignees, deadline, created/completed times).
- `DailyCount`: per room, per person in the room (or the whole room, `user_id` = ROOM) and
  per day (UTC): additive numbers. `created`/`completed`/`lt:<bucket>` count that day; `s:<status>`
  and `overdue` are changes, so their running sum up to a day is the count at that day's end.
- `CurrentCount`: per room and person (or ROOM): open tasks now by priority (`p:<priority>`)
  and by the UTC day their deadline passes (`due:<YYYY-MM-DD>`).
"""

from __future__ import annotations

import uuid

from django.db import models

# `user_id` of the rows about the whole room.
ROOM = uuid.UUID(int=0)


class TaskFact(models.Model):
    task_id = models.UUIDField(primary_key=True)
    room_id = models.UUIDField()
    creator_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=16)
    priority = models.CharField(max_length=8)
    assignee_ids = models.JSONField(default=list)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.UUIDField(null=True, blank=True)
    # The moment the task becomes overdue: `due_at`, or the start (UTC) of the day after an
    # all-day `due_date`.
    deadline = models.DateTimeField(null=True, blank=True)
    # `deadline` while the task is open (else null): "overdue now" counts today's by an index.
    open_deadline = models.DateTimeField(null=True, blank=True)
    # [[ISO moment, status], …] oldest first: the status from each moment on.
    statuses = models.JSONField(default=list)
    # Set by the rebuild: the moment it read the tasks tables. Events of the task from before
    # then are already in the row and are skipped when they arrive.
    as_of = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["room_id", "open_deadline"], name="analytics_fact_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} ({self.status})"


class DailyCount(models.Model):
    room_id = models.UUIDField()
    user_id = models.UUIDField()
    day = models.DateField()
    metric = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room_id", "user_id", "day", "metric"], name="analytics_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id", "day"], name="analytics_daily_user_idx")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.user_id} {self.day} {self.metric}={self.n}"


class CurrentCount(models.Model):
    room_id = models.UUIDField()
    user_id = models.UUIDField()
    metric = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room_id", "user_id", "metric"], name="analytics_current_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id"], name="analytics_current_user_idx")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.user_id} {self.metric}={self.n}"


class MonthlyCount(models.Model):
    """The `s:<status>` and `overdue` changes of `DailyCount` summed per month (`month`: its
    first day): the running sums before a period start from these (a row per month) and the
    days of the start's own month, however long the history."""

    room_id = models.UUIDField()
    user_id = models.UUIDField()
    month = models.DateField()
    metric = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room_id", "user_id", "month", "metric"], name="analytics_monthly_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id", "month"], name="analytics_monthly_user_idx")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.user_id} {self.month} {self.metric}={self.n}"
