"""Moments in the texts a person reads: in their time zone and their language's format."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import formats


def zone_named(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, else UTC (an unknown or empty name is not an error here)."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def format_moment(moment: datetime, *, time_zone: str | None) -> str:
    """A date and time for a text a person reads: in their zone (named after it) and in the
    active language's format, e.g. "Dec. 5, 2026, 2 p.m. (Europe/Kyiv)"."""
    zone = zone_named(time_zone)
    local = moment.astimezone(zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone.key})"
