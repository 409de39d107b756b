"""Habits, their pauses, check-ins and reminders.

The streak, freeze and strength figures on `Habit` are a cache of `habits.engine` evaluated over
the habit's raw check-ins and pauses; a recount from those rows always gives the same numbers.
"""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef


class HabitKind(models.TextChoices):
    YES_NO = "yes_no", "yes / no"
    MEASURABLE = "measurable", "measurable"


class TargetDirection(models.TextChoices):
    AT_LEAST = "at_least", "at least"
    AT_MOST = "at_most", "at most"


class ScheduleKind(models.TextChoices):
    DAILY = "daily", "every day"
    WEEKDAYS = "weekdays", "chosen weekdays"
    TIMES_PER_WEEK = "times_per_week", "N times per week"
    EVERY_N_DAYS = "every_n_days", "every N days"
    TIMES_PER_DAY = "times_per_day", "N times a day"


class Habit(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="habits")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    color = models.CharField(max_length=7, default="#4caf50")  # "#rrggbb"
    icon = models.CharField(max_length=32, blank=True, default="")
    kind = models.CharField(max_length=16, choices=HabitKind.choices, default=HabitKind.YES_NO)
    # Measurable habits only: done on a day when the value meets the target.
    target_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    target_direction = models.CharField(
        max_length=8, choices=TargetDirection.choices, default=TargetDirection.AT_LEAST
    )
    unit = models.CharField(max_length=24, blank=True, default="")
    schedule_kind = models.CharField(
        max_length=16, choices=ScheduleKind.choices, default=ScheduleKind.DAILY
    )
    # Bit d set = weekday d is scheduled (Monday = bit 0); only for `weekdays`.
    weekday_mask = models.PositiveSmallIntegerField(default=0)
    # Per week for `times_per_week` (1-7), per day for `times_per_day`, else 1.
    times = models.PositiveSmallIntegerField(default=1)
    # For `every_n_days`, counted from `start_date`; else 1.
    interval_days = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    archived_at = models.DateTimeField(null=True, blank=True)
    position = models.IntegerField(default=0)  # the owner's manual order, ascending

    # Cached figures (see the module docstring), evaluated through `evaluated_through`.
    current_streak = models.PositiveIntegerField(default=0)
    best_streak = models.PositiveIntegerField(default=0)
    freezes_held = models.PositiveSmallIntegerField(default=0)
    strength = models.FloatField(default=0.0)  # 0..1
    # The first day of the current streak and the highest milestone published for it, so a
    # milestone is published once per streak.
    streak_started_on = models.DateField(null=True, blank=True)
    milestone_published = models.PositiveSmallIntegerField(default=0)
    evaluated_through = models.DateField(null=True, blank=True)
    # The engine's walk state (`habits.engine.WalkState.to_json`) through a day before any a
    # check-in may still change: a check-in or an undo walks on from it instead of from the
    # start. Every full recount (`services.refresh_figures`) stores it afresh; None = recount.
    engine_state = models.JSONField(null=True, blank=True, editable=False)
    # When the beat task next closes the owner's day for this habit (the next local midnight,
    # in UTC): publishes freeze used / streak broken for periods that ended unmet.
    next_evaluation_at = models.DateTimeField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "archived_at", "position"])]

    def __str__(self) -> str:
        return self.name


class Pause(models.Model):
    """A vacation: no day in [start_date, end_date] is scheduled, so none breaks a streak."""

    habit = models.ForeignKey(Habit, on_delete=models.CASCADE, related_name="pauses")
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="pause_end_not_before_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.habit_id} {self.start_date}..{self.end_date}"


class Checkin(models.Model):
    """One row per habit and day (the owner's calendar day); checking in again updates it."""

    habit = models.ForeignKey(Habit, on_delete=models.CASCADE, related_name="checkins")
    day = models.DateField()
    # 1 for yes/no, the count for N times a day, the measured amount for measurable habits.
    value = models.DecimalField(max_digits=12, decimal_places=3, default=1)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["habit", "day"], name="checkin_one_per_habit_day")
        ]

    def __str__(self) -> str:
        return f"{self.habit_id} {self.day}"


class Reminder(models.Model):
    """A local time of day at which the owner is reminded on scheduled days not checked in."""

    # No index of its own: the unique (habit, local_time) index serves lookups by habit, and
    # every index is written again for each of the reminder pass's advances.
    habit = models.ForeignKey(
        Habit, on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    local_time = models.TimeField()
    # The next firing as an instant (the local time in the owner's zone on the next scheduled
    # day); the beat task selects `next_fire_at <= now` through the index.
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_fired_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["habit", "local_time"], name="reminder_one_per_habit_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.habit_id} {self.local_time}"
