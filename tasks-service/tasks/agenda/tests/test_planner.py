"""The planner: suggestions move planned tasks without a deadline from days over capacity to
light ones, counting tasks, habits and cards; nothing moves until the person accepts; only
they see and answer their suggestions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tasks.agenda import selectors
from tasks.agenda.models import PlannedDay, Suggestion
from tasks.agenda.services import plan_moves
from tasks.agenda.tests.conftest import TODAY
from tasks.rooms.models import RoomKind

pytestmark = pytest.mark.django_db


class _Task:
    def __init__(self, priority: int) -> None:
        self.id = uuid.uuid4()
        self.priority = priority
        self.due_date = self.due_at = None


def _day(offset: int, *minutes: tuple[int, int], fixed: int = 0) -> selectors.Day:
    day = selectors.Day(TODAY + timedelta(days=offset))
    day.tasks = [
        selectors.Item(_Task(p), day.day, day.day, False, m)  # type: ignore[arg-type]
        for p, m in minutes
    ]
    day.card_minutes = fixed  # what cannot move (cards, here)
    return day


def test_plan_moves_levels_heavy_days_lowest_priority_first() -> None:
    days = [
        _day(0, (4, 120), (0, 90), (1, 60), fixed=30),  # 300 > 240
        _day(1, fixed=200),  # no room for 60 or 90
        _day(2, (2, 30)),
        _day(3, fixed=239),
    ]
    moves = plan_moves(days, capacity=240, today=TODAY)
    # The priority-0 task (90 min) goes to the lightest day that takes it: day 2.
    assert [(m[0].task.priority, m[1], m[2]) for m in moves] == [
        (0, TODAY, TODAY + timedelta(days=2))
    ]


def test_plan_moves_never_to_the_past_nor_when_nothing_fits() -> None:
    days = [_day(-1), _day(0, (0, 300)), _day(1, fixed=240)]
    assert plan_moves(days, capacity=240, today=TODAY) == []


@pytest.fixture
def heavy_monday(cast, make_room, make_task, habit_event, deliver):
    """Monday holds 4 planned tasks of 60 minutes, a habit and 120 cards (20 minutes): 270
    minutes, over 240; Tuesday has cards only."""
    me = cast.member.user
    space = make_room(me, name="Me", kind=RoomKind.PERSONAL)
    tasks = []
    for i in range(4):
        task = make_task(me, space, f"t{i}", priority=i, estimate=60)
        cast.member.put(f"/api/tasks/agenda/plans/{task.id}/", {"day": str(TODAY)}, format="json")
        tasks.append(task)
    from tasks.agenda.tests.conftest import habit_data

    deliver(
        habit_event(
            "habits.habit.saved", me, **habit_data(uuid.uuid4(), "Run", "weekdays", weekdays=[0])
        )
    )
    deliver(
        habit_event(
            "habits.cards.forecast",
            me,
            made_at=datetime(2025, 3, 3, 4, tzinfo=UTC).isoformat(),
            days=[{"day": str(TODAY + timedelta(days=i)), "cards": 120} for i in range(7)],
        )
    )
    return tasks


def _where(client, task) -> list[str]:
    days = client.get("/api/tasks/agenda/?days=7").json()["days"]
    return [d["day"] for d in days if str(task.id) in {t["id"] for t in d["tasks"]}]


def test_a_suggestion_moves_a_task_only_when_accepted(cast, heavy_monday) -> None:
    lowest = heavy_monday[0]
    response = cast.member.post("/api/tasks/agenda/suggestions/")
    assert response.status_code == 200
    [suggestion] = response.json()["results"]
    tuesday = str(TODAY + timedelta(days=1))
    assert suggestion["task"]["id"] == str(lowest.id)
    assert (suggestion["from_day"], suggestion["to_day"]) == (str(TODAY), tuesday)
    assert suggestion["minutes"] == 60
    # Suggested is not moved.
    assert _where(cast.member, lowest) == [str(TODAY)]
    assert cast.member.get("/api/tasks/agenda/suggestions/").json()["results"] == [suggestion]
    response = cast.member.post(f"/api/tasks/agenda/suggestions/{suggestion['id']}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert _where(cast.member, lowest) == [tuesday]
    assert PlannedDay.objects.get(task=lowest).day == TODAY + timedelta(days=1)
    again = cast.member.post(f"/api/tasks/agenda/suggestions/{suggestion['id']}/accept/")
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    assert cast.member.get("/api/tasks/agenda/suggestions/").json()["results"] == []


def test_an_ignored_suggestion_moves_nothing(cast, heavy_monday) -> None:
    [suggestion] = cast.member.post("/api/tasks/agenda/suggestions/").json()["results"]
    response = cast.member.post(f"/api/tasks/agenda/suggestions/{suggestion['id']}/ignore/")
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert _where(cast.member, heavy_monday[0]) == [str(TODAY)]
    assert Suggestion.objects.get().status == "ignored"


def test_nobody_else_sees_or_answers_my_suggestions(cast, heavy_monday) -> None:
    [suggestion] = cast.member.post("/api/tasks/agenda/suggestions/").json()["results"]
    for client in (cast.owner, cast.stranger):
        assert client.get("/api/tasks/agenda/suggestions/").json()["results"] == []
        for verb in ("accept", "ignore"):
            response = client.post(f"/api/tasks/agenda/suggestions/{suggestion['id']}/{verb}/")
            assert response.status_code == 404
            assert response.json()["code"] == "suggestion_not_found"
    assert (
        cast.member.post(f"/api/tasks/agenda/suggestions/{uuid.uuid4()}/accept/").status_code == 404
    )
    assert cast.member.post("/api/tasks/agenda/suggestions/nope/ignore/").status_code == 404
    for path in ("", f"{suggestion['id']}/accept/"):
        assert cast.anonymous.post(f"/api/tasks/agenda/suggestions/{path}").status_code == 401
    assert cast.anonymous.get("/api/tasks/agenda/suggestions/").status_code == 401
    assert _where(cast.member, heavy_monday[0]) == [str(TODAY)]
    assert Suggestion.objects.get().status == "pending"


def test_a_suggestion_made_stale_by_a_replan_is_refused(cast, heavy_monday) -> None:
    [suggestion] = cast.member.post("/api/tasks/agenda/suggestions/").json()["results"]
    # A new plan of the task drops its pending suggestion.
    cast.member.put(
        f"/api/tasks/agenda/plans/{heavy_monday[0].id}/",
        {"day": str(TODAY + timedelta(days=5))},
        format="json",
    )
    response = cast.member.post(f"/api/tasks/agenda/suggestions/{suggestion['id']}/accept/")
    assert response.status_code == 404


def test_the_suggestion_list_has_bounded_queries(
    cast, make_room, make_task, django_assert_max_num_queries, warm, settings
) -> None:
    settings.AGENDA_DAY_MINUTES = 100
    me = cast.member.user
    space = make_room(me, name="Me", kind=RoomKind.PERSONAL)
    for i in range(12):
        task = make_task(me, space, f"t{i}", estimate=20)
        cast.member.put(f"/api/tasks/agenda/plans/{task.id}/", {"day": str(TODAY)}, format="json")
    assert len(cast.member.post("/api/tasks/agenda/suggestions/").json()["results"]) > 3
    warm()
    with django_assert_max_num_queries(3):
        assert len(cast.member.get("/api/tasks/agenda/suggestions/").json()["results"]) > 3
