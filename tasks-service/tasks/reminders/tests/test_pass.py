"""The pass: reminders come once at the right local time (also across daylight saving changes
in Europe/Kyiv and America/New_York), not for completed tasks, move with the deadline, go with
it; overdue is told once per deadline."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from tasks.planning import services
from tasks.planning.models import Status
from tasks.reminders import sending
from tasks.reminders.models import Kind, Reminder, ReminderSettings
from tasks.reminders.tests.conftest import due_events, utc

pytestmark = pytest.mark.django_db


def _notices() -> list:
    return [
        e for e in due_events("tasks.") if e.type in ("tasks.reminder.due", "tasks.task.overdue")
    ]


def run_minutes(
    clock, start: datetime, end: datetime, step: timedelta = timedelta(minutes=1)
) -> list[tuple[datetime, str, int]]:
    """A moving clock: one pass at every `step` (a minute, as the beat) from `start` to `end`;
    what each sent, with the clock's time."""
    fired = []
    seen = len(_notices())
    at = start
    while at <= end:
        clock.set(at)
        sending.send_due_reminders(now=at)
        events = _notices()
        for event in events[seen:]:
            fired.append((at, event.type, event.data.get("minutes_before", -1)))
        seen = len(events)
        at += step
    return fired


def test_a_timed_deadline_reminds_once_per_offset_then_tells_overdue(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    fired = run_minutes(clock, utc(2026, 6, 2, 11, 58), utc(2026, 6, 2, 12, 2))
    assert fired == [(utc(2026, 6, 2, 12), "tasks.reminder.due", 1440)]
    fired = run_minutes(clock, utc(2026, 6, 3, 10, 59), utc(2026, 6, 3, 12, 1))
    assert fired == [
        (utc(2026, 6, 3, 11), "tasks.reminder.due", 60),
        (utc(2026, 6, 3, 12), "tasks.task.overdue", -1),
    ]
    [_first, reminder, overdue] = _notices()
    assert reminder.data["recipient_ids"] == [str(team.member.id)]
    assert reminder.data["task_id"] == str(task.id)
    assert overdue.data["recipient_ids"] == [str(team.member.id)]
    # Nothing more, however often the pass runs afterwards.
    assert run_minutes(clock, utc(2026, 6, 3, 12, 2), utc(2026, 6, 3, 12, 5)) == []
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("zone", "due_day", "expected_utc"),
    [
        # Kyiv: EET (+2) until 2026-03-29 03:00, then EEST (+3). 09:00 local on the 28th is
        # 07:00Z, on the 29th (after the change) 06:00Z.
        ("Europe/Kyiv", date(2026, 3, 29), [utc(2026, 3, 28, 7), utc(2026, 3, 29, 6)]),
        # Back to EET on 2026-10-25 04:00.
        ("Europe/Kyiv", date(2026, 10, 25), [utc(2026, 10, 24, 6), utc(2026, 10, 25, 7)]),
        # New York: EST (-5) until 2026-03-08 02:00, then EDT (-4); back on 2026-11-01.
        ("America/New_York", date(2026, 3, 8), [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]),
        ("America/New_York", date(2026, 11, 1), [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]),
    ],
)
def test_an_all_day_deadline_reminds_at_the_local_time_across_a_clock_change(
    clock, team, new_task, zone, due_day, expected_utc
):
    team.member.time_zone = zone
    team.member.save(update_fields=["time_zone"])
    ReminderSettings.objects.create(
        user=team.member, offsets_minutes=[1440, 60], all_day_time=time(9, 0)
    )
    new_task(at=utc(2026, 1, 1), due=due_day, assignee_ids=[team.member.id])
    # A pass every 15 minutes over the day between (the expected instants are on the steps).
    start, end = expected_utc[0] - timedelta(hours=2), expected_utc[1] + timedelta(hours=2)
    fired = run_minutes(clock, start, end, step=timedelta(minutes=15))
    assert fired == [
        (expected_utc[0], "tasks.reminder.due", 1440),
        (expected_utc[1], "tasks.reminder.due", 60),
    ]


@pytest.mark.parametrize(
    ("zone", "due", "expected"),
    [
        # 09:00 Kyiv on the day of the spring change (06:00Z, +3): "a day before" is 09:00
        # local the day before (07:00Z, +2), not 24 h earlier (06:00Z).
        ("Europe/Kyiv", utc(2026, 3, 29, 6), utc(2026, 3, 28, 7)),
        # 09:00 New York on the day clocks go back (14:00Z, -5): 09:00 EDT before (13:00Z).
        ("America/New_York", utc(2026, 11, 1, 14), utc(2026, 10, 31, 13)),
    ],
)
def test_a_day_before_a_timed_deadline_keeps_the_local_wall_time(
    clock, team, new_task, zone, due, expected
):
    team.member.time_zone = zone
    team.member.save(update_fields=["time_zone"])
    ReminderSettings.objects.create(user=team.member, offsets_minutes=[1440])
    new_task(at=utc(2026, 1, 1), due=due, assignee_ids=[team.member.id])
    fired = run_minutes(clock, expected - timedelta(minutes=70), expected + timedelta(minutes=70))
    assert fired == [(expected, "tasks.reminder.due", 1440)]


def test_a_completed_task_is_not_reminded_nor_overdue(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    clock.set(utc(2026, 6, 2))
    services.update_task(actor=team.owner, task_id=task.id, status=Status.COMPLETED)
    assert not Reminder.objects.filter(task=task).exists()
    sending.send_due_reminders(now=utc(2026, 6, 4))
    assert due_events("tasks.reminder") == due_events("tasks.task.overdue") == []


def test_a_completed_task_claimed_by_a_stale_row_is_skipped(clock, team, new_task):
    """Even a row the hook missed (completed by another path) is not sent."""
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    type(task).objects.filter(id=task.id).update(status=Status.COMPLETED)
    result = sending.send_due_reminders(now=utc(2026, 6, 4))
    assert result.sent == result.overdue == 0 and result.skipped == 3
    assert due_events("tasks.reminder") == []


def test_a_changed_deadline_reschedules_and_a_removed_one_cancels(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    run_minutes(clock, utc(2026, 6, 2, 12), utc(2026, 6, 2, 12))  # the day-before one is sent
    clock.set(utc(2026, 6, 2, 13))
    services.update_task(actor=team.owner, task_id=task.id, due=utc(2026, 6, 5, 12))
    rows = dict(
        Reminder.objects.filter(task=task, kind=Kind.REMINDER).values_list(
            "minutes_before", "remind_at"
        )
    )
    assert rows == {1440: utc(2026, 6, 4, 12), 60: utc(2026, 6, 5, 11)}
    assert run_minutes(clock, utc(2026, 6, 3, 10, 59), utc(2026, 6, 3, 12, 1)) == []
    fired = run_minutes(clock, utc(2026, 6, 4, 12), utc(2026, 6, 4, 12))
    assert fired == [(utc(2026, 6, 4, 12), "tasks.reminder.due", 1440)]
    clock.set(utc(2026, 6, 4, 13))
    services.update_task(actor=team.owner, task_id=task.id, due=None)
    assert not Reminder.objects.filter(task=task).exists()
    assert run_minutes(clock, utc(2026, 6, 5, 11), utc(2026, 6, 5, 12, 1)) == []


def test_the_creator_is_reminded_when_nobody_is_assigned(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), actor=team.admin)
    assert set(Reminder.objects.filter(task=task).values_list("user_id", flat=True)) == {
        team.admin.id
    }
    clock.set(utc(2026, 6, 1, 1))
    services.update_task(
        actor=team.admin, task_id=task.id, assignee_ids=[team.member.id, team.owner.id]
    )
    assert set(Reminder.objects.filter(task=task).values_list("user_id", flat=True)) == {
        team.member.id,
        team.owner.id,
    }


def test_overdue_is_told_once_per_deadline(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 1, 12), assignee_ids=[team.member.id])
    fired = run_minutes(clock, utc(2026, 6, 1, 12), utc(2026, 6, 1, 12, 3))
    assert fired == [(utc(2026, 6, 1, 12), "tasks.task.overdue", -1)]
    # Reopened or edited without a new deadline: no second notice.
    clock.set(utc(2026, 6, 1, 13))
    services.update_task(actor=team.owner, task_id=task.id, title="Ship it now")
    services.update_task(actor=team.owner, task_id=task.id, assignee_ids=[team.member.id])
    assert run_minutes(clock, utc(2026, 6, 1, 13, 1), utc(2026, 6, 1, 13, 3)) == []
    # A new deadline can be overdue again.
    services.update_task(actor=team.owner, task_id=task.id, due=utc(2026, 6, 1, 14))
    fired = run_minutes(clock, utc(2026, 6, 1, 14), utc(2026, 6, 1, 14, 1))
    assert fired == [(utc(2026, 6, 1, 14), "tasks.task.overdue", -1)]


def test_an_all_day_deadline_is_overdue_at_the_local_midnight_after_it(clock, team, new_task):
    new_task(at=utc(2026, 6, 1), due=date(2026, 6, 3), assignee_ids=[team.owner.id])
    # Kyiv is +3 in June: the 3rd ends at 21:00Z.
    fired = run_minutes(clock, utc(2026, 6, 3, 20, 58), utc(2026, 6, 3, 21, 1))
    fired = [f for f in fired if f[1] == "tasks.task.overdue"]
    assert fired == [(utc(2026, 6, 3, 21), "tasks.task.overdue", -1)]


def test_a_late_pass_tells_overdue_rather_than_a_passed_reminder(clock, team, new_task):
    new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    result = sending.send_due_reminders(now=utc(2026, 6, 3, 12, 30))
    assert (result.sent, result.overdue, result.skipped) == (0, 1, 2)


def test_a_past_reminder_is_not_made_for_a_near_deadline(clock, team, new_task):
    task = new_task(
        at=utc(2026, 6, 1, 11), due=utc(2026, 6, 1, 12, 30), assignee_ids=[team.member.id]
    )
    assert set(Reminder.objects.filter(task=task).values_list("kind", "minutes_before")) == {
        (Kind.REMINDER, 60),
        (Kind.OVERDUE, 0),
    }


def test_a_zone_change_moves_pending_reminders(clock, team, new_task):
    from tasks.reminders.scheduling import reschedule_person

    task = new_task(at=utc(2026, 6, 1), due=date(2026, 6, 10), assignee_ids=[team.member.id])
    before = Reminder.objects.get(task=task, minutes_before=60).remind_at
    assert before == utc(2026, 6, 10, 13)  # 09:00 in New York (-4)
    team.member.time_zone = "Europe/Kyiv"
    team.member.save(update_fields=["time_zone"])
    reschedule_person(user_id=team.member.id)
    assert Reminder.objects.get(task=task, minutes_before=60).remind_at == utc(2026, 6, 10, 6)


def test_a_person_who_left_the_room_is_not_told(clock, team, new_task):
    new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), actor=team.admin)
    team.room.memberships.filter(user=team.admin).delete()
    result = sending.send_due_reminders(now=utc(2026, 6, 3, 12))
    assert result.sent == result.overdue == 0


def test_the_pass_reads_a_batch_in_a_bounded_number_of_queries(clock, team, new_task):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(20):
        new_task(
            at=utc(2026, 6, 1),
            due=utc(2026, 6, 3, 12, n),
            assignee_ids=[team.member.id, team.owner.id],
        )
    with CaptureQueriesContext(connection) as queries:
        result = sending.send_due_reminders(now=utc(2026, 6, 4))
    assert result.overdue == 40 and result.skipped == 80 and result.batches == 1
    assert len(queries) <= 8, [q["sql"][:80] for q in queries]


def test_a_board_move_to_done_cancels_and_back_reschedules(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    clock.set(utc(2026, 6, 1, 1))
    services.move_task(actor=team.owner, task_id=task.id, status=Status.COMPLETED)
    assert not Reminder.objects.filter(task=task).exists()
    services.move_task(actor=team.owner, task_id=task.id, status=Status.PENDING)
    assert Reminder.objects.filter(task=task).count() == 3


def test_leaving_the_room_takes_a_person_off_and_the_creator_is_reminded(clock, team, new_task):
    task = new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    clock.set(utc(2026, 6, 1, 1))
    services.unassign_everywhere(user=team.member, room=team.room)
    assert set(Reminder.objects.filter(task=task).values_list("user_id", flat=True)) == {
        team.owner.id
    }


def test_a_zone_change_from_auth_moves_the_reminders(clock, team, new_task):
    from cotask_common.events.consumer import handle_event
    from cotask_common.events.testing import example_event

    task = new_task(at=utc(2026, 6, 1), due=date(2026, 6, 10), assignee_ids=[team.member.id])
    clock.set(utc(2026, 6, 2))
    event = example_event("auth.user.updated", time_zone="Asia/Tokyo")
    event = type(event).new(
        type=event.type,
        key=str(team.member.id),
        data={**event.data, "id": str(team.member.id), "time_zone": "Asia/Tokyo"},
        producer="auth",
    )
    handle_event(event)
    team.member.refresh_from_db()
    assert team.member.time_zone == "Asia/Tokyo"
    # 09:00 in Tokyo (+9) on the 10th.
    assert Reminder.objects.get(task=task, minutes_before=60).remind_at == utc(2026, 6, 10, 0)


def test_the_command_runs_a_pass_at_a_given_instant(clock, team, new_task):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    new_task(at=utc(2026, 6, 1), due=utc(2026, 6, 3, 12), assignee_ids=[team.member.id])
    out = StringIO()
    call_command("tasks_reminders", "--at", "2026-06-02T12:00:00Z", stdout=out)
    assert "reminders: 1 sent" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("tasks_reminders", "--at", "yesterday")
