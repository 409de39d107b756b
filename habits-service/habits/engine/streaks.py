"""Streaks, freezes, strength and each day's state, evaluated from raw check-ins.

One walk over the habit's scheduled periods from its start date to today gives every figure, so
the cached numbers on a habit always equal a recount (the property-based tests check that
against an independent day-by-day recount). The rules are in docs/decisions.md ("habits").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .schedule import (
    DayRange,
    DayState,
    Pauses,
    ScheduleSpec,
    TargetSpec,
    is_done,
    week_start,
)

STREAK_MILESTONES = (7, 30, 100, 365)
"""the same lengths as `cotask_common.contracts.habits.STREAK_MILESTONES` (a test checks)"""
FREEZE_EVERY = 7  # done periods in a row that earn one freeze
MAX_FREEZES = 2

ONE_DAY = timedelta(days=1)
WEEK = timedelta(days=7)


# ---------------------------------------------------------------------------------------------
# Events the walk reports, in time order; the service publishes those dated after its previous
# evaluation (`day` is the first day of the period concerned).


@dataclass(frozen=True)
class FreezeUsed:
    day: date
    freezes_left: int
    current_streak: int


@dataclass(frozen=True)
class StreakBroken:
    day: date  # the first day of the missed period
    length: int  # >= 2: a streak of 1 ends without an event


@dataclass(frozen=True)
class Milestone:
    length: int  # one of STREAK_MILESTONES
    day: date  # the first day of the period that reached it (added beside the agreed `length`)


EngineEvent = FreezeUsed | StreakBroken | Milestone


@dataclass(frozen=True)
class Evaluation:
    current_streak: int
    best_streak: int
    streak_unit: str  # "day" | "week"
    streak_started_on: date | None
    freezes_held: int  # 0..2
    strength: float  # 0..1
    events: tuple[EngineEvent, ...]
    # Beyond the agreed interface (for the habit's read): today's state and the open period's
    # progress — done days this week against the week's need for N per week, else 1/0 of 1.
    today_state: DayState = DayState.FUTURE
    period_start: date | None = None
    period_done: int = 0
    period_required: int = 0


@dataclass(frozen=True)
class Period:
    """One scheduled period: a day, or an ISO week for N per week (`end` included)."""

    start: date
    end: date
    state: DayState  # DONE, MISSED, FROZEN, PAUSED or PENDING
    done: int = 0  # done days in it
    required: int = 1


def strength_multiplier(schedule: ScheduleSpec) -> float:
    """Loop Habit Tracker's m = 0.5^(√f / 13), f = the schedule's frequency per day."""
    return 0.5 ** (math.sqrt(schedule.frequency) / 13)


def done_days(
    schedule: ScheduleSpec, target: TargetSpec, values: Mapping[date, Decimal]
) -> set[date]:
    return {d for d, v in values.items() if is_done(target, schedule, v)}


def periods(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
    until: date | None = None,
) -> list[Period]:
    """The habit's periods from its start to the one holding `min(until, today)`.

    Unscheduled days are not periods. A period wholly paused is PAUSED; the open period (the one
    holding today) is DONE once met, else PENDING. Missed periods come out MISSED here; the
    freeze rules (see `walk`) turn some into FROZEN.
    """
    last = today if until is None else min(until, today)
    paused = Pauses(pauses)
    done = done_days(schedule, target, values)
    out: list[Period] = []
    start = schedule.start_date
    if last < start:
        return out
    if schedule.weekly:
        monday = week_start(start)
        while monday <= last:
            sunday = monday + timedelta(days=6)
            available = [
                monday + timedelta(days=i)
                for i in range(7)
                if monday + timedelta(days=i) >= start and monday + timedelta(days=i) not in paused
            ]
            required = min(schedule.times, len(available))
            if required == 0:
                out.append(Period(monday, sunday, DayState.PAUSED, 0, 0))
            else:
                count = sum(1 for d in available if d <= today and d in done)
                if count >= required:
                    state = DayState.DONE
                elif sunday >= today:
                    state = DayState.PENDING
                else:
                    state = DayState.MISSED
                out.append(Period(monday, sunday, state, count, required))
            monday += WEEK
        return out
    day = start
    step = ONE_DAY
    if schedule.kind == "every_n_days":
        step = timedelta(days=schedule.interval_days)
    while day <= last:
        if schedule.is_scheduled_weekday(day):
            if day in paused:
                out.append(Period(day, day, DayState.PAUSED, 0, 0))
            elif day in done:
                out.append(Period(day, day, DayState.DONE, 1, 1))
            elif day == today:
                out.append(Period(day, day, DayState.PENDING, 0, 1))
            else:
                out.append(Period(day, day, DayState.MISSED, 0, 1))
        day += step
    return out


def walk(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
    until: date | None = None,
) -> tuple[list[Period], Evaluation]:
    """Apply the streak, freeze and strength rules along `periods(...)`."""
    raw = periods(schedule, target, values=values, pauses=pauses, today=today, until=until)
    m = strength_multiplier(schedule)
    streak = best = run = freezes = 0
    started: date | None = None
    score = 0.0
    events: list[EngineEvent] = []
    out: list[Period] = []
    for p in raw:
        if p.state == DayState.DONE:
            streak += 1
            if streak == 1:
                started = p.start
            best = max(best, streak)
            run += 1
            if run == FREEZE_EVERY:
                run = 0
                freezes = min(MAX_FREEZES, freezes + 1)
            if streak in STREAK_MILESTONES:
                events.append(Milestone(streak, p.start))
            score = score * m + (1 - m)
        elif p.state == DayState.MISSED:
            if freezes:
                freezes -= 1
                run = 0
                p = Period(p.start, p.end, DayState.FROZEN, p.done, p.required)
                events.append(FreezeUsed(p.start, freezes, streak))
            else:
                if streak >= 2:
                    events.append(StreakBroken(p.start, streak))
                streak = run = 0
                started = None
            score = score * m
        out.append(p)
    today_state, period = _today(schedule, out, today, pauses)
    evaluation = Evaluation(
        current_streak=streak,
        best_streak=best,
        streak_unit=schedule.streak_unit,
        streak_started_on=started,
        freezes_held=freezes,
        strength=score,
        events=tuple(events),
        today_state=today_state,
        period_start=period.start if period else None,
        period_done=period.done if period else 0,
        period_required=period.required if period else 0,
    )
    return out, evaluation


def _today(
    schedule: ScheduleSpec, out: list[Period], today: date, pauses: Sequence[DayRange]
) -> tuple[DayState, Period | None]:
    if today < schedule.start_date:
        return DayState.BEFORE_START, None
    last = out[-1] if out else None
    if last is None or not last.start <= today <= last.end:
        return DayState.UNSCHEDULED, None
    if last.state == DayState.PAUSED or today in Pauses(pauses):
        return DayState.PAUSED, last
    return last.state, last


def evaluate(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
) -> Evaluation:
    """Current and best streak, freezes held, strength and the events of the whole history.

    `values` maps a day (in the owner's zone) to that day's check-in value; days after `today`
    are ignored. The open period never breaks the streak.
    """
    return walk(schedule, target, values=values, pauses=pauses, today=today)[1]


def day_states(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    start: date,
    end: date,
    today: date,
) -> dict[date, DayState]:
    """Each day of [start, end]'s state (for the heatmap), consistent with `evaluate`.

    Precedence: BEFORE_START, PAUSED (also planned future pauses), FUTURE, then by period. For N
    per week a day with a done check-in is DONE; another day takes its week's state (MISSED,
    FROZEN, PENDING), or UNSCHEDULED when the week was met without it.
    """
    out_periods, _ = walk(schedule, target, values=values, pauses=pauses, today=today, until=end)
    by_start = {p.start: p for p in out_periods}
    paused = Pauses(pauses)
    done = done_days(schedule, target, values) if schedule.weekly else set()
    states: dict[date, DayState] = {}
    day = start
    while day <= end:
        if day < schedule.start_date:
            state = DayState.BEFORE_START
        elif day in paused:
            state = DayState.PAUSED
        elif day > today:
            state = DayState.FUTURE
        elif schedule.weekly:
            week = by_start[week_start(day)]
            if day in done:
                state = DayState.DONE
            elif week.state == DayState.DONE:
                state = DayState.UNSCHEDULED
            else:
                state = week.state
        else:
            p = by_start.get(day)
            state = p.state if p is not None else DayState.UNSCHEDULED
        states[day] = state
        day += ONE_DAY
    return states
