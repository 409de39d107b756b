"""History and statistics of one habit: the year's heatmap and completion rates. Each reads the
habit's history in ONE query (`selectors.history_rows`: check-ins and pauses as a UNION),
because a day's state (frozen, above all) depends on every period before it; the engine does
the rest in memory. The heatmap of the current year starts from the engine state stored on the
habit just before the year (`Habit.engine_state["year"]`), so it reads and walks one year, not
the habit's whole life."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from habits.tracking import evaluation
from habits.tracking.models import Habit
from habits.tracking.selectors import history_rows

# How far back each `period` of the stats endpoint looks.
STATS_SPAN = {"week": 12, "month": 12, "year": 5}


def heatmap(habit: Habit, *, year: int, today: date) -> list[dict[str, Any]]:
    """Every day of `year`: the check-in value (None without one) and the engine's state."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    # The walk to this year's first period is stored on the habit (`engine_state`, kept by
    # every change): start there, reading and walking this year's days only.
    resume = evaluation.year_state(habit, year=year, today=today)
    values, pauses = history_rows(
        habit=habit, through=min(last, today), after=resume.through if resume else None
    )
    states = evaluation.day_states(
        habit, values=values, pauses=pauses, start=first, end=last, today=today, resume=resume
    )
    days = []
    day = first
    while day <= last:
        value = values.get(day)
        days.append(
            {
                "day": day,
                "value": float(value) if value is not None else None,
                "state": str(states.get(day, "")),
            }
        )
        day += timedelta(days=1)
    return days


def _range_start(period: str, today: date) -> date:
    span = STATS_SPAN[period]
    if period == "week":
        return evaluation.week_start(today) - timedelta(weeks=span - 1)
    if period == "month":
        month = today.year * 12 + today.month - 1 - (span - 1)
        return date(month // 12, month % 12 + 1, 1)
    return date(today.year - (span - 1), 1, 1)


def _rows(bucket: dict[Any, Any]) -> list[dict[str, Any]]:
    return [
        {
            "period": str(key),
            "scheduled": rate.scheduled,
            "done": rate.met,
            "rate": None if rate.rate is None else round(rate.rate, 4),
        }
        for key, rate in sorted(bucket.items())
    ]


def completion(habit: Habit, *, period: str, today: date) -> dict[str, Any]:
    """Completion rates (scheduled periods met / scheduled) per `period` (week, month, year)
    over the last 12 weeks, 12 months or 5 years, and per weekday over the same span."""
    from habits.engine import completion_rates

    start = max(_range_start(period, today), habit.start_date)
    values, pauses = history_rows(habit=habit, through=today)
    rates = completion_rates(
        evaluation.schedule_spec(habit),
        evaluation.target_spec(habit),
        values=values,
        pauses=evaluation.day_ranges(pauses),
        start=start,
        end=today,
        today=today,
    )
    bucket = {"week": rates.by_week, "month": rates.by_month, "year": rates.by_year}[period]
    return {"period": period, "rates": _rows(bucket), "weekdays": _rows(rates.by_weekday)}
