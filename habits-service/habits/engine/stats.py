"""Completion rates: scheduled periods met / scheduled periods, per ISO week, month, year and
weekday. Paused and pending periods are left out; a frozen period counts as not met (a freeze
keeps the streak, it does not make the period a success)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .schedule import DayRange, DayState, Pauses, ScheduleSpec, TargetSpec
from .streaks import done_days, walk

COUNTED = (DayState.DONE, DayState.MISSED, DayState.FROZEN)


@dataclass
class Rate:
    met: int = 0
    scheduled: int = 0

    @property
    def rate(self) -> float | None:
        """met / scheduled, None when nothing was scheduled."""
        return self.met / self.scheduled if self.scheduled else None


@dataclass
class CompletionRates:
    # Keys: "2026-W49" (ISO week), "2026-12", "2026"; weekday 0 (Monday) to 6.
    by_week: dict[str, Rate] = field(default_factory=dict)
    by_month: dict[str, Rate] = field(default_factory=dict)
    by_year: dict[str, Rate] = field(default_factory=dict)
    by_weekday: dict[int, Rate] = field(default_factory=dict)
    total: Rate = field(default_factory=Rate)


def _add(bucket: dict, key: object, met: bool) -> None:
    r = bucket.setdefault(key, Rate())
    r.scheduled += 1
    r.met += int(met)


def completion_rates(
    schedule: ScheduleSpec,
    target: TargetSpec,
    *,
    values: Mapping[date, Decimal],
    pauses: Sequence[DayRange],
    start: date,
    end: date,
    today: date,
) -> CompletionRates:
    """Rates over the periods that start in [start, end] (ISO weeks for N per week).

    A week is filed under the month and year of its Thursday (the ISO rule for years). Per
    weekday: for day schedules the scheduled days of that weekday met; for N per week, the
    unpaused days of that weekday in counted weeks that carry a done check-in.
    """
    out = CompletionRates()
    periods, _ = walk(schedule, target, values=values, pauses=pauses, today=today, until=end)
    done = done_days(schedule, target, values) if schedule.weekly else set()
    paused = Pauses(pauses)
    for p in periods:
        if p.state not in COUNTED or not start <= p.start <= end:
            continue
        met = p.state == DayState.DONE
        anchor = p.start + timedelta(days=3) if schedule.weekly else p.start
        iso = p.start.isocalendar()
        _add(out.by_week, f"{iso.year}-W{iso.week:02d}", met)
        _add(out.by_month, f"{anchor.year}-{anchor.month:02d}", met)
        _add(out.by_year, f"{anchor.year}", met)
        out.total.scheduled += 1
        out.total.met += int(met)
        if schedule.weekly:
            for i in range(7):
                d = p.start + timedelta(days=i)
                if d >= schedule.start_date and d not in paused and d <= today:
                    _add(out.by_weekday, d.weekday(), d in done)
        else:
            _add(out.by_weekday, p.start.weekday(), met)
    return out
