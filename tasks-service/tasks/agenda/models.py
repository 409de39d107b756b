"""The agenda's tables: projections of habits-service's events (tasks/agenda/events.py), each
person's planned days, and the planner's suggestions.

The projections point at nothing (no foreign keys): they are kept from events, may arrive
before the person's UserRef, and can be dropped and rebuilt by replaying the topics. Every
projection row keeps `version`, the `occurred_at` of the event it reflects: an older event
arriving late (Kafka orders a key's events, but a replay or a redelivery after a newer one
may not) changes nothing.
"""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from tasks.planning.models import Task


class HabitEntry(models.Model):
    """A habit and its schedule (`habits.habit.saved`); `deleted` is a tombstone, so a late
    `saved` does not bring a deleted habit back."""

    habit_id = models.UUIDField(primary_key=True)
    owner_id = models.UUIDField()
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)  # the schedule kind (contracts.habits.ScheduleKind)
    weekdays = models.JSONField(default=list)
    times = models.PositiveSmallIntegerField(default=1)
    interval_days = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    archived = models.BooleanField(default=False)
    # The current and future pauses, [["YYYY-MM-DD", "YYYY-MM-DD"], ...]: no day in one is
    # scheduled (`cotask_common.schedules.Pauses`).
    pauses = models.JSONField(default=list)
    deleted = models.BooleanField(default=False)
    version = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["owner_id", "name"], name="agenda_habit_owner_idx")]

    def __str__(self) -> str:
        return self.name


class CheckinEntry(models.Model):
    """A habit's state on a day (`habits.checkin.recorded` / `undone`)."""

    habit_id = models.UUIDField()
    day = models.DateField()
    owner_id = models.UUIDField()
    done = models.BooleanField(default=False)
    version = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["habit_id", "day"], name="agenda_checkin_unique")
        ]
        indexes = [models.Index(fields=["owner_id", "day"], name="agenda_checkin_owner_idx")]

    def __str__(self) -> str:
        return f"{self.habit_id} {self.day} {'done' if self.done else 'open'}"


class CardsOutlook(models.Model):
    """A person's cards due per day (`habits.cards.forecast`, the latest `made_at`) and their
    recent answer pace (`habits.cards.review_summary`: `StudyDay` rows)."""

    owner_id = models.UUIDField(primary_key=True)
    days = models.JSONField(default=dict)  # {"YYYY-MM-DD": cards}
    # Of the latest forecast taken (the epoch until one came).
    version = models.DateTimeField()
    # The average time per answer over the last study days (`StudyDay`), recomputed when a
    # summary comes: the read costs no query for it. Null: no answers yet.
    answer_ms = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"cards of {self.owner_id}"


class StudyDay(models.Model):
    """One study day's answers and time (`habits.cards.review_summary`, once per day)."""

    owner_id = models.UUIDField()
    day = models.DateField()
    reviews = models.PositiveIntegerField()
    duration_ms = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner_id", "day"], name="agenda_study_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.day}"


class PlannedDay(models.Model):
    """The day a person plans to do a task that has no deadline (their own: another assignee
    plans theirs). A task with a deadline is on its deadline's day."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "task"], name="agenda_planned_unique")
        ]
        indexes = [models.Index(fields=["user", "day"], name="agenda_planned_day_idx")]

    def __str__(self) -> str:
        return f"{self.task_id} on {self.day}"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    IGNORED = "ignored"


class Suggestion(models.Model):
    """The planner's proposal to move a planned task from a heavy day to a light one. Only
    its person sees it; nothing moves until they accept it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    from_day = models.DateField()
    to_day = models.DateField()
    minutes = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "status", "id"], name="agenda_suggestion_idx")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.from_day} -> {self.to_day} ({self.status})"
