"""Rendering a feed as iCalendar (RFC 5545) with the `icalendar` package.

One VEVENT per open task with a deadline:
- UID `<series or task id>@tasks.cotask`: stable across edits; a recurring series keeps one
  UID, so completing an occurrence moves the event instead of adding a new one.
- An all-day deadline is a DATE event (DTSTART the day, DTEND the next, transparent).
- A timed deadline is an instant in UTC (DTSTART = DTEND, `…Z`); calendar apps show it in the
  device's zone, and X-WR-TIMEZONE names the person's zone. Not TZID + VTIMEZONE: icalendar
  writes VTIMEZONEs as lists of RDATEs, which dateutil/vobject (and older Outlooks) ignore, so
  such readers would show a wrong hour after a daylight saving change; UTC means the same
  instant to every reader. It is also how the rule of a recurring timed task must be expanded:
  the service makes the next occurrence by the rule in UTC (tasks.planning.recurrence.next_due).
- RRULE: the task's rule (already the RFC 5545 subset of tasks.planning.recurrence).
- DTSTAMP and LAST-MODIFIED the task's `updated_at`; SEQUENCE the seconds from 2026-01-01 to it
  (it only grows, as RFC 5545 wants), so calendar apps take every change.
- VALARMs from the reminder offsets: a timed deadline `TRIGGER:-PT<n>M` (relative to the UTC
  start: across a clock change a "day before" alarm is 24 hours before, where the reminders
  app keeps the local wall time, so the two can differ by the change's hour on that one day);
  an all-day one at the person's all-day reminder time on the day the offset rounds to, the
  reminders app's rule (tasks.reminders.scheduling).

Nothing in the output depends on the clock, so the same data gives the same bytes (the ETag).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event, vRecur

from cotask_common.localtime import zone_named
from tasks.calendar.alarms import FeedReminders
from tasks.planning.models import Priority, Task

PRODID = "-//CoTask//tasks-service calendar feed//EN"
UID_DOMAIN = "tasks.cotask"
SEQUENCE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# How often calendar apps should fetch again (RFC 7986, and the older X-PUBLISHED-TTL).
REFRESH = timedelta(minutes=30)
DESCRIPTION_LIMIT = 2000
# RFC 5545 PRIORITY: 1 highest … 9 lowest, 0 undefined.
PRIORITIES = {Priority.URGENT: 1, Priority.HIGH: 3, Priority.MEDIUM: 5, Priority.LOW: 7}


def all_day_trigger(*, minutes_before: int, at: time) -> timedelta:
    """When an all-day deadline's reminder fires, relative to the start of its day: at `at`
    local on the day `minutes_before` rounds to in whole days (0 to 719 minutes: the day itself,
    720 to 2159: the day before, …), as the reminders app schedules it."""
    days = (minutes_before + 720) // 1440
    return timedelta(hours=at.hour, minutes=at.minute) - timedelta(days=days)


def uid_of(task: Task) -> str:
    return f"{task.series_id or task.id}@{UID_DOMAIN}"


def sequence_of(task: Task) -> int:
    return max(0, int((task.updated_at - SEQUENCE_EPOCH).total_seconds()))


def _event(task: Task, *, offsets: Iterable[int], all_day_at: time) -> Event:
    event = Event()
    event.add("uid", uid_of(task))
    event.add("dtstamp", task.updated_at)
    event.add("created", task.created_at)
    event.add("last-modified", task.updated_at)
    event.add("sequence", sequence_of(task))
    event.add("summary", task.title)
    if task.description:
        event.add("description", task.description[:DESCRIPTION_LIMIT])
    event.add("categories", [task.room.name])
    if task.priority in PRIORITIES:
        event.add("priority", PRIORITIES[Priority(task.priority)])
    all_day = task.due_date is not None
    if all_day:
        day: date = task.due_date  # type: ignore[assignment]
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        assert task.due_at is not None
        start = task.due_at.astimezone(UTC)
        event.add("dtstart", start)
        event.add("dtend", start)
    if task.recurrence:
        event.add("rrule", vRecur.from_ical(task.recurrence))
    triggers: list[timedelta] = []
    for minutes in sorted(set(offsets), reverse=True):
        if all_day:
            trigger = all_day_trigger(minutes_before=minutes, at=all_day_at)
        else:
            trigger = timedelta(minutes=-minutes)
        if trigger not in triggers:  # two offsets can round to one all-day reminder
            triggers.append(trigger)
    for trigger in triggers:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", task.title)
        alarm.add("trigger", trigger)
        event.add_component(alarm)
    return event


def render_feed(
    *,
    name: str,
    zone_name: str,
    tasks: Iterable[Task],
    reminders: FeedReminders,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    # The person's zone: apps that honour it show the feed's times there.
    calendar.add("x-wr-timezone", zone_named(zone_name).key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for task in tasks:
        calendar.add_component(
            _event(
                task,
                offsets=reminders.offsets.get(task.id, ()),
                all_day_at=reminders.all_day_time,
            )
        )
    return calendar.to_ical()
