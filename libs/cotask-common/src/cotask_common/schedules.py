"""Habit schedules: whether a calendar day is a due day, written once for every service.

habits-service's engine (`habits.engine.schedule.ScheduleSpec`) and tasks-service's agenda
(`tasks.agenda`, from the `habits.habit.saved` projection) both ask it, so a habit shows on the
agenda exactly on the days habits-service counts. Pure Python; `day` is a calendar date in the
owner's zone. A paused day (`Pauses`: habits-service's pauses, which reach the agenda in
`habits.habit.saved`) is never scheduled.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable
from datetime import date, timedelta

__all__ = ["Pauses", "due_by_schedule"]


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


class Pauses:
    """Pause ranges (`(start, end)`, both included) merged and sorted, answering "is this day
    paused?" by bisection."""

    def __init__(self, ranges: Iterable[tuple[date, date]]) -> None:
        merged: list[list[date]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1] + timedelta(days=1):
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [m[0] for m in merged]
        self._ends = [m[1] for m in merged]

    def __contains__(self, day: date) -> bool:
        i = bisect_right(self._starts, day) - 1
        return i >= 0 and day <= self._ends[i]
