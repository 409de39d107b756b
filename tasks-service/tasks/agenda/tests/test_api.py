"""The agenda over REST: what it holds and in what order, whose tasks it shows, bad input, and
its bounded queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.agenda.tests.conftest import TODAY, habit_data
from tasks.rooms.models import RoomKind

pytestmark = pytest.mark.django_db


def _titles(day: dict[str, Any], key: str = "tasks") -> list[str]:
    return [t["title"] for t in day[key]]


def test_the_days_tasks_by_deadline_then_priority_and_overdue_on_today(cast, make_task) -> None:
    me, owner, room = cast.member.user, cast.owner.user, cast.room
    make_task(owner, room, "low at 9", due=datetime(2025, 3, 3, 9, 0, tzinfo=UTC), assignees=(me,))
    make_task(owner, room, "urgent all day", due=TODAY, priority=4, assignees=(me,))
    make_task(owner, room, "high all day", due=TODAY, priority=3, assignees=(me,))
    make_task(owner, room, "last week", due=TODAY - timedelta(days=7), assignees=(me,))
    make_task(owner, room, "past 7:00", due=datetime(2025, 3, 3, 7, 0, tzinfo=UTC), assignees=(me,))
    make_task(owner, room, "tomorrow", due=TODAY + timedelta(days=1), assignees=(me,))
    make_task(owner, room, "next month", due=TODAY + timedelta(days=30), assignees=(me,))
    make_task(owner, room, "not mine", due=TODAY, assignees=(owner,))
    mine_unassigned = make_task(me, room, "my own, nobody assigned", due=TODAY)
    make_task(me, room, "mine, given to olga", due=TODAY, assignees=(owner,))
    response = cast.member.get("/api/tasks/agenda/?days=2")
    assert response.status_code == 200
    body = response.json()
    assert body["today"] == str(TODAY) and body["time_zone"] == "UTC"
    today, tomorrow = body["days"]
    assert _titles(today, "overdue") == ["last week", "past 7:00"]
    assert _titles(today) == [
        "urgent all day",
        "high all day",
        "my own, nobody assigned",
        "low at 9",
    ]
    assert _titles(tomorrow) == ["tomorrow"] and tomorrow["overdue"] == []
    first = today["tasks"][0]
    assert first["priority"] == "urgent" and first["room"]["name"] == "Launch"
    assert first["minutes"] == 30 and first["movable"] is False
    assert str(mine_unassigned.id) in {t["id"] for t in today["tasks"]}


def test_personal_space_and_planned_tasks_without_deadline(cast, make_room, make_task) -> None:
    me = cast.member.user
    space = make_room(me, name="Me", kind=RoomKind.PERSONAL)
    undated = make_task(me, space, "someday", estimate=45)
    make_task(me, space, "unplanned")
    day = TODAY + timedelta(days=3)
    assert (
        cast.member.put(
            f"/api/tasks/agenda/plans/{undated.id}/", {"day": str(day)}, format="json"
        ).status_code
        == 204
    )
    days = cast.member.get("/api/tasks/agenda/?days=7").json()["days"]
    assert [_titles(d) for d in days] == [[], [], [], ["someday"], [], [], []]
    task = days[3]["tasks"][0]
    assert task["planned_for"] == str(day) and task["movable"] and task["minutes"] == 45
    assert days[3]["minutes"]["tasks"] == 45
    # A planned day gone by rolls on to today.
    cast.member.put(
        f"/api/tasks/agenda/plans/{undated.id}/",
        {"day": str(TODAY - timedelta(days=2))},
        format="json",
    )
    assert _titles(cast.member.get("/api/tasks/agenda/").json()["days"][0]) == ["someday"]


def test_habits_and_cards_on_the_day(cast, habit_event, deliver) -> None:
    me = cast.member.user
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
    deliver(
        habit_event(
            "habits.cards.forecast",
            me,
            made_at=datetime(2025, 3, 3, 4, tzinfo=UTC).isoformat(),
            days=[{"day": str(TODAY + timedelta(days=i)), "cards": 60 - i} for i in range(7)],
        )
    )
    day, tomorrow = cast.member.get("/api/tasks/agenda/?days=2").json()["days"]
    assert day["habits"] == [
        {"habit_id": str(habit), "name": "Read", "schedule": "daily", "times": 1, "done": True}
    ]
    assert tomorrow["habits"][0]["done"] is False
    assert day["cards"] == {"due": 60, "minutes": 10}
    assert day["minutes"] == {"tasks": 0, "habits": 10, "cards": 10, "total": 20}
    # Another person's agenda holds none of it.
    other = cast.owner.get("/api/tasks/agenda/").json()["days"][0]
    assert other["habits"] == [] and other["cards"] == {"due": None, "minutes": 0}


def test_who_sees_what(cast, make_task, warm) -> None:
    from tasks.rooms.services import member_remove

    me = cast.member.user
    make_task(cast.owner.user, cast.room, "room task", due=TODAY, assignees=(me,))
    assert _titles(cast.member.get("/api/tasks/agenda/").json()["days"][0]) == ["room task"]
    # The other people: the stranger and the room's owner see none of my tasks.
    assert _titles(cast.stranger.get("/api/tasks/agenda/").json()["days"][0]) == []
    assert _titles(cast.owner.get("/api/tasks/agenda/").json()["days"][0]) == []
    assert cast.anonymous.get("/api/tasks/agenda/").status_code == 401
    assert cast.banned.get("/api/tasks/agenda/").status_code in (401, 403)
    # Removed from the room: its tasks leave my agenda.
    member_remove(user=cast.owner.user, room_id=cast.room.id, user_id=me.id)
    assert _titles(cast.member.get("/api/tasks/agenda/").json()["days"][0]) == []


def test_planning_is_only_for_my_tasks_without_deadline(cast, make_task) -> None:
    me = cast.member.user
    dated = make_task(me, cast.room, "dated", due=TODAY)
    theirs = make_task(cast.owner.user, cast.room, "theirs", assignees=(cast.owner.user,))
    response = cast.member.put(
        f"/api/tasks/agenda/plans/{dated.id}/", {"day": str(TODAY)}, format="json"
    )
    assert (
        response.status_code == 400
        and response.json()["fields"]["day"][0]["code"] == "has_deadline"
    )
    for client, task_id in (
        (cast.member, theirs.id),  # in my room, but not mine: no plan of mine on it
        (cast.stranger, dated.id),
        (cast.member, uuid.uuid4()),
        (cast.member, "nope"),
    ):
        response = client.put(
            f"/api/tasks/agenda/plans/{task_id}/", {"day": str(TODAY)}, format="json"
        )
        assert response.status_code == 404 and response.json()["code"] == "task_not_found"
    response = cast.member.put(
        f"/api/tasks/agenda/plans/{dated.id}/", {"day": "soon"}, format="json"
    )
    assert response.status_code == 400 and "day" in response.json()["fields"]
    assert (
        cast.anonymous.put(
            f"/api/tasks/agenda/plans/{dated.id}/", {"day": None}, format="json"
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=tomorrow", "start"),
        ("days=8", "days"),
        ("days=0", "days"),
        ("days=x", "days"),
        ("start=", "start"),
        ("days=", "days"),
    ],
)
def test_bad_input_names_the_field(cast, query, field) -> None:
    response = cast.member.get(f"/api/tasks/agenda/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_later_window_shows_no_overdue(cast, make_task) -> None:
    me = cast.member.user
    make_task(me, cast.room, "late", due=TODAY - timedelta(days=1))
    make_task(me, cast.room, "friday", due=TODAY + timedelta(days=4))
    days = cast.member.get(f"/api/tasks/agenda/?start={TODAY + timedelta(days=2)}&days=3").json()[
        "days"
    ]
    assert [d["day"] for d in days] == [str(TODAY + timedelta(days=i)) for i in (2, 3, 4)]
    assert [_titles(d) + _titles(d, "overdue") for d in days] == [[], [], ["friday"]]


def test_the_query_count_does_not_grow_with_rows(
    cast, make_room, make_task, habit_event, deliver, warm
) -> None:
    me = cast.member.user
    space = make_room(me, name="Me", kind=RoomKind.PERSONAL)

    def add(n: int) -> None:
        for i in range(n):
            make_task(
                cast.owner.user,
                cast.room,
                f"r{i}",
                due=TODAY + timedelta(days=i % 7),
                assignees=(me,),
            )
            make_task(me, space, f"s{i}", due=TODAY - timedelta(days=i + 1), priority=i % 5)
            task = make_task(me, space, f"p{i}")
            cast.member.put(
                f"/api/tasks/agenda/plans/{task.id}/",
                {"day": str(TODAY + timedelta(days=i % 7))},
                format="json",
            )
            habit = uuid.uuid4()
            deliver(habit_event("habits.habit.saved", me, **habit_data(habit, f"h{i}")))
            deliver(
                habit_event(
                    "habits.checkin.recorded",
                    me,
                    habit_id=str(habit),
                    habit_name="h",
                    day=str(TODAY),
                    value=1,
                    done=True,
                    current_streak=1,
                    best_streak=1,
                    streak_unit="day",
                )
            )
            deliver(
                habit_event(
                    "habits.cards.review_summary",
                    me,
                    day=str(TODAY - timedelta(days=i + 1)),
                    reviews=10,
                    again=0,
                    new_cards=0,
                    duration_ms=60_000,
                    retention=None,
                )
            )
        deliver(
            habit_event(
                "habits.cards.forecast",
                me,
                made_at=datetime(2025, 3, 3, 4, tzinfo=UTC).isoformat(),
                days=[{"day": str(TODAY + timedelta(days=i)), "cards": 5} for i in range(7)],
            )
        )

    def count() -> tuple[int, int]:
        warm()
        with CaptureQueriesContext(connection) as queries:
            body = cast.member.get("/api/tasks/agenda/?days=7").json()
        shown = sum(len(d["tasks"]) + len(d["overdue"]) for d in body["days"])
        return len(queries), shown

    add(2)
    few, shown_few = count()
    add(8)
    many, shown_many = count()
    assert shown_few == 6 and shown_many == 30
    assert many == few
    assert few <= 8  # auth (UserRef), rooms, tasks, habits, check-ins, outlook, pace
