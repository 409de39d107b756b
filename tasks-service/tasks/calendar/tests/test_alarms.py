"""Reminders as VALARMs: the person's defaults, a task's override, all-day deadlines at the
person's all-day time, and the same offsets `tasks.reminders.selectors.offsets_for` gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tasks.calendar.ical import all_day_trigger
from tasks.calendar.tests.conftest import (
    events_by_summary,
    fetch,
    parse_both,
    vevents_by_summary,
)
from tasks.reminders import selectors as reminders
from tasks.reminders.models import ReminderSettings, TaskReminderOverride

pytestmark = pytest.mark.django_db

YEAR = datetime.now(UTC).year + 1


def _triggers(event) -> list[timedelta]:
    return [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]


def _vtriggers(vevent) -> list[timedelta]:
    return [alarm.trigger.value for alarm in getattr(vevent, "valarm_list", [])]


def test_timed_deadlines_get_the_default_offsets_as_alarms(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user(time_zone="Europe/Kyiv")
    task_in(
        room_of(person),
        person,
        "Ship",
        due=datetime(YEAR, 2, 1, 15, tzinfo=UTC),
        assignees=[person],
    )

    body = fetch(new_feed(person)).content

    assert b"BEGIN:VALARM" in body and b"ACTION:DISPLAY" in body
    first, second = parse_both(body)
    expected = [timedelta(days=-1), timedelta(hours=-1)]  # a day and an hour before
    assert _triggers(events_by_summary(first)["Ship"]) == expected
    assert _vtriggers(vevents_by_summary(second)["Ship"]) == expected


def test_a_task_override_and_my_settings_decide_the_alarms(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user()
    room = room_of(person)
    due = datetime(YEAR, 2, 1, 15, tzinfo=UTC)
    overridden = task_in(room, person, "Overridden", due=due, assignees=[person])
    task_in(room, person, "Mine", due=due, assignees=[person])
    silent = task_in(room, person, "Silent", due=due, assignees=[person])
    TaskReminderOverride.objects.create(task=overridden, offsets_minutes=[30])
    TaskReminderOverride.objects.create(task=silent, offsets_minutes=[])
    ReminderSettings.objects.create(user=person, offsets_minutes=[10, 2880], all_day_time=time(8))

    first, second = parse_both(fetch(new_feed(person)).content)

    events = events_by_summary(first)
    assert _triggers(events["Overridden"]) == [timedelta(minutes=-30)]
    assert _triggers(events["Mine"]) == [timedelta(days=-2), timedelta(minutes=-10)]
    assert _triggers(events["Silent"]) == []
    assert _vtriggers(vevents_by_summary(second)["Mine"]) == [
        timedelta(days=-2),
        timedelta(minutes=-10),
    ]


def test_all_day_deadlines_remind_at_my_all_day_time(make_user, room_of, task_in, new_feed) -> None:
    person = make_user(time_zone="America/New_York")
    ReminderSettings.objects.create(
        user=person, offsets_minutes=[1440, 60, 0], all_day_time=time(8, 30)
    )
    task_in(room_of(person), person, "Taxes", due=date(YEAR, 4, 15), assignees=[person])

    first, second = parse_both(fetch(new_feed(person)).content)

    # A day before at 08:30, and on the day at 08:30 (an hour and zero both round to the day).
    expected = [timedelta(hours=8, minutes=30) - timedelta(days=1), timedelta(hours=8, minutes=30)]
    assert _triggers(events_by_summary(first)["Taxes"]) == expected
    assert _vtriggers(vevents_by_summary(second)["Taxes"]) == expected


@pytest.mark.parametrize(
    ("minutes", "days"), [(0, 0), (60, 0), (719, 0), (720, 1), (1440, 1), (2159, 1), (2160, 2)]
)
def test_an_all_day_offset_rounds_to_whole_days(minutes: int, days: int) -> None:
    assert all_day_trigger(minutes_before=minutes, at=time(9)) == timedelta(hours=9) - timedelta(
        days=days
    )


def test_the_feed_s_offsets_are_those_of_the_reminders_app(
    make_user, room_of, task_in, new_feed
) -> None:
    owner, member = make_user(), make_user()
    room = room_of(owner, member)
    ReminderSettings.objects.create(user=owner, offsets_minutes=[90, 5], all_day_time=time(7))
    ReminderSettings.objects.create(user=member, offsets_minutes=[15], all_day_time=time(10))
    tasks = [
        task_in(room, owner, f"T{i}", due=datetime(YEAR, 3, 1 + i, 12, tzinfo=UTC))
        for i in range(4)
    ]
    TaskReminderOverride.objects.create(task=tasks[1], offsets_minutes=[45, 3])

    # The room feed of the member: the member's own reminders.
    first, _ = parse_both(fetch(new_feed(member, room)).content)

    events = events_by_summary(first)
    for task in tasks:
        minutes = reminders.offsets_for(task_id=task.id, user_id=member.id)
        assert _triggers(events[task.title]) == [timedelta(minutes=-m) for m in minutes]
