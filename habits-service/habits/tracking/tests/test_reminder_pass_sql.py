"""The set-based reminder pass (PostgreSQL) decides exactly as the row-by-row pass it replaced:
1,000 generated habits (every schedule kind, measurable targets, pauses, check-ins, archived
habits, future start dates, local times in the clock changes' gaps and folds, zones with a
daylight saving change in the window, a 30-minute one and an unknown zone) are run through
both passes every 30 minutes over three days around the spring-forward change of
America/New_York and the next, and every pass leaves the same reminders and the same events.
A pass that fails between claiming its rows and committing sends nothing and loses nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from cotask_common.events.models import OutboxEvent
from habits.engine import weekdays_to_mask
from habits.tracking import reminders
from habits.tracking.models import Checkin, Habit, Pause, Reminder

pytestmark = pytest.mark.django_db

ZONES = (
    "America/New_York",
    "Europe/Kyiv",
    "UTC",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
    "Not/A_Zone",  # an unknown name: UTC, as `zone_named` says
)
TIMES = ("02:30", "01:30", "00:00", "03:00", "07:30", "23:59", "12:15", "02:00")
KINDS = ("daily", "weekdays", "times_per_week", "every_n_days", "times_per_day")


def _need_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the set-based pass is PostgreSQL's")


def _generate(make_user: Any, *, count: int, start: datetime, days: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible cases
    first_day = start.date()
    owners = [make_user(time_zone=rng.choice(ZONES)) for _ in range(count // 8)]
    habits, pauses, checkins, rows = [], [], [], []
    for n in range(count):
        kind = rng.choice(KINDS)
        measurable = rng.random() < 0.3
        habit = Habit(
            owner=rng.choice(owners),
            name=f"H{n:04}",
            kind="measurable" if measurable else "yes_no",
            target_value=Decimal(rng.choice((1, 2, 5))) if measurable else None,
            target_direction=rng.choice(("at_least", "at_most")),
            schedule_kind=kind,
            weekday_mask=weekdays_to_mask(rng.sample(range(7), rng.randint(1, 6)))
            if kind == "weekdays"
            else 0,
            times=rng.randint(1, 7)
            if kind == "times_per_week"
            else rng.randint(1, 3)
            if kind == "times_per_day"
            else 1,
            interval_days=rng.randint(1, 9) if kind == "every_n_days" else 1,
            start_date=first_day + timedelta(days=rng.randint(-400, days)),
            archived_at=start if rng.random() < 0.05 else None,
        )
        habits.append(habit)
    Habit.objects.bulk_create(habits)
    for habit in habits:
        if rng.random() < 0.2:
            begin = first_day + timedelta(days=rng.randint(-3, days))
            pauses.append(
                Pause(habit=habit, start_date=begin, end_date=begin + timedelta(rng.randint(0, 3)))
            )
        for offset in range(-1, days + 1):
            if rng.random() < 0.35:
                value = Decimal(rng.choice((0, 1, 2, 3, 5, 6)))
                checkins.append(
                    Checkin(habit=habit, day=first_day + timedelta(offset), value=value)
                )
        for local in rng.sample(TIMES, rng.randint(1, 3)):
            rows.append(Reminder(habit=habit, local_time=time.fromisoformat(local)))
    Pause.objects.bulk_create(pauses)
    Checkin.objects.bulk_create(checkins)
    Reminder.objects.bulk_create(rows)
    with transaction.atomic():
        for habit in Habit.objects.select_related("owner"):
            reminders.reschedule(habit=habit, now=start)
    # Some reminders start out due already (a pass that ran late), some fired on a day before.
    late = [r.id for r in Reminder.objects.order_by("id") if rng.random() < 0.1]
    Reminder.objects.filter(id__in=late).update(
        next_fire_at=start - timedelta(hours=30), last_fired_day=first_day - timedelta(days=2)
    )


def _state() -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    rows = list(Reminder.objects.order_by("id").values_list("id", "next_fire_at", "last_fired_day"))
    events = sorted(
        (key, repr(sorted(payload["data"].items())))
        for key, payload in OutboxEvent.objects.filter(type="habits.reminder.due").values_list(
            "key", "payload"
        )
    )
    return rows, events


def test_the_set_based_pass_fires_exactly_like_the_row_by_row_pass_over_dst_changes(
    make_user,
) -> None:
    _need_postgresql()
    start = datetime(2026, 3, 6, 12, tzinfo=UTC)  # New York springs forward on 8 March
    _generate(make_user, count=1000, start=start, days=3, seed=2026)
    moment, sent = start, 0
    while moment < start + timedelta(days=3):
        with transaction.atomic():
            before = reminders.send_due_reminders(now=moment, set_based=False, batch_size=5000)
            expected = _state()
            transaction.set_rollback(True)
        # One batch each: an owner's reminders of one instant are listed in one event.
        after = reminders.send_due_reminders(now=moment, set_based=True, batch_size=5000)
        assert (after.sent, after.skipped, after.events) == (
            before.sent,
            before.skipped,
            before.events,
        ), moment
        got = _state()
        assert got[0] == expected[0], moment
        assert got[1] == expected[1], moment
        sent += after.sent
        moment += timedelta(minutes=30)
    assert sent > 1500  # the cases did fire (and skip): not a comparison of two empty passes


def test_both_passes_write_the_same_envelope(make_user) -> None:
    _need_postgresql()
    owner = make_user(time_zone="Europe/Kyiv")
    habit = Habit.objects.create(owner=owner, name='Ünïcode "read"', start_date=date(2026, 1, 1))
    Reminder.objects.create(habit=habit, local_time=time(7, 30))
    now = datetime(2026, 6, 1, 4, 31, tzinfo=UTC)  # 07:31 in Kyiv
    envelopes = []
    for set_based in (False, True):
        with transaction.atomic():
            reminders.reschedule(habit=habit, now=now - timedelta(hours=1))
            reminders.send_due_reminders(now=now, set_based=set_based)
            [event] = OutboxEvent.objects.filter(type="habits.reminder.due")
            envelopes.append((event.topic, event.key, event.payload, event.id))
            transaction.set_rollback(True)
    (topic_a, key_a, payload_a, _id_a), (topic_b, key_b, payload_b, id_b) = envelopes
    assert (topic_a, key_a) == (topic_b, key_b)
    assert payload_b["id"] == str(id_b) and id_b.version == 7
    strip = ("id", "occurred_at")
    assert {k: v for k, v in payload_a.items() if k not in strip} == {
        k: v for k, v in payload_b.items() if k not in strip
    }
    assert payload_b["data"]["habits"] == [
        {"habit_id": str(habit.id), "habit_name": 'Ünïcode "read"'}
    ]


def test_a_failure_between_claim_and_commit_sends_nothing_and_loses_nothing(
    make_user, monkeypatch
) -> None:
    _need_postgresql()
    owner = make_user(time_zone="UTC")
    for n in range(30):
        habit = Habit.objects.create(owner=owner, name=f"F{n}", start_date=date(2026, 1, 1))
        Reminder.objects.create(habit=habit, local_time=time(8, 0))
        with transaction.atomic():
            reminders.reschedule(habit=habit, now=datetime(2026, 6, 1, tzinfo=UTC))
    due_at = datetime(2026, 6, 1, 8, 1, tzinfo=UTC)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the worker died after claiming")

    monkeypatch.setattr(reminders, "_answer", broken)
    with pytest.raises(RuntimeError):
        reminders.send_due_reminders(now=due_at, batch_size=10)
    assert not OutboxEvent.objects.filter(type="habits.reminder.due").exists()
    assert Reminder.objects.filter(next_fire_at__lte=due_at).count() == 30
    monkeypatch.undo()
    result = reminders.send_due_reminders(now=due_at, batch_size=10)
    assert (result.sent, result.batches) == (30, 3)
    # The owner's 30 reminders in the batches they were claimed in: one event per batch.
    events = OutboxEvent.objects.filter(type="habits.reminder.due")
    assert sorted(len(e.payload["data"]["habits"]) for e in events) == [10, 10, 10]
