"""Analytics' own tables, kept by the consumer of tasks' events (tasks/analytics/events.py).

Nothing here points at the tasks tables (no foreign keys): reading analytics never touches
`planning_task`, and the tables can be dropped and rebuilt (`tasks_analytics_rebuild`).

- `TaskFact`: one row per live task, what the figures need of it (status history, priority,
  assignees, deadline, created/completed times).
- `DayTotals`: per room, per person in the room (or the whole room, `user_id` = ROOM) and
  per day (UTC): additive numbers, one column per figure (see the model).
- `MonthTotals`: the same per month, for the columns a read sums from the beginning.
- `CurrentCount`: per room and person (or ROOM): open tasks now by priority (`p:<priority>`).
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


class DayTotals(models.Model):
    """Per room, per person in the room (or the whole room, `user_id` = ROOM) and per UTC day,
    every daily figure in one row (a read visits a row per person and day, not one per metric):
    `created`/`completed` that day; `s_<status>` and `overdue` are changes, so their running
    sum up to a day is the count at that day's end; `due` is how many open tasks' deadlines pass
    that day (a current count, kept by the day: "overdue now" sums the days before today);
    `lead_pairs` the lead times (created → completed) of that day's completions as text,
    `bucket,n,bucket,n,…` by bucket, zero amounts left out, "" for none
    (`figures.lead_pairs`): a read joins a period's days with commas and parses them as one
    JSON list of integers (`hot_sql._lead`), no JSON object per day to write or read."""

    room_id = models.UUIDField()
    user_id = models.UUIDField()
    day = models.DateField()
    created = models.BigIntegerField(default=0)
    completed = models.BigIntegerField(default=0)
    s_pending = models.BigIntegerField(default=0)
    s_in_progress = models.BigIntegerField(default=0)
    s_completed = models.BigIntegerField(default=0)
    overdue = models.BigIntegerField(default=0)
    due = models.BigIntegerField(default=0)
    lead_pairs = models.TextField(default="", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room_id", "user_id", "day"], name="analytics_day_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id", "day"], name="analytics_day_user_idx")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.user_id} {self.day}"


class CurrentCount(models.Model):
    """Per room and person (or ROOM): open tasks now by priority (`p:<priority>`)."""

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


class MonthTotals(models.Model):
    """`DayTotals`' running columns and `due` summed per month (`month`: its first day): the
    running counts before a period and "overdue now" start from these (a row per month) and
    the days of their own month, however long the history."""

    room_id = models.UUIDField()
    user_id = models.UUIDField()
    month = models.DateField()
    s_pending = models.BigIntegerField(default=0)
    s_in_progress = models.BigIntegerField(default=0)
    s_completed = models.BigIntegerField(default=0)
    overdue = models.BigIntegerField(default=0)
    due = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room_id", "user_id", "month"], name="analytics_month_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id", "month"], name="analytics_month_user_idx")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.user_id} {self.month}"


class FiguresVersion(models.Model):
    """Per room: raised by every write of its aggregates, in the writer's own transaction
    (`services.touch`). A read's cached answer is keyed by it (`answers`), so a reader that
    sees a change sees a new key: never a stale answer. Only ever raised, never reset (the
    rebuild raises every room's), so a key is never reused."""

    room_id = models.UUIDField(primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.room_id} v{self.version}"
