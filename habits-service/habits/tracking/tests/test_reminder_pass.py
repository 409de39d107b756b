"""The reminder pass: a reminder fires at its local time on scheduled days (across daylight
saving changes in Europe/Kyiv and America/New_York, and after a move to another zone), once,
not when the day is done, paused, archived or over; two passes at the same moment and a pass
that crashes mid-way still send each reminder exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from cotask_common.events.testing import published_events
from cotask_common.testing.concurrency import overlap_then_kill_the_first
from habits.tracking import reminders
from habits.tracking.models import Checkin, Habit, Pause, Reminder

pytestmark = pytest.mark.django_db


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def habit_for(make_user):
    """`habit_for(zone, *times, **habit fields)`: a habit of a new owner living in `zone` with
    reminders at the local `times`, scheduled as of `now` (default: 2026-03-01)."""

    def make(zone: str, *times: str, now: datetime | None = None, **fields) -> Habit:
        owner = make_user(time_zone=zone)
        fields.setdefault("start_date", date(2026, 1, 1))
        habit = Habit.objects.create(owner=owner, name=fields.pop("name", "Read"), **fields)
        for t in times:
            Reminder.objects.create(habit=habit, local_time=time.fromisoformat(t))
        with transaction.atomic():
            reminders.reschedule(habit=habit, now=now or utc(2026, 3, 1))
        return habit

    return make


def fire_times(habit: Habit) -> list[datetime | None]:
    return list(
        Reminder.objects.filter(habit=habit)
        .order_by("local_time")
        .values_list("next_fire_at", flat=True)
    )


def sent() -> list[tuple[str, str, str]]:
    """Every reminder sent, as (habit name, day, local time), event after event."""
    return [
        (habit["habit_name"], e.data["day"], e.data["local_time"])
        for e in published_events(type_prefix="habits.reminder.due")
        for habit in e.data["habits"]
    ]


def test_a_reminder_fires_at_its_local_time_once(habit_for) -> None:
    habit = habit_for("Europe/Kyiv", "07:30", now=utc(2026, 2, 10, 12))
    assert fire_times(habit) == [utc(2026, 2, 11, 5, 30)]  # 07:30 at UTC+2
    assert reminders.send_due_reminders(now=utc(2026, 2, 11, 5, 29)).sent == 0
    result = reminders.send_due_reminders(now=utc(2026, 2, 11, 5, 30))
    assert (result.sent, result.skipped) == (1, 0)
    assert sent() == [("Read", "2026-02-11", "07:30")]
    [event] = published_events(type_prefix="habits.reminder.due")
    assert event.key == str(habit.owner_id) and event.data["owner_id"] == str(habit.owner_id)
    assert event.version == 2 and event.data["habits"] == [
        {"habit_id": str(habit.id), "habit_name": "Read"}
    ]
    assert fire_times(habit) == [utc(2026, 2, 12, 5, 30)]
    assert reminders.send_due_reminders(now=utc(2026, 2, 11, 5, 31)).sent == 0
    assert len(sent()) == 1


@pytest.mark.parametrize(
    ("zone", "local", "day", "expected"),
    [
        # Kyiv springs forward on 2026-03-29 (03:00 → 04:00): 07:30 is 04:30 UTC that day,
        # 05:30 the day before.
        ("Europe/Kyiv", "07:30", date(2026, 3, 28), utc(2026, 3, 28, 5, 30)),
        ("Europe/Kyiv", "07:30", date(2026, 3, 29), utc(2026, 3, 29, 4, 30)),
        # and falls back on 2026-10-25 (04:00 → 03:00): 07:30 is 05:30 UTC again.
        ("Europe/Kyiv", "07:30", date(2026, 10, 24), utc(2026, 10, 24, 4, 30)),
        ("Europe/Kyiv", "07:30", date(2026, 10, 25), utc(2026, 10, 25, 5, 30)),
        # a local 03:30 on the spring-forward day does not exist in Kyiv: shifted by the gap.
        ("Europe/Kyiv", "03:30", date(2026, 3, 29), utc(2026, 3, 29, 1, 30)),
        # New York springs forward on 2026-03-08 (02:00 → 03:00), falls back on 2026-11-01.
        ("America/New_York", "07:30", date(2026, 3, 7), utc(2026, 3, 7, 12, 30)),
        ("America/New_York", "07:30", date(2026, 3, 8), utc(2026, 3, 8, 11, 30)),
        ("America/New_York", "02:30", date(2026, 3, 8), utc(2026, 3, 8, 7, 30)),  # 03:30 EDT
        ("America/New_York", "07:30", date(2026, 11, 1), utc(2026, 11, 1, 12, 30)),
        # 01:30 happens twice on the fall-back day: it fires once, at the first (EDT).
        ("America/New_York", "01:30", date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),
    ],
)
def test_daylight_saving_changes(habit_for, zone, local, day, expected) -> None:
    # Scheduled the evening before, in the owner's zone.
    habit = habit_for(zone, local, now=utc(day.year, day.month, day.day) - timedelta(hours=1))
    assert fire_times(habit) == [expected]
    assert reminders.send_due_reminders(now=expected - timedelta(seconds=1)).sent == 0
    assert reminders.send_due_reminders(now=expected).sent == 1
    assert sent() == [("Read", day.isoformat(), local)]
    # The next one is the next day's local time, one firing only (the repeated hour too).
    [following] = fire_times(habit)
    assert following is not None
    assert following.astimezone(reminders.owner_zone(habit)).date() == day + timedelta(days=1)
    assert reminders.send_due_reminders(now=following - timedelta(seconds=1)).sent == 0


def test_a_move_to_another_zone_moves_the_reminders_and_never_repeats_a_day(habit_for) -> None:
    habit = habit_for("Europe/Kyiv", "07:30", now=utc(2026, 12, 2, 12))
    assert fire_times(habit) == [utc(2026, 12, 3, 5, 30)]
    assert reminders.send_due_reminders(now=utc(2026, 12, 3, 5, 30)).sent == 1
    # At 09:00 in Kyiv the owner flies to New York, where it is 02:00 of the same date.
    habit.owner.time_zone = "America/New_York"
    habit.owner.save(update_fields=["time_zone"])
    reminders.reschedule_owner(owner_id=habit.owner_id, now=utc(2026, 12, 3, 7))
    # The day's close follows the zone too: the next midnight in New York.
    habit.refresh_from_db()
    assert habit.next_evaluation_at == utc(2026, 12, 4, 5)
    # 07:30 comes again on 2026-12-03 in New York: that day had its reminder, so none more.
    assert fire_times(habit) == [utc(2026, 12, 3, 12, 30)]
    result = reminders.send_due_reminders(now=utc(2026, 12, 3, 12, 30))
    assert (result.sent, result.skipped) == (0, 1)
    assert fire_times(habit) == [utc(2026, 12, 4, 12, 30)]
    assert reminders.send_due_reminders(now=utc(2026, 12, 4, 12, 30)).sent == 1
    assert sent() == [("Read", "2026-12-03", "07:30"), ("Read", "2026-12-04", "07:30")]


def test_a_move_east_fires_at_the_new_zones_local_time(habit_for) -> None:
    habit = habit_for("America/New_York", "07:30", now=utc(2026, 12, 2, 20))
    assert fire_times(habit) == [utc(2026, 12, 3, 12, 30)]
    habit.owner.time_zone = "Asia/Tokyo"
    habit.owner.save(update_fields=["time_zone"])
    reminders.reschedule_owner(owner_id=habit.owner_id, now=utc(2026, 12, 2, 20))
    assert fire_times(habit) == [utc(2026, 12, 2, 22, 30)]  # 07:30 on the 3rd in Tokyo


def test_no_reminder_on_a_done_day_a_paused_day_or_for_an_archived_habit(habit_for) -> None:
    now = utc(2026, 5, 31, 12)
    done = habit_for("UTC", "08:00", now=now, name="Done")
    partial = habit_for(
        "UTC", "08:00", now=now, name="Twice", schedule_kind="times_per_day", times=2
    )
    paused = habit_for("UTC", "08:00", now=now, name="Paused")
    archived = habit_for("UTC", "08:00", now=now, name="Archived")
    Checkin.objects.create(habit=done, day=date(2026, 6, 1))
    Checkin.objects.create(habit=partial, day=date(2026, 6, 1), value=Decimal(1))  # 1 of 2
    # A pause added without rescheduling (the pass checks it too).
    Pause.objects.create(habit=paused, start_date=date(2026, 6, 1), end_date=date(2026, 6, 2))
    Habit.objects.filter(id=archived.id).update(archived_at=now)
    result = reminders.send_due_reminders(now=utc(2026, 6, 1, 8))
    assert (result.sent, result.skipped) == (1, 3)
    assert sent() == [("Twice", "2026-06-01", "08:00")]
    assert fire_times(done) == [utc(2026, 6, 2, 8)]
    assert fire_times(paused) == [utc(2026, 6, 3, 8)]  # over the pause
    assert fire_times(archived) == [None]


def test_only_scheduled_days_fire(habit_for) -> None:
    # Mondays and Thursdays (bits 0 and 3); 2026-06-01 is a Monday.
    habit = habit_for(
        "Europe/Kyiv",
        "20:00",
        now=utc(2026, 6, 1, 6),
        schedule_kind="weekdays",
        weekday_mask=0b1001,
    )
    assert fire_times(habit) == [utc(2026, 6, 1, 17)]
    assert reminders.send_due_reminders(now=utc(2026, 6, 1, 17)).sent == 1
    assert fire_times(habit) == [utc(2026, 6, 4, 17)]


def test_a_late_pass_does_not_send_a_day_that_is_over(habit_for) -> None:
    habit = habit_for("UTC", "08:00", now=utc(2026, 6, 1, 6))
    # The workers were down until the next afternoon: nothing for 06-01; 06-02's 08:00 fires.
    result = reminders.send_due_reminders(now=utc(2026, 6, 2, 15))
    assert (result.sent, result.skipped) == (0, 1)
    assert fire_times(habit) == [utc(2026, 6, 3, 8)]
    # the same day, late: still sent
    assert reminders.send_due_reminders(now=utc(2026, 6, 3, 20)).sent == 1


@pytest.mark.parametrize("set_based", [False, True])
def test_the_pass_reads_a_batch_in_a_bounded_number_of_queries(habit_for, set_based) -> None:
    from django.test.utils import CaptureQueriesContext

    if set_based and connection.vendor != "postgresql":
        pytest.skip("the set-based pass is PostgreSQL's")

    for n in range(30):
        habit_for(["UTC", "Europe/London"][n % 2], "08:00", "08:30", now=utc(2026, 6, 1))
    with CaptureQueriesContext(connection) as queries:
        result = reminders.send_due_reminders(
            now=utc(2026, 6, 1, 9), batch_size=1000, set_based=set_based
        )
    assert result.sent == 60 and result.batches == 1
    # row by row: select, pauses, check-ins, outbox (+ notify), advance; set-based: claim,
    # keys, the statement that writes, drop; and the transaction's own
    assert len(queries) <= 9, [q["sql"][:80] for q in queries]


@pytest.mark.parametrize("set_based", [False, True])
def test_an_owner_hears_once_per_instant_of_every_habit_due_then(make_user, set_based) -> None:
    """One event per owner and reminder instant lists the habits due then (in the owner's
    order, a done one left out); another owner, or another time, is another event; a list
    longer than `MAX_REMINDED_HABITS` is split."""
    from cotask_common.contracts.habits import MAX_REMINDED_HABITS

    if set_based and connection.vendor != "postgresql":
        pytest.skip("the set-based pass is PostgreSQL's")
    owner, other = make_user(time_zone="Europe/Kyiv"), make_user(time_zone="Europe/Kyiv")

    def habit(person, name: str, position: int, *times: str) -> Habit:
        made = Habit.objects.create(
            owner=person, name=name, position=position, start_date=date(2026, 1, 1)
        )
        for t in times:
            Reminder.objects.create(habit=made, local_time=time.fromisoformat(t))
        with transaction.atomic():
            reminders.reschedule(habit=made, now=utc(2026, 6, 1))
        return made

    read, run = habit(owner, "Read", 2, "07:30"), habit(owner, "Run", 0, "07:30", "08:00")
    write = habit(owner, "Write", 1, "07:30")
    done = habit(owner, "Stretch", 3, "07:30")
    Checkin.objects.create(habit=done, day=date(2026, 6, 1), value=1)
    theirs = habit(other, "Read", 0, "07:30")
    # 07:45 in Kyiv (UTC+3): 08:00 is not due yet
    result = reminders.send_due_reminders(now=utc(2026, 6, 1, 4, 45), set_based=set_based)
    assert (result.sent, result.skipped, result.events) == (4, 1, 2)
    events = {e.key: e for e in published_events(type_prefix="habits.reminder.due")}
    mine = events[str(owner.id)]
    assert mine.version == 2
    assert mine.data == {
        "owner_id": str(owner.id),
        "day": "2026-06-01",
        "local_time": "07:30",
        "habits": [
            {"habit_id": str(run.id), "habit_name": "Run"},
            {"habit_id": str(write.id), "habit_name": "Write"},
            {"habit_id": str(read.id), "habit_name": "Read"},
        ],
    }
    assert events[str(other.id)].data["habits"] == [
        {"habit_id": str(theirs.id), "habit_name": "Read"}
    ]
    later = reminders.send_due_reminders(now=utc(2026, 6, 1, 5), set_based=set_based)
    assert (later.sent, later.events) == (1, 1)
    assert sent()[-1] == ("Run", "2026-06-01", "08:00")

    many = make_user(time_zone="UTC")
    for n in range(MAX_REMINDED_HABITS + 2):
        habit(many, f"H{n:02}", n, "09:00")
    split = reminders.send_due_reminders(now=utc(2026, 6, 1, 9), set_based=set_based)
    assert (split.sent, split.events) == (MAX_REMINDED_HABITS + 2, 2)
    lists = [
        [h["habit_name"] for h in e.data["habits"]]
        for e in published_events(type_prefix="habits.reminder.due")
        if e.key == str(many.id)
    ]
    assert sorted(lists, key=len, reverse=True) == [
        [f"H{n:02}" for n in range(MAX_REMINDED_HABITS)],
        [f"H{n:02}" for n in range(MAX_REMINDED_HABITS, MAX_REMINDED_HABITS + 2)],
    ]


# ---------------------------------------------------------------------------------------------
# Two passes at once, and a crash


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_passes_send_each_reminder_once_and_a_crash_loses_none(habit_for) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    for n in range(40):
        habit_for("UTC", "08:00", now=utc(2026, 6, 1), name=f"H{n:02}")
    due_at = utc(2026, 6, 1, 8)

    # Two passes overlap, each holding the rows it claimed; the first dies (its session is
    # killed) while it holds its 15. One session each, so each pass is one waiting session.
    _first, second = overlap_then_kill_the_first(
        lambda: reminders.send_due_reminders(now=due_at, batch_size=15, sessions=1)
    )
    third = reminders.send_due_reminders(now=due_at)
    names = [name for name, _day, _at in sent()]
    assert sorted(names) == [f"H{n:02}" for n in range(40)]  # each exactly once
    assert second.result.sent + third.sent == 40
    assert Reminder.objects.filter(next_fire_at__lte=due_at).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_pass_in_two_sessions_sends_each_reminder_once(habit_for) -> None:
    """Outside a transaction the set-based pass runs its batches in two sessions at once
    (`SQL_SESSIONS`): they share the due rows through SKIP LOCKED, so each reminder is sent
    once, every row moves on, and the counts add up; a bounded pass stops at its batches."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and several sessions are PostgreSQL's")
    for n in range(60):
        habit_for("UTC", "08:00", now=utc(2026, 6, 1), name=f"H{n:02}")
    done = Habit.objects.get(name="H07")
    Checkin.objects.create(habit=done, day=date(2026, 6, 1), value=1)
    due_at = utc(2026, 6, 1, 8)

    bounded = reminders.send_due_reminders(now=due_at, batch_size=5, max_batches=3, sessions=2)
    assert bounded.batches == 3 and bounded.sent + bounded.skipped == 15
    result = reminders.send_due_reminders(now=due_at, batch_size=7, sessions=2)
    names = sorted(name for name, _day, _at in sent())
    assert names == [f"H{n:02}" for n in range(60) if n != 7]  # each exactly once
    assert bounded.sent + result.sent == 59 and bounded.skipped + result.skipped == 1
    assert Reminder.objects.filter(next_fire_at__lte=due_at).count() == 0
    assert set(Reminder.objects.values_list("next_fire_at", flat=True)) == {utc(2026, 6, 2, 8)}
