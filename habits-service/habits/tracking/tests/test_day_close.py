"""The day close: at the owner's local midnight the beat evaluates the habit again and
announces a spent freeze or a broken streak once (not again on a second pass, nor for a habit
whose day is not over), and the next close is the next local midnight — across daylight saving
changes and after a move to another zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from cotask_common.events.testing import published_events
from habits import engine
from habits.tracking import reminders
from habits.tracking.models import Checkin, Habit

pytestmark = pytest.mark.django_db

KYIV = ZoneInfo("Europe/Kyiv")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def midnight(day: date, zone: ZoneInfo = KYIV) -> datetime:
    return engine.local_instant(day, datetime.min.time(), zone)


def announced() -> list[tuple[str, dict]]:
    return [
        (e.type, {k: v for k, v in e.data.items() if k not in ("habit_id", "owner_id")})
        for e in published_events(type_prefix="habits.")
        if e.type in ("habits.freeze.used", "habits.streak.broken")
    ]


@pytest.fixture
def streak_of_ten(make_user) -> Habit:
    """A daily habit in Kyiv done on each of the 10 days before today (one freeze earned)."""
    today = datetime.now(KYIV).date()
    owner = make_user(time_zone="Europe/Kyiv")
    habit = Habit.objects.create(owner=owner, name="Read", start_date=today - timedelta(days=10))
    Checkin.objects.bulk_create(
        [Checkin(habit=habit, day=today - timedelta(days=n)) for n in range(1, 11)]
    )
    with transaction.atomic():
        reminders.reschedule(habit=habit)
        from habits.tracking import services

        services.refresh_figures(
            Habit.objects.select_related("owner").get(id=habit.id), today=today
        )
    habit.refresh_from_db()
    assert (habit.current_streak, habit.freezes_held) == (10, 1)
    assert habit.next_evaluation_at == midnight(today + timedelta(days=1))
    return habit


def test_a_missed_day_spends_the_freeze_then_breaks_the_streak_each_told_once(
    streak_of_ten: Habit,
) -> None:
    habit = streak_of_ten
    today = datetime.now(KYIV).date()
    # Not yet midnight in Kyiv: nothing closes.
    assert (
        reminders.close_due_days(
            now=midnight(today + timedelta(days=1)) - timedelta(seconds=1)
        ).batches
        == 0
    )
    # Midnight: today ended without a check-in; the held freeze covers it.
    first = midnight(today + timedelta(days=1))
    assert reminders.close_due_days(now=first).sent == 1
    assert announced() == [
        (
            "habits.freeze.used",
            {
                "habit_name": "Read",
                "day": today.isoformat(),
                "freezes_left": 0,
                "current_streak": 10,
                "streak_unit": "day",
            },
        )
    ]
    habit.refresh_from_db()
    assert (habit.current_streak, habit.freezes_held) == (10, 0)
    assert habit.evaluated_through == today
    assert habit.next_evaluation_at == midnight(today + timedelta(days=2))
    # Run again at the same instant (a second beat, a retry): nothing more.
    assert reminders.close_due_days(now=first).sent == 0
    # The next day is missed too, with no freeze left: the streak of 10 breaks.
    assert reminders.close_due_days(now=midnight(today + timedelta(days=2))).sent == 1
    assert announced()[1:] == [
        (
            "habits.streak.broken",
            {
                "habit_name": "Read",
                "length": 10,
                "streak_unit": "day",
                "day": (today + timedelta(days=1)).isoformat(),
            },
        )
    ]
    habit.refresh_from_db()
    assert habit.current_streak == 0
    # A pass that comes days late announces nothing twice and nothing for a streak of 0.
    assert reminders.close_due_days(now=midnight(today + timedelta(days=5))).sent == 0
    assert len(announced()) == 2


def test_a_done_day_closes_quietly(streak_of_ten: Habit) -> None:
    today = datetime.now(KYIV).date()
    Checkin.objects.create(habit=streak_of_ten, day=today)
    assert reminders.close_due_days(now=midnight(today + timedelta(days=1))).sent == 0
    assert announced() == []
    streak_of_ten.refresh_from_db()
    assert (streak_of_ten.current_streak, streak_of_ten.freezes_held) == (11, 1)


def test_an_archived_habit_is_not_closed(streak_of_ten: Habit) -> None:
    today = datetime.now(KYIV).date()
    Habit.objects.filter(id=streak_of_ten.id).update(archived_at=utc(2026, 1, 1))
    assert reminders.close_due_days(now=midnight(today + timedelta(days=1))).sent == 0
    streak_of_ten.refresh_from_db()
    assert streak_of_ten.next_evaluation_at is None and announced() == []


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # Kyiv: midnight of 03-29 is 22:00 UTC (EET); that day the clocks spring forward, so
        # the next midnight is 21:00 UTC (EEST).
        ("Europe/Kyiv", utc(2026, 3, 28, 22), utc(2026, 3, 29, 21)),
        ("Europe/Kyiv", utc(2026, 10, 24, 21), utc(2026, 10, 25, 22)),  # fall back: 25 hours
        # New York: 03-08 springs forward (a 23-hour day), 11-01 falls back (25 hours).
        ("America/New_York", utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),
        ("America/New_York", utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
    ],
)
def test_the_next_close_is_the_next_local_midnight_across_dst(
    make_user, zone: str, now: datetime, expected: datetime
) -> None:
    owner = make_user(time_zone=zone)
    habit = Habit.objects.create(
        owner=owner, name="Run", start_date=date(2026, 1, 1), next_evaluation_at=now
    )
    reminders.close_due_days(now=now)
    habit.refresh_from_db()
    assert habit.next_evaluation_at == expected
    local = expected.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)


def test_the_beat_runs_both_passes_every_minute(settings) -> None:
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    schedule = settings.CELERY_BEAT_SCHEDULE
    for name, task in (
        ("habits-send-due-reminders", "habits.send_due_reminders"),
        ("habits-close-due-days", "habits.close_due_days"),
    ):
        assert schedule[name]["task"] == task
        assert task in app.tasks
        # crontab(): at the start of every minute
        assert schedule[name]["schedule"].remaining_estimate(datetime.now(UTC)) <= timedelta(
            minutes=1
        )
