"""The agenda's hand-written statement (`tasks.agenda.hot_sql`) gives what its ORM twin gives,
on the same data, and the whole agenda's JSON is the same either way (PostgreSQL: on SQLite the
selectors run the twin)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from tasks.agenda import hot_sql
from tasks.agenda.tests.conftest import TODAY
from tasks.planning.models import Status, Task
from tasks.rooms.models import RoomKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql() -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("the statement is PostgreSQL's; SQLite runs the twin")
    yield
    hot_sql.ENABLED = True


@pytest.fixture
def data(cast: Any, make_room: Any, make_task: Any) -> None:
    me, owner, room = cast.member.user, cast.owner.user, cast.room
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
    assert by_sql == [] or user != cast.stranger.user


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
