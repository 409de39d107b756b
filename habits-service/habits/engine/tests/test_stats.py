"""Completion rates per ISO week, month, year and weekday."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from habits.engine import DayRange, ScheduleSpec, TargetSpec, completion_rates

D = timedelta(days=1)


def test_daily_rates_by_week_month_year_and_weekday():
    s = ScheduleSpec("daily", date(2027, 12, 27))  # Monday of 2027-W52
    done = [date(2027, 12, 27), date(2027, 12, 28), date(2027, 12, 31), date(2028, 1, 3)]
    values = {d: Decimal(1) for d in done}
    pause = DayRange(date(2028, 1, 1), date(2028, 1, 2))
    r = completion_rates(
        s, TargetSpec(), values=values, pauses=[pause], start=date(2027, 12, 27),
        end=date(2028, 1, 9), today=date(2028, 1, 5),
    )  # fmt: skip
    # 27-31 Dec scheduled (5, met 3); 1-2 Jan paused; 3, 4 Jan closed (met 1); 5 Jan pending
    assert (r.by_week["2027-W52"].met, r.by_week["2027-W52"].scheduled) == (3, 5)
    assert (r.by_week["2028-W01"].met, r.by_week["2028-W01"].scheduled) == (1, 2)
    assert (r.by_month["2027-12"].met, r.by_month["2027-12"].scheduled) == (3, 5)
    assert (r.by_year["2028"].met, r.by_year["2028"].scheduled) == (1, 2)
    assert r.by_weekday[0].met == 2 and r.by_weekday[0].scheduled == 2  # Mondays
    assert r.by_weekday[2].met == 0 and r.by_weekday[2].scheduled == 1  # Wednesday 29 Dec
    assert r.total.rate == 4 / 7


def test_weekly_rates_file_a_week_under_its_thursday():
    s = ScheduleSpec("times_per_week", date(2027, 11, 29), times=2)  # Mon; Thu is 2 Dec
    values = {date(2027, 11, 29): Decimal(1), date(2027, 11, 30): Decimal(1)}
    r = completion_rates(
        s, TargetSpec(), values=values, pauses=[], start=date(2027, 11, 1),
        end=date(2027, 12, 31), today=date(2027, 12, 20),
    )  # fmt: skip
    assert r.by_month["2027-12"].met == 1 and r.by_month["2027-12"].scheduled == 3  # 3 closed
    assert "2027-11" not in r.by_month
    assert r.by_weekday[0].met == 1 and r.by_weekday[0].scheduled == 3
    assert r.by_week["2027-W50"].rate == 0.0
