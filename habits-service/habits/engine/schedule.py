"""Schedules, targets and pauses: which calendar days are scheduled and when a day is done.

Pure Python (no Django): the service builds these specs from its rows and hands them to
`habits.engine.streaks` / `habits.engine.clock`. Every date is a calendar date in the owner's
time zone, so daylight saving never changes a figure computed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cotask_common import schedules
from cotask_common.schedules import due_by_schedule

DAILY = "daily"
WEEKDAYS = "weekdays"
TIMES_PER_WEEK = "times_per_week"
EVERY_N_DAYS = "every_n_days"
TIMES_PER_DAY = "times_per_day"
SCHEDULE_KINDS = (DAILY, WEEKDAYS, TIMES_PER_WEEK, EVERY_N_DAYS, TIMES_PER_DAY)

YES_NO = "yes_no"
MEASURABLE = "measurable"
AT_LEAST = "at_least"
AT_MOST = "at_most"

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ScheduleSpec:
    """When a habit is due. Validated on construction (`ValueError` names the field)."""

    kind: str  # daily | weekdays | times_per_week | every_n_days | times_per_day
    start_date: date
    weekdays: frozenset[int] = frozenset()  # Monday = 0; only for `weekdays`
    times: int = 1  # per week (times_per_week, 1-7) or per day (times_per_day, 1-24)
    interval_days: int = 1  # every_n_days (1-365), counted from start_date

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULE_KINDS:
            raise ValueError(f"kind: unknown schedule kind {self.kind!r}")
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if self.kind == WEEKDAYS and not self.weekdays:
            raise ValueError("weekdays: choose at least one weekday")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays: each weekday is 0 (Monday) to 6 (Sunday)")
        if self.kind == TIMES_PER_WEEK and not 1 <= self.times <= 7:
            raise ValueError("times: 1 to 7 times per week")
        if self.kind == TIMES_PER_DAY and not 1 <= self.times <= 24:
            raise ValueError("times: 1 to 24 times per day")
        if not 1 <= self.interval_days <= 365:
            raise ValueError("interval_days: 1 to 365 days")

    @property
    def weekly(self) -> bool:
        """True when a period is an ISO week (Mon-Sun), else a period is one day."""
        return self.kind == TIMES_PER_WEEK

    @property
    def streak_unit(self) -> str:
        return "week" if self.weekly else "day"

    @property
    def frequency(self) -> float:
        """Times a day the habit is due on average (Loop's `frequency`, used by strength)."""
        if self.kind == WEEKDAYS:
            return len(self.weekdays) / 7
        if self.kind == TIMES_PER_WEEK:
            return self.times / 7
        if self.kind == EVERY_N_DAYS:
            return 1 / self.interval_days
        return 1.0  # daily, times_per_day (the period is a day)

    def is_scheduled_weekday(self, day: date) -> bool:
        """Whether `day` is a due day by the schedule alone (no pauses, no start date).

        For `times_per_week` every day may count towards the week.
        """
        return due_by_schedule(
            kind=self.kind,
            day=day,
            start_date=self.start_date,
            weekdays=self.weekdays,
            interval_days=self.interval_days,
        )


@dataclass(frozen=True)
class TargetSpec:
    """What a day's value must reach. Measurable habits need a positive `target_value`."""

    kind: str = YES_NO  # yes_no | measurable
    target_value: Decimal | None = None
    direction: str = AT_LEAST  # at_least | at_most

    def __post_init__(self) -> None:
        if self.kind not in (YES_NO, MEASURABLE):
            raise ValueError(f"kind: unknown habit kind {self.kind!r}")
        if self.direction not in (AT_LEAST, AT_MOST):
            raise ValueError(f"direction: unknown direction {self.direction!r}")
        if self.kind == MEASURABLE and (
            self.target_value is None or Decimal(self.target_value) <= 0
        ):
            raise ValueError("target_value: a measurable habit needs a positive target")


@dataclass(frozen=True)
class DayRange:
    """A pause (vacation): `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end: a range cannot end before it starts")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


class DayState(StrEnum):
    DONE = "done"
    MISSED = "missed"
    PAUSED = "paused"
    FROZEN = "frozen"  # a missed period a freeze covered
    UNSCHEDULED = "unscheduled"
    PENDING = "pending"  # the open period (today, or this week for N per week), not yet met
    FUTURE = "future"
    BEFORE_START = "before_start"


def is_done(target: TargetSpec, schedule: ScheduleSpec, value: Decimal) -> bool:
    """Whether one day's value (the day's check-in) meets the habit's target.

    A measurable habit compares with its target (`at_most` too needs a check-in: a day without
    one is never done). A yes/no habit needs `times` for N times a day, else at least 1.
    For N times per week this is whether the *day* counts towards the week.
    """
    value = Decimal(value)
    if target.kind == MEASURABLE:
        goal = Decimal(target.target_value)  # type: ignore[arg-type]
        return value >= goal if target.direction == AT_LEAST else value <= goal
    need = schedule.times if schedule.kind == TIMES_PER_DAY else 1
    return value >= need


def weekdays_from_mask(mask: int) -> frozenset[int]:
    """`Habit.weekday_mask` (bit d = weekday d, Monday = bit 0) → a set of weekdays."""
    return frozenset(d for d in range(7) if mask >> d & 1)


def weekdays_to_mask(weekdays: Iterable[int]) -> int:
    return sum(1 << d for d in set(weekdays))


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


class Pauses(schedules.Pauses):
    """`cotask_common.schedules.Pauses` (the rule the agenda shares) from `DayRange`s."""

    def __init__(self, ranges: Sequence[DayRange]) -> None:
        super().__init__((r.start, r.end) for r in ranges)


def scheduled_day_predicate(
    schedule: ScheduleSpec, pauses: Sequence[DayRange] = ()
) -> Callable[[date], bool]:
    """A `day -> bool` for reminders (`clock.next_local_fire`): on or after the start date, due
    by the schedule (any day for N per week) and not paused."""
    paused = Pauses(pauses)
    if not pauses and schedule.kind in (DAILY, TIMES_PER_WEEK, TIMES_PER_DAY):
        start = schedule.start_date
        return lambda day: day >= start  # the common case of a reminder pass, kept cheap

    def scheduled(day: date) -> bool:
        return (
            day >= schedule.start_date and schedule.is_scheduled_weekday(day) and day not in paused
        )

    return scheduled


__all__ = [
    "AT_LEAST",
    "AT_MOST",
    "DAILY",
    "EVERY_N_DAYS",
    "MEASURABLE",
    "SCHEDULE_KINDS",
    "TIMES_PER_DAY",
    "TIMES_PER_WEEK",
    "WEEKDAYS",
    "YES_NO",
    "DayRange",
    "DayState",
    "Pauses",
    "ScheduleSpec",
    "TargetSpec",
    "is_done",
    "scheduled_day_predicate",
    "week_start",
    "weekdays_from_mask",
    "weekdays_to_mask",
]
