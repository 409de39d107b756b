"""The projections of habits' events: schedules, check-ins, the cards' forecast and pace;
each event taken once, an older one arriving late changing nothing; and the live
`tasks.agenda.changed` that follows each change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cotask_common.events.testing import published_events
from tasks.agenda import selectors
from tasks.agenda.models import CheckinEntry, HabitEntry
from tasks.agenda.tests.conftest import TODAY, habit_data

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)


def _agenda(user, days=7, first=TODAY):
    return selectors.agenda(user_id=user.id, time_zone="UTC", first=first, count=days)


def _habits(result, day_index=0):
    return [(h["name"], h["done"]) for h in result.days[day_index].habits]


def test_a_habit_shows_on_its_scheduled_days_only(make_user, habit_event, deliver) -> None:
    me = make_user()
    weekdays, every3 = uuid.uuid4(), uuid.uuid4()
    deliver(
        habit_event(
            "habits.habit.saved", me, **habit_data(weekdays, "Gym", "weekdays", weekdays=[0, 2])
        )
    )
    deliver(
        habit_event(
            "habits.habit.saved",
            me,
            **habit_data(every3, "Call", "every_n_days", interval_days=3, start_date=TODAY),
        )
    )
    deliver(
        habit_event(
            "habits.habit.saved",
            me,
            **habit_data(uuid.uuid4(), "Later", start_date=TODAY + timedelta(days=2)),
        )
    )
    result = _agenda(me)
    names = [[h["name"] for h in day.habits] for day in result.days]
    # Mon 3: Call, Gym; Tue: -; Wed: Gym, Later; Thu: Call, Later; Fri..Sun: Later
    assert names == [
        ["Call", "Gym"],
        [],
        ["Gym", "Later"],
        ["Call", "Later"],
        ["Later"],
        ["Later"],
        ["Call", "Later"],
    ]


def test_archived_and_deleted_habits_leave_the_agenda_and_a_late_save_does_not_revive(
    make_user, habit_event, deliver
) -> None:
    me = make_user()
    archived, deleted = uuid.uuid4(), uuid.uuid4()
    deliver(habit_event("habits.habit.saved", me, **habit_data(archived, "Old", archived=True)))
    deliver(habit_event("habits.habit.saved", me, at=T0, **habit_data(deleted, "Gone")))
    deliver(
        habit_event(
            "habits.habit.deleted",
            me,
            at=T0 + timedelta(minutes=2),
            habit_id=str(deleted),
            habit_name="Gone",
        )
    )
    # The save of a minute before the deletion, redelivered after it:
    deliver(
        habit_event(
            "habits.habit.saved", me, at=T0 + timedelta(minutes=1), **habit_data(deleted, "Gone")
        )
    )
    assert _agenda(me, days=1).days[0].habits == []
    assert HabitEntry.objects.get(habit_id=deleted).deleted


def test_an_older_save_arriving_late_keeps_the_newer_schedule(
    make_user, habit_event, deliver
) -> None:
    me = make_user()
    habit = uuid.uuid4()
    deliver(
        habit_event(
            "habits.habit.saved", me, at=T0 + timedelta(minutes=5), **habit_data(habit, "New")
        )
    )
    deliver(
        habit_event(
            "habits.habit.saved", me, at=T0, **habit_data(habit, "Old", "weekdays", weekdays=[4])
        )
    )
    assert _habits(_agenda(me, days=1)) == [("New", False)]


def _pause(first: int, last: int) -> dict:
    return {
        "start_date": str(TODAY + timedelta(days=first)),
        "end_date": str(TODAY + timedelta(days=last)),
    }


def test_a_paused_habit_is_absent_on_its_paused_days_only(make_user, habit_event, deliver) -> None:
    me = make_user()
    habit = uuid.uuid4()
    deliver(
        habit_event(
            "habits.habit.saved",
            me,
            **habit_data(habit, "Read"),
            pauses=[_pause(1, 2), _pause(4, 4)],
        )
    )
    names = [[h["name"] for h in day.habits] for day in _agenda(me).days]
    # Mon: Read; Tue, Wed paused; Thu: Read; Fri paused; Sat, Sun: Read
    assert names == [["Read"], [], [], ["Read"], [], ["Read"], ["Read"]]


def test_an_older_save_arriving_late_does_not_undo_a_newer_pause(
    make_user, habit_event, deliver
) -> None:
    me = make_user()
    habit = uuid.uuid4()
    deliver(
        habit_event(
            "habits.habit.saved",
            me,
            at=T0 + timedelta(minutes=5),
            **habit_data(habit, "Read"),
            pauses=[_pause(0, 1)],
        )
    )
    # Published before the pause (and before pauses travelled: no `pauses` at all).
    deliver(habit_event("habits.habit.saved", me, at=T0, **habit_data(habit, "Read")))
    assert [len(day.habits) for day in _agenda(me, days=3).days] == [0, 0, 1]
    # The pause removed: the habit is back on those days.
    deliver(
        habit_event(
            "habits.habit.saved",
            me,
            at=T0 + timedelta(minutes=9),
            **habit_data(habit, "Read"),
            pauses=[],
        )
    )
    assert [len(day.habits) for day in _agenda(me, days=3).days] == [1, 1, 1]


def test_check_ins_redelivered_and_out_of_order(make_user, habit_event, deliver) -> None:
    me = make_user()
    habit = uuid.uuid4()
    deliver(habit_event("habits.habit.saved", me, **habit_data(habit, "Read")))
    day = {"habit_id": str(habit), "habit_name": "Read", "day": str(TODAY)}
    recorded = habit_event(
        "habits.checkin.recorded",
        me,
        at=T0 + timedelta(minutes=1),
        **day,
        value=1,
        done=True,
        current_streak=1,
        best_streak=1,
        streak_unit="day",
    )
    assert deliver(recorded) is True
    assert deliver(recorded) is False  # the same event again: nothing runs
    assert _habits(_agenda(me, days=1)) == [("Read", True)]
    # An undo from before the check-in, arriving after it: the day stays done.
    deliver(
        habit_event(
            "habits.checkin.undone",
            me,
            at=T0,
            **day,
            current_streak=0,
            best_streak=1,
            streak_unit="day",
        )
    )
    assert _habits(_agenda(me, days=1)) == [("Read", True)]
    deliver(
        habit_event(
            "habits.checkin.undone",
            me,
            at=T0 + timedelta(minutes=2),
            **day,
            current_streak=0,
            best_streak=1,
            streak_unit="day",
        )
    )
    assert _habits(_agenda(me, days=1)) == [("Read", False)]
    assert CheckinEntry.objects.count() == 1


def test_each_change_tells_the_persons_sockets(make_user, habit_event, deliver) -> None:
    me = make_user()
    habit = uuid.uuid4()
    deliver(habit_event("habits.habit.saved", me, **habit_data(habit, "Read")))
    deliver(
        habit_event(
            "habits.checkin.recorded",
            me,
            habit_id=str(habit),
            habit_name="Read",
            day=str(TODAY),
            value=1,
            done=True,
            current_streak=1,
            best_streak=1,
            streak_unit="day",
        )
    )
    changes = [
        (e.data["reason"], e.data["days"])
        for e in published_events(type_prefix="tasks.agenda.changed")
    ]
    assert changes == [("habit", [str(TODAY)]), ("checkin", [str(TODAY)])]
    assert {e.data["owner_id"] for e in published_events(type_prefix="tasks.agenda.")} == {
        str(me.id)
    }


def _forecast(me, habit_event, *, at=None, cards=(40, 10, 0, 5, 0, 0, 0)):
    return habit_event(
        "habits.cards.forecast",
        me,
        at=at,
        made_at=(at or T0).isoformat(),
        days=[{"day": str(TODAY + timedelta(days=i)), "cards": n} for i, n in enumerate(cards)],
    )


def test_cards_due_and_minutes_from_the_default_then_from_the_pace(
    make_user, habit_event, deliver
) -> None:
    me = make_user()
    deliver(_forecast(me, habit_event))
    result = _agenda(me, days=2)
    # No answers yet: 10 s a card (AGENDA_CARD_SECONDS): 40 cards, 7 minutes (rounded up).
    assert [(d.cards, d.card_minutes) for d in result.days] == [(40, 7), (10, 2)]
    for i, (reviews, ms) in enumerate([(100, 600_000), (50, 300_000)]):
        summary = habit_event(
            "habits.cards.review_summary",
            me,
            day=str(TODAY - timedelta(days=i + 1)),
            reviews=reviews,
            again=0,
            new_cards=0,
            duration_ms=ms,
            retention=None,
        )
        deliver(summary)
        deliver(summary)
    # 900 s over 150 answers: 6 s a card.
    assert [(d.cards, d.card_minutes) for d in _agenda(me, days=2).days] == [(40, 4), (10, 1)]


def test_an_older_forecast_arriving_late_is_ignored(make_user, habit_event, deliver) -> None:
    me = make_user()
    deliver(_forecast(me, habit_event, at=T0 + timedelta(minutes=1), cards=(3, 0, 0, 0, 0, 0, 0)))
    deliver(_forecast(me, habit_event, at=T0, cards=(99, 0, 0, 0, 0, 0, 0)))
    assert _agenda(me, days=1).days[0].cards == 3


def test_a_completed_task_tells_its_assignees(cast, make_task, deliver) -> None:
    from tasks.planning.services import update_task

    member = cast.member.user
    task = make_task(cast.owner.user, cast.room, due=TODAY + timedelta(days=2), assignees=(member,))
    update_task(actor=member, task_id=task.id, status="completed")
    [completed] = published_events(type_prefix="tasks.task.completed")
    deliver(completed)
    [changed] = published_events(type_prefix="tasks.agenda.changed")
    assert changed.data["owner_id"] == str(member.id)
    assert changed.data["days"] == [str(TODAY), str(TODAY + timedelta(days=2))]
    assert changed.data["reason"] == "task"
