"""Local times → UTC instants for reminders and for closing the owner's days.

Rules (docs/decisions.md, "habits"): a local time that does not exist (the spring-forward gap)
fires at the same wall-clock offset before the change, i.e. shifted forward by the gap (02:30 →
03:30); a local time that happens twice (fall back) fires once, at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

HORIZON_DAYS = 5 * 366  # how far next_local_fire looks for a scheduled day


def _aware(after: datetime) -> datetime:
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after: an aware datetime is needed")
    return after


def local_today(zone: ZoneInfo, now: datetime) -> date:
    """The calendar date in `zone` at the instant `now`."""
    return _aware(now).astimezone(zone).date()


@lru_cache(maxsize=8192)  # a reminder pass asks for the same few (day, time, zone) many times
def local_instant(day: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `local_time` on `day` in `zone` (gap: shifted forward; fold: first)."""
    naive = datetime.combine(day, local_time.replace(tzinfo=None, fold=0))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def next_local_fire(
    local_time: time,
    zone: ZoneInfo,
    after: datetime,
    is_scheduled_day: Callable[[date], bool],
) -> datetime | None:
    """The first instant strictly after `after` at which the clock in `zone` shows `local_time`
    on a day `is_scheduled_day` accepts; aware, in UTC. None when no day within
    `HORIZON_DAYS` is scheduled (a return type widened from the agreed `datetime`).
    """
    after = _aware(after).astimezone(UTC)
    day = local_today(zone, after) - timedelta(days=1)  # a gap-shifted time may fall "before"
    for _ in range(HORIZON_DAYS + 2):
        if is_scheduled_day(day):
            at = local_instant(day, local_time, zone)
            if at > after:
                return at
        day += timedelta(days=1)
    return None


def next_local_midnight(zone: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` at which a new calendar day starts in `zone`
    (aware, UTC). Where midnight itself is skipped by a clock change the day starts at the
    change, which is what `local_instant(day, 00:00)` gives."""
    after = _aware(after).astimezone(UTC)
    day = local_today(zone, after) + timedelta(days=1)
    at = local_instant(day, time(0, 0), zone)
    while at <= after:  # only in odd zones where a change repeats midnight
        day += timedelta(days=1)
        at = local_instant(day, time(0, 0), zone)
    return at
