"""The agenda's hand-written statement (`tasks.agenda.hot_sql`) gives what its ORM twin gives,
on the same data, and the whole agenda's JSON is the same either way (PostgreSQL: on SQLite the
selectors run the twin)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cotask_common.testing.parity import statements_on_postgresql
from tasks.agenda import hot_sql
from tasks.agenda.models import CardsOutlook, HabitEntry
from tasks.agenda.tests.conftest import TODAY, habit_data
from tasks.planning.models import Status, Task
from tasks.rooms.models import RoomKind

pytestmark = pytest.mark.django_db


_statements = statements_on_postgresql(hot_sql)


@pytest.fixture
def data(cast: Any, make_room: Any, make_task: Any, habit_event: Any, deliver: Any) -> None:
    me, owner, room = cast.member.user, cast.owner.user, cast.room
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("daily", {}),
        ("weekdays", {"weekdays": [1, 3, 5]}),
        ("every_n_days", {"interval_days": 3}),
        ("times_per_day", {"times": 3}),
        ("daily", {"start_date": TODAY + timedelta(days=2)}),
        ("daily", {"archived": True}),
    ]
    for i, (kind, schedule) in enumerate(kinds):
        habit = uuid.uuid4()
        name = "Same name" if i < 2 else f"h{i}"
        deliver(habit_event("habits.habit.saved", me, **habit_data(habit, name, kind, **schedule)))
        for day in range(-2, 8, i % 3 + 1):
            deliver(
                habit_event(
                    "habits.checkin.recorded",
                    me,
                    habit_id=str(habit),
                    habit_name=name,
                    day=str(TODAY + timedelta(days=day)),
                    value=1,
                    done=day % 2 == 0,
                    current_streak=1,
                    best_streak=1,
                    streak_unit="day",
                )
            )
    space = make_room(me, name="Me", kind=RoomKind.PERSONAL)
    for i in range(12):
        make_task(owner, room, f"r{i}", due=TODAY + timedelta(days=i - 4), assignees=(me,))
        make_task(me, space, f"s{i}", due=TODAY - timedelta(days=i), priority=i % 5)
        at = datetime(2025, 3, 3, i, 30, tzinfo=UTC) + timedelta(days=i % 9)
        make_task(me, space, f"at{i}", due=at, estimate=10 + i)
        undated = make_task(me, space, f"p{i}")
        cast.member.put(
            f"/api/tasks/agenda/plans/{undated.id}/",
            {"day": str(TODAY + timedelta(days=i - 3))},
            format="json",
        )
    make_task(owner, room, "not mine", due=TODAY, assignees=(owner,))
    make_task(me, room, "mine, nobody assigned", due=TODAY)
    make_task(me, room, "mine, given to olga", due=TODAY, assignees=(owner,))
    make_task(me, space, "unplanned")
    Task.objects.filter(title__in=["r5", "s3"]).update(status=Status.COMPLETED)


@pytest.mark.parametrize("offset,count", [(0, 7), (0, 1), (2, 3), (-3, 2)])
def test_the_statement_reads_what_the_orm_reads(
    data: Any, cast: Any, offset: int, count: int
) -> None:
    first = TODAY + timedelta(days=offset)
    last = first + timedelta(days=count - 1)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    since = (
        None
        if first <= TODAY <= last
        else (first, datetime.combine(first, datetime.min.time(), tzinfo=UTC))
    )
    for user in (cast.member.user, cast.owner.user, cast.stranger.user):
        args = {"user_id": user.id, "last": last, "end": end, "since": since}
        by_sql, by_orm = hot_sql.task_rows(**args), hot_sql.task_rows_orm(**args)
        assert by_sql == by_orm
    assert by_sql == []  # the stranger's, the last one read


def _habits(rows: list[Any]) -> list[tuple[Any, ...]]:
    fields = [f.attname for f in HabitEntry._meta.concrete_fields]
    return [(*(getattr(r, f) for f in fields), r.done_days) for r in rows]


@pytest.mark.parametrize("offset,count", [(0, 7), (0, 1), (-3, 4)])
def test_the_habit_statement_reads_what_the_orm_reads(
    data: Any, cast: Any, offset: int, count: int
) -> None:
    first = TODAY + timedelta(days=offset)
    last = first + timedelta(days=count - 1)
    for user in (cast.member.user, cast.owner.user):
        args = {"user_id": user.id, "first": first, "last": last}
        by_sql = _habits(hot_sql.habits(**args))
        assert by_sql == _habits(hot_sql.habits_orm(**args))
    assert by_sql == []  # the owner has none
    mine = _habits(
        hot_sql.habits(user_id=cast.member.user.id, first=TODAY, last=TODAY + timedelta(days=6))
    )
    assert len(mine) == 5 and any(row[-1] for row in mine)


def test_the_outlook_statement_reads_what_the_orm_reads(cast: Any) -> None:
    forecast = {str(TODAY): 12, str(TODAY + timedelta(days=1)): 3}
    CardsOutlook.objects.create(
        owner_id=cast.member.user.id, days=forecast, version=datetime.now(UTC), answer_ms=8000
    )
    CardsOutlook.objects.create(owner_id=cast.owner.user.id, days={}, version=datetime.now(UTC))
    mine = hot_sql.cards_outlook(user_id=cast.member.user.id)
    assert mine == hot_sql.cards_outlook_orm(user_id=cast.member.user.id) == (forecast, 8000)
    theirs = hot_sql.cards_outlook(user_id=cast.owner.user.id)
    assert theirs == hot_sql.cards_outlook_orm(user_id=cast.owner.user.id) == ({}, None)
    assert hot_sql.cards_outlook(user_id=cast.stranger.user.id) is None
    assert hot_sql.cards_outlook_orm(user_id=cast.stranger.user.id) is None


def test_the_agenda_is_the_same_either_way(data: Any, cast: Any) -> None:
    answers = []
    for on in (True, False):
        hot_sql.ENABLED = on
        answers.append(
            [
                cast.member.get(path).content
                for path in (
                    "/api/tasks/agenda/?days=7",
                    "/api/tasks/agenda/",
                    f"/api/tasks/agenda/?days=3&start={TODAY + timedelta(days=2)}",
                )
            ]
        )
    assert answers[0] == answers[1]
    assert b"mine, nobody assigned" in answers[0][0]
