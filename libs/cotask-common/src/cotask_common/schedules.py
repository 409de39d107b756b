"""Habit schedules: whether a calendar day is a due day, written once for every service.

habits-service's engine (`habits.engine.schedule.ScheduleSpec`) and tasks-service's agenda
(`tasks.agenda`, from the `habits.habit.saved` projection) both ask it, so a habit shows on the
agenda exactly on the days habits-service counts. Pure Python; `day` is a calendar date in the
owner's zone. Pauses are habits-service's own (they travel in no event) and are left to it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

__all__ = ["due_by_schedule"]


def due_by_schedule(
    *, kind: str, day: date, start_date: date, weekdays: Collection[int], interval_days: int
) -> bool:
    """Whether `day` is a due day by the schedule alone (no start date, no pauses): a chosen
    weekday (`weekdays`, Monday = 0), every `interval_days` from `start_date` (`every_n_days`),
    else every day (`daily`, `times_per_day`; `times_per_week`, where any day counts towards
    the week)."""
    if kind == "weekdays":
        return day.weekday() in weekdays
    if kind == "every_n_days":
        return (day - start_date).days % max(interval_days, 1) == 0
    return True
