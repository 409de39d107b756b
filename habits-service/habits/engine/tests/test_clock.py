"""Local times across daylight saving changes (Europe/Kyiv, America/New_York), a local time that
does not exist, one that happens twice, a midnight that does not exist, and a zone move."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from habits.engine import (
    DayRange,
    ScheduleSpec,
    local_today,
    next_local_fire,
    next_local_midnight,
    scheduled_day_predicate,
)

KYIV = ZoneInfo("Europe/Kyiv")
NY = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def every_day(_day: date) -> bool:
    return True


@pytest.mark.parametrize(
    ("zone", "day_before", "change_day", "before_utc", "on_utc"),
    [
        # spring forward: the offset grows, so 07:30 comes an hour earlier in UTC
        (
            KYIV,
            date(2027, 3, 27),
            date(2027, 3, 28),
            utc(2027, 3, 27, 5, 30),
            utc(2027, 3, 28, 4, 30),
        ),
        (
            NY,
            date(2027, 3, 13),
            date(2027, 3, 14),
            utc(2027, 3, 13, 12, 30),
            utc(2027, 3, 14, 11, 30),
        ),
        # fall back: 07:30 comes an hour later in UTC
        (
            KYIV,
            date(2027, 10, 30),
            date(2027, 10, 31),
            utc(2027, 10, 30, 4, 30),
            utc(2027, 10, 31, 5, 30),
        ),
        (
            NY,
            date(2027, 11, 6),
            date(2027, 11, 7),
            utc(2027, 11, 6, 11, 30),
            utc(2027, 11, 7, 12, 30),
        ),
    ],
)
def test_a_0730_reminder_on_the_days_around_a_clock_change(
    zone, day_before, change_day, before_utc, on_utc
):
    at_0730 = time(7, 30)
    evening_before = datetime.combine(day_before - timedelta(days=1), time(20, 0), zone)
    first = next_local_fire(at_0730, zone, evening_before, every_day)
    assert first == before_utc and first.tzinfo == UTC
    second = next_local_fire(at_0730, zone, first, every_day)
    assert second == on_utc
    assert second.astimezone(zone).time() == at_0730
    assert second.astimezone(zone).date() == change_day


def test_a_local_time_in_the_spring_gap_fires_shifted_forward_once():
    # New York, 14 Mar 2027: 02:00 → 03:00, so 02:30 does not exist; it fires at 03:30 EDT.
    after = utc(2027, 3, 14, 0, 0)  # 13 Mar 19:00 local
    fire = next_local_fire(time(2, 30), NY, after, every_day)
    assert fire == utc(2027, 3, 14, 7, 30)
    assert fire.astimezone(NY).replace(tzinfo=None) == datetime(2027, 3, 14, 3, 30)
    nxt = next_local_fire(time(2, 30), NY, fire, every_day)
    assert nxt == utc(2027, 3, 15, 6, 30)  # 02:30 EDT the next day
    # Kyiv, 28 Mar 2027: 03:00 → 04:00, 03:30 fires at 04:30 EEST
    assert next_local_fire(time(3, 30), KYIV, utc(2027, 3, 27, 12), every_day) == (
        utc(2027, 3, 28, 1, 30)
    )


def test_a_local_time_that_happens_twice_fires_once_at_the_first():
    # New York, 7 Nov 2027: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    first = next_local_fire(time(1, 30), NY, utc(2027, 11, 7, 0, 0), every_day)
    assert first == utc(2027, 11, 7, 5, 30)
    assert next_local_fire(time(1, 30), NY, first, every_day) == utc(2027, 11, 8, 6, 30)
    # Kyiv, 31 Oct 2027: 03:30 at 00:30 UTC (EEST) and 01:30 UTC (EET)
    first = next_local_fire(time(3, 30), KYIV, utc(2027, 10, 30, 12), every_day)
    assert first == utc(2027, 10, 31, 0, 30)
    assert next_local_fire(time(3, 30), KYIV, first, every_day) == utc(2027, 11, 1, 1, 30)


def test_next_local_fire_skips_unscheduled_and_paused_days():
    schedule = ScheduleSpec("weekdays", date(2026, 11, 2), weekdays=frozenset({0, 3}))  # Mon Thu
    pause = DayRange(date(2026, 12, 7), date(2026, 12, 9))
    scheduled = scheduled_day_predicate(schedule, [pause])
    after = utc(2026, 12, 3, 6, 0)  # Thu 08:00 in Kyiv: Thursday's 07:30 is gone
    fire = next_local_fire(time(7, 30), KYIV, after, scheduled)
    assert fire == utc(2026, 12, 10, 5, 30)  # Mon 7 Dec paused → Thu 10 Dec
    every_n = ScheduleSpec("every_n_days", date(2026, 12, 1), interval_days=3)
    fire = next_local_fire(time(7, 30), KYIV, utc(2026, 12, 1, 6), scheduled_day_predicate(every_n))
    assert fire.astimezone(KYIV).date() == date(2026, 12, 4)
    never = next_local_fire(time(7, 30), KYIV, after, lambda _d: False)
    assert never is None


def test_the_first_fire_waits_for_the_start_date():
    schedule = ScheduleSpec("daily", date(2026, 12, 10))
    fire = next_local_fire(time(7, 30), NY, utc(2026, 12, 3), scheduled_day_predicate(schedule))
    assert fire == utc(2026, 12, 10, 12, 30)


def test_a_zone_move_recomputes_at_the_new_local_time():
    after = utc(2027, 6, 1, 2, 0)  # 05:00 in Kyiv on 1 Jun, 22:00 in New York on 31 May
    assert local_today(KYIV, after) == date(2027, 6, 1)
    assert local_today(NY, after) == date(2027, 5, 31)
    assert next_local_fire(time(7, 30), KYIV, after, every_day) == utc(2027, 6, 1, 4, 30)
    # the person moved to New York: the same 07:30 reminder is now 07:30 EDT
    assert next_local_fire(time(7, 30), NY, after, every_day) == utc(2027, 6, 1, 11, 30)
    # and their day now closes at New York's midnight
    assert next_local_midnight(NY, after) == utc(2027, 6, 1, 4, 0)
    assert next_local_midnight(KYIV, after) == utc(2027, 6, 1, 21, 0)


@pytest.mark.parametrize(
    ("zone", "after", "midnight"),
    [
        (KYIV, utc(2027, 3, 27, 12), utc(2027, 3, 27, 22)),  # the night of the change, EET
        (KYIV, utc(2027, 3, 28, 12), utc(2027, 3, 28, 21)),  # 23-hour day, then EEST
        (KYIV, utc(2027, 10, 31, 12), utc(2027, 10, 31, 22)),  # after the 25-hour day
        (NY, utc(2027, 3, 14, 12), utc(2027, 3, 15, 4)),
        (NY, utc(2027, 3, 13, 12), utc(2027, 3, 14, 5)),
        (NY, utc(2027, 11, 7, 12), utc(2027, 11, 8, 5)),
        (NY, utc(2027, 3, 15, 4), utc(2027, 3, 16, 4)),  # exactly at midnight → the next
    ],
)
def test_next_local_midnight_across_clock_changes(zone, after, midnight):
    got = next_local_midnight(zone, after)
    assert got == midnight
    assert got.astimezone(zone).time() == time(0, 0)


def test_a_midnight_that_does_not_exist_closes_the_day_at_the_change():
    # Havana, 14 Mar 2027: 00:00 → 01:00, so the day starts at 01:00 CDT (05:00 UTC)
    havana = ZoneInfo("America/Havana")
    got = next_local_midnight(havana, utc(2027, 3, 13, 12))
    assert got == utc(2027, 3, 14, 5)
    assert got.astimezone(havana).replace(tzinfo=None) == datetime(2027, 3, 14, 1, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match=r"^after:"):
        next_local_midnight(KYIV, datetime(2027, 1, 1))
    with pytest.raises(ValueError, match=r"^after:"):
        next_local_fire(time(7, 30), KYIV, datetime(2027, 1, 1), every_day)
