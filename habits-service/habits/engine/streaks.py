"""Streaks, freezes, strength and each day's state, evaluated from raw check-ins.

One walk over the habit's scheduled periods from its start date to today gives every figure, so
the cached numbers on a habit always equal a recount (the property-based tests check that
against an independent day-by-day recount). The rules are in docs/decisions.md ("habits").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from .schedule import (
    DayRange,
    DayState,
    ScheduleSpec,
    TargetSpec,
)

STREAK_MILESTONES = (7, 30, 100, 365)
"""the same lengths as `cotask_common.contracts.habits.STREAK_MILESTONES` (a test checks)"""
FREEZE_EVERY = 7  # done periods in a row that earn one freeze
MAX_FREEZES = 2


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
class WalkState:
    """Where the walk stands once every period ending on or before `through` is counted: what
    the rules carry from one period to the next. `evaluate(..., resume=state)` walks on from
    `through + 1` only and gives exactly the figures of a walk from the start (the same
    operations in the same order, the strength float included), as long as nothing on or before
    `through` changed. For N per week `through` is a Sunday."""

    through: date
    streak: int
    best: int
    run: int  # done periods in a row towards the next freeze
    freezes: int
    started: date | None
    score: float

    def to_json(self) -> dict[str, object]:
        # The score as float.hex: exact through any JSON store.
        return {
            "through": self.through.isoformat(),
            "streak": self.streak,
            "best": self.best,
            "run": self.run,
            "freezes": self.freezes,
            "started": self.started.isoformat() if self.started else None,
            "score": self.score.hex(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> WalkState:
        started = data["started"]
        return cls(
            through=date.fromisoformat(str(data["through"])),
            streak=int(data["streak"]),  # type: ignore[call-overload]
            best=int(data["best"]),  # type: ignore[call-overload]
            run=int(data["run"]),  # type: ignore[call-overload]
            freezes=int(data["freezes"]),  # type: ignore[call-overload]
            started=date.fromisoformat(str(started)) if started else None,
            score=float.fromhex(str(data["score"])),
        )


class Period(NamedTuple):
    """One scheduled period: a day, or an ISO week for N per week (`end` included)."""

    start: date
    end: date
    state: DayState  # DONE, MISSED, FROZEN, PAUSED or PENDING
    done: int = 0  # done days in it
    required: int = 1


# The walk runs on day ordinals and small int codes: it is on every check-in's path and on the
# heatmap's (five years of a daily habit are ~1,800 periods), so it stays a tight loop.
_DONE, _MISSED, _FROZEN, _PAUSED, _PENDING = range(5)
_STATE = (DayState.DONE, DayState.MISSED, DayState.FROZEN, DayState.PAUSED, DayState.PENDING)


def strength_multiplier(schedule: ScheduleSpec) -> float:
    """Loop Habit Tracker's m = 0.5^(√f / 13), f = the schedule's frequency per day."""
    return 0.5 ** (math.sqrt(schedule.frequency) / 13)


def _threshold(schedule: ScheduleSpec, target: TargetSpec) -> tuple[Decimal, bool]:
    """(the value to compare with, True for "at least") — `is_done` without per-day work."""
    if target.kind == "measurable":
        return Decimal(target.target_value), target.direction == "at_least"  # type: ignore[arg-type]
    return Decimal(schedule.times if schedule.kind == "times_per_day" else 1), True


def done_days(
    schedule: ScheduleSpec, target: TargetSpec, values: Mapping[date, Decimal]
) -> set[date]:
    """The days whose value meets the target (`is_done`)."""
    goal, at_least = _threshold(schedule, target)
    if at_least:
        return {d for d, v in values.items() if v >= goal}
    return {d for d, v in values.items() if v <= goal}


def _paused_ordinals(pauses: Sequence[DayRange], first: int, last: int) -> set[int]:
    out: set[int] = set()
    for r in pauses:
        lo, hi = max(r.start.toordinal(), first), min(r.end.toordinal(), last)
        if lo <= hi:
            out.update(range(lo, hi + 1))
    return out


class _Walk:
    """The periods as parallel lists (first-day ordinals, state codes) with the figures."""

    __slots__ = ("codes", "evaluation", "firsts", "kept", "last_period")

    def __init__(self) -> None:
        self.firsts: list[int] = []
        self.codes: list[int] = []
        self.last_period: Period | None = None
        self.evaluation: Evaluation
        self.kept: dict[date, WalkState] = {}


def _walk(
    schedule: ScheduleSpec,
    target: TargetSpec,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
    until: date | None,
    resume: WalkState | None = None,
    keeps: Sequence[date] = (),
) -> _Walk:
    w = _Walk()
    firsts, codes = w.firsts, w.codes
    start = schedule.start_date.toordinal()
    # The first day a period may start on: the habit's start, or the day after `resume`.
    begin = start if resume is None else max(start, resume.through.toordinal() + 1)
    today_o = today.toordinal()
    last = today_o if until is None else min(until.toordinal(), today_o)
    # the whole last week's pauses matter for N per week (its need counts future days)
    paused = _paused_ordinals(pauses, start, last + 7) if pauses else set()
    done = {d.toordinal() for d in done_days(schedule, target, values)}
    last_done = last_required = 0
    if begin <= last:
        if schedule.weekly:
            times = schedule.times
            monday = begin - (begin - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
            while monday <= last:
                available = required = count = 0
                for o in range(max(monday, start), monday + 7):
                    if o not in paused:
                        available += 1
                        if o <= today_o and o in done:
                            count += 1
                required = times if times < available else available
                if required == 0:
                    code = _PAUSED
                elif count >= required:
                    code = _DONE
                elif monday + 6 >= today_o:
                    code = _PENDING
                else:
                    code = _MISSED
                firsts.append(monday)
                codes.append(code)
                last_done, last_required = count, required
                monday += 7
        else:
            if schedule.kind == "every_n_days":
                step = schedule.interval_days
                first_due = begin + (start - begin) % step  # the first start + k·N >= begin
                days: Iterable[int] = range(first_due, last + 1, step)
            elif schedule.kind == "weekdays":
                chosen = schedule.weekdays
                days = (o for o in range(begin, last + 1) if (o - 1) % 7 in chosen)
            else:
                days = range(begin, last + 1)
            for o in days:
                if o in paused:
                    code = _PAUSED
                elif o in done:
                    code = _DONE
                elif o == today_o:
                    code = _PENDING
                else:
                    code = _MISSED
                firsts.append(o)
                codes.append(code)
            if codes:
                last_done = int(codes[-1] == _DONE)
                last_required = int(codes[-1] != _PAUSED)

    # The rules, in order along the periods (MISSED becomes FROZEN when a freeze covers it).
    m = strength_multiplier(schedule)
    gain = 1 - m
    streak = best = run = freezes = 0
    started = -1
    score = 0.0
    if resume is not None:
        streak, best, run, freezes = resume.streak, resume.best, resume.run, resume.freezes
        started = resume.started.toordinal() if resume.started else -1
        score = resume.score
    events: list[EngineEvent] = []
    # `keeps`: the state once every period ending on or before each of those days is counted
    # (a day not after `resume.through` keeps the resumed state: the walk cannot go back).
    pending = []
    for keep in sorted(set(keeps)):
        if resume is not None and keep <= resume.through:
            w.kept[keep] = resume
        else:
            pending.append(keep)
    pending.reverse()  # popped from the end, earliest first
    span = 6 if schedule.weekly else 0
    for i, code in enumerate(codes):
        while pending and firsts[i] + span > pending[-1].toordinal():
            keep = pending.pop()
            w.kept[keep] = WalkState(
                keep, streak, best, run, freezes,
                date.fromordinal(started) if started > 0 else None, score,
            )  # fmt: skip
        if code == _DONE:
            streak += 1
            if streak == 1:
                started = firsts[i]
            if streak > best:
                best = streak
            run += 1
            if run == FREEZE_EVERY:
                run = 0
                if freezes < MAX_FREEZES:
                    freezes += 1
            if streak in STREAK_MILESTONES:
                events.append(Milestone(streak, date.fromordinal(firsts[i])))
            score = score * m + gain
        elif code == _MISSED:
            if freezes:
                freezes -= 1
                run = 0
                codes[i] = _FROZEN
                events.append(FreezeUsed(date.fromordinal(firsts[i]), freezes, streak))
            else:
                if streak >= 2:
                    events.append(StreakBroken(date.fromordinal(firsts[i]), streak))
                streak = run = 0
                started = -1
            score *= m

    for keep in pending:
        w.kept[keep] = WalkState(
            keep, streak, best, run, freezes,
            date.fromordinal(started) if started > 0 else None, score,
        )  # fmt: skip

    # Today's state and the open period.
    today_state, period = DayState.UNSCHEDULED, None
    if codes:
        first = firsts[-1]
        end = first + 6 if schedule.weekly else first
        if first <= today_o <= end:
            period = Period(
                date.fromordinal(first),
                date.fromordinal(end),
                _STATE[codes[-1]],
                last_done,
                last_required,
            )
            today_state = DayState.PAUSED if today_o in paused else period.state
    if today_o < start:
        today_state = DayState.BEFORE_START
    w.last_period = period
    w.evaluation = Evaluation(
        current_streak=streak,
        best_streak=best,
        streak_unit=schedule.streak_unit,
        streak_started_on=date.fromordinal(started) if started > 0 else None,
        freezes_held=freezes,
        strength=score,
        events=tuple(events),
        today_state=today_state,
        period_start=period.start if period else None,
        period_done=period.done if period else 0,
        period_required=period.required if period else 0,
    )
    return w


def walk(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
    until: date | None = None,
) -> tuple[list[Period], Evaluation]:
    """The habit's periods from its start to the one holding `min(until, today)` with the
    freeze rules applied (unscheduled days are not periods; `done`/`required` are filled for
    the open period only), and the evaluation."""
    w = _walk(schedule, target, values, pauses, today, until)
    span = 6 if schedule.weekly else 0
    out = [
        Period(date.fromordinal(o), date.fromordinal(o + span), _STATE[c])
        for o, c in zip(w.firsts, w.codes, strict=True)
    ]
    if out and w.last_period is not None:
        out[-1] = w.last_period
    return out, w.evaluation


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
    return _walk(schedule, target, values, pauses, today, None).evaluation


def evaluate_from(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
    resume: WalkState | None = None,
    keeps: Sequence[date] = (),
) -> tuple[Evaluation, dict[date, WalkState]]:
    """`evaluate`, walking on from `resume` (None: from the start), and the states through each
    of `keeps` (days before `today`'s period; Sundays for N per week) to resume from later; a
    keep not after `resume.through` gets `resume` itself. With `resume`, `values` need only the
    days after `resume.through` and `events` holds only the events of the periods walked. The
    figures equal `evaluate` over the whole history as long as nothing on or before
    `resume.through` changed (a property test checks)."""
    w = _walk(schedule, target, values, pauses, today, None, resume, keeps)
    return w.evaluation, w.kept


def day_states(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    start: date,
    end: date,
    today: date,
    resume: WalkState | None = None,
) -> dict[date, DayState]:
    """Each day of [start, end]'s state (for the heatmap), consistent with `evaluate`.

    Precedence: BEFORE_START, PAUSED (also planned future pauses), FUTURE, then by period. For N
    per week a day with a done check-in is DONE; another day takes its week's state (MISSED,
    FROZEN, PENDING), or UNSCHEDULED when the week was met without it.

    With `resume` (a `WalkState` through a day before `start`'s period, nothing on or before it
    changed since) the walk starts after it, so `values` need only the later days.
    """
    w = _walk(schedule, target, values, pauses, today, end, resume)
    by_first = dict(zip(w.firsts, w.codes, strict=True))
    first, last = start.toordinal(), end.toordinal()
    paused = _paused_ordinals(pauses, first, last) if pauses else set()
    begin, today_o = schedule.start_date.toordinal(), today.toordinal()
    weekly = schedule.weekly
    done = {d.toordinal() for d in done_days(schedule, target, values)} if weekly else set()
    unscheduled = DayState.UNSCHEDULED
    states: dict[date, DayState] = {}
    for o in range(first, last + 1):
        if o < begin:
            state = DayState.BEFORE_START
        elif o in paused:
            state = DayState.PAUSED
        elif o > today_o:
            state = DayState.FUTURE
        elif weekly:
            code = by_first[o - (o - 1) % 7]
            if o in done:
                state = DayState.DONE
            elif code == _DONE:
                state = unscheduled
            else:
                state = _STATE[code]
        else:
            code = by_first.get(o, -1)
            state = _STATE[code] if code >= 0 else unscheduled
        states[date.fromordinal(o)] = state
    return states


def today_state(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    today: date,
) -> DayState:
    """`day_states(..., start=today, end=today, today=today)[today]` without walking the
    history: today lies in the open period (today, or this ISO week for N per week), which is
    PENDING or DONE whatever came before it — only a closed period is missed, and only a missed
    one is frozen — so the walk starts at that period, from a state whose figures play no part
    (a property test compares it with the whole walk). `values` need only the open period's
    days. For a habit's answer (the list, a check-in), where the year's walk was most of it."""
    first = today - timedelta(days=today.weekday()) if schedule.weekly else today
    resume = WalkState(first - timedelta(days=1), 0, 0, 0, 0, None, 0.0)
    return day_states(
        schedule,
        target,
        values=values,
        pauses=pauses,
        start=today,
        end=today,
        today=today,
        resume=resume,
    )[today]
