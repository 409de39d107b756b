"""Recurring tasks: the RRULE subset, the next occurrence on completion, "this or following"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.errors import ServiceError
from tasks.planning import recurrence
from tasks.planning.models import Priority, Status, Task, TaskChange
from tasks.planning.tests.teamkit import make_team

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("FREQ=DAILY", "FREQ=DAILY"),
        ("freq=daily;interval=3", "FREQ=DAILY;INTERVAL=3"),
        ("RRULE:FREQ=DAILY;INTERVAL=1", "FREQ=DAILY"),
        ("FREQ=WEEKLY;BYDAY=WE,MO", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("FREQ=YEARLY", "FREQ=YEARLY"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_subset_is_accepted_in_canonical_form(raw: Any, normalized: str) -> None:
    assert recurrence.normalize_recurrence(raw) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "FREQ=HOURLY",
        "FREQ=DAILY;COUNT=3",
        "FREQ=DAILY;UNTIL=20270101",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=abc",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=YEARLY;BYMONTHDAY=3",
        "INTERVAL=2",
        "every day",
        123,
    ],
)
def test_anything_else_is_unsupported_naming_recurrence(raw: Any) -> None:
    with pytest.raises(ServiceError) as caught:
        recurrence.normalize_recurrence(raw)
    assert caught.value.code == "unsupported_recurrence"
    assert caught.value.fields["recurrence"][0]["code"] == "unsupported_recurrence"


def test_next_due_follows_the_rule_and_skips_past_dates() -> None:
    today = date(2026, 12, 3)  # a Thursday
    nxt = recurrence.next_due
    assert nxt(rule="FREQ=DAILY", due_date=today, due_at=None, today=today) == (
        date(2026, 12, 4),
        None,
    )
    assert nxt(rule="FREQ=DAILY;INTERVAL=3", due_date=today, due_at=None, today=today)[0] == (
        date(2026, 12, 6)
    )
    assert nxt(rule="FREQ=WEEKLY;BYDAY=MO,WE", due_date=today, due_at=None, today=today)[0] == (
        date(2026, 12, 7)
    )
    assert nxt(rule="FREQ=MONTHLY;BYMONTHDAY=1", due_date=today, due_at=None, today=today)[0] == (
        date(2027, 1, 1)
    )
    assert nxt(rule="FREQ=MONTHLY;BYMONTHDAY=-1", due_date=today, due_at=None, today=today)[
        0
    ] == date(2026, 12, 31)
    assert nxt(rule="FREQ=YEARLY", due_date=today, due_at=None, today=today)[0] == date(2027, 12, 3)
    # Completed a week late: the next one is after today, not a trail of overdue copies.
    late = nxt(rule="FREQ=DAILY", due_date=today - timedelta(days=7), due_at=None, today=today)
    assert late[0] == date(2026, 12, 4)
    # No deadline: counted from today.
    assert nxt(rule="FREQ=DAILY", due_date=None, due_at=None, today=today)[0] == date(2026, 12, 4)
    at = datetime(2099, 1, 5, 9, 30, tzinfo=UTC)
    assert nxt(rule="FREQ=DAILY;INTERVAL=2", due_date=None, due_at=at) == (
        None,
        datetime(2099, 1, 7, 9, 30, tzinfo=UTC),
    )


def _url(task_id: Any = None, room: Any = None) -> str:
    if room is not None:
        return f"/api/tasks/rooms/{room.id}/tasks/"
    return f"/api/tasks/tasks/{task_id}/"


def _create(team: Any, **body: Any) -> dict[str, Any]:
    response = team.clients["member"].post(_url(room=team.room), body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _complete(team: Any, task_id: Any, who: str = "member") -> None:
    response = team.clients[who].patch(_url(task_id), {"status": "completed"}, format="json")
    assert response.status_code == 200, response.json()


def _series(task_id: Any) -> list[Task]:
    series_id = Task.objects.get(id=task_id).series_id
    return list(Task.objects.filter(series_id=series_id).order_by("id"))


def test_an_unsupported_rule_is_refused_by_the_api_naming_recurrence(
    make_user: Any, client_for: Any
) -> None:
    team = make_team(make_user, client_for)
    response = team.clients["member"].post(
        _url(room=team.room), {"title": "x", "recurrence": "FREQ=HOURLY"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["recurrence"][0]["code"] == "unsupported_recurrence"
    created = _create(team, title="ok", recurrence="freq=weekly;byday=fr,mo")
    assert created["recurrence"] == "FREQ=WEEKLY;BYDAY=MO,FR"
    response = team.clients["member"].patch(
        _url(created["id"]), {"recurrence": "FREQ=DAILY;COUNT=2"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["recurrence"][0]["code"] == "unsupported_recurrence"


def test_completing_an_occurrence_creates_the_next_with_the_same_fields(
    make_user: Any, client_for: Any, published_events: Any
) -> None:
    team = make_team(make_user, client_for)
    label = team.room.labels.create(name="ops")
    due = timezone.now().date() + timedelta(days=1)
    first = _create(
        team,
        title="Water the plants",
        description="all of them",
        priority="high",
        estimate_minutes=10,
        recurrence="FREQ=WEEKLY;BYDAY=MO,TH",
        due=due.isoformat(),
        label_ids=[str(label.id)],
        assignee_ids=[str(team.users["member"].id)],
    )
    _complete(team, first["id"])
    done, following = _series(first["id"])
    assert str(done.id) == first["id"] and done.series_id == done.id
    assert following.status == Status.PENDING and following.completed_at is None
    assert (following.title, following.description, following.priority) == (
        "Water the plants",
        "all of them",
        Priority.HIGH,
    )
    assert following.estimate_minutes == 10 and following.recurrence == done.recurrence
    assert following.due_date is not None
    assert following.due_date > due and following.due_date.weekday() in (0, 3)
    assert list(following.labels.all()) == [label]
    assert list(following.assignees.all()) == [team.users["member"]]
    created = published_events("tasks.task.created")[-1]
    assert created.data["occurrence_of"] == first["id"]
    assert created.data["task_id"] == str(following.id)
    # Reopened and completed again: no second copy.
    team.clients["member"].patch(_url(first["id"]), {"status": "pending"}, format="json")
    _complete(team, first["id"])
    assert len(_series(first["id"])) == 2
    # A board move to completed counts the same.
    response = team.clients["member"].post(
        f"/api/tasks/tasks/{following.id}/move/", {"status": "completed"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert len(_series(first["id"])) == 3


def test_a_task_without_a_rule_creates_nothing(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    task = _create(team, title="Once")
    _complete(team, task["id"])
    assert Task.objects.count() == 1


def test_an_assignee_who_left_is_not_assigned_again(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    members = [str(team.users["member"].id), str(team.users["admin"].id)]
    task = _create(team, title="Daily", recurrence="FREQ=DAILY", assignee_ids=members)
    team.room.memberships.filter(user=team.users["admin"]).delete()
    _complete(team, task["id"])
    following = _series(task["id"])[-1]
    assert list(following.assignees.all()) == [team.users["member"]]


def test_scope_this_changes_only_this_occurrence(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    today = timezone.now().date()
    task = _create(team, title="Report", recurrence="FREQ=DAILY", due=today.isoformat())
    response = team.clients["member"].patch(
        _url(task["id"]) + "?scope=this",
        {"title": "Report (short one today)", "priority": "urgent"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Report (short one today)"
    assert TaskChange.objects.filter(task_id=task["id"], field="scope", after="this").exists()
    _complete(team, task["id"])
    following = _series(task["id"])[-1]
    assert following.title == "Report" and following.priority == Priority.NONE


def test_scope_following_changes_this_and_the_later_occurrences(
    make_user: Any, client_for: Any
) -> None:
    team = make_team(make_user, client_for)
    first = _create(team, title="Standup", recurrence="FREQ=DAILY")
    _complete(team, first["id"])
    second = _series(first["id"])[-1]
    # Edit the completed one with scope=following: the open one follows, with its history.
    response = team.clients["member"].patch(
        _url(first["id"]) + "?scope=following",
        {"title": "Daily standup", "recurrence": "FREQ=WEEKLY;BYDAY=MO"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    second.refresh_from_db()
    assert second.title == "Daily standup" and second.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    assert TaskChange.objects.filter(task=second, field="title", after="Daily standup").exists()
    _complete(team, second.id)
    third = _series(first["id"])[-1]
    assert third.title == "Daily standup"
    assert third.due_date is not None and third.due_date.weekday() == 0


def test_scope_is_this_or_following(make_user: Any, client_for: Any) -> None:
    assert recurrence.parse_scope(None) == "following"
    team = make_team(make_user, client_for)
    task = _create(team, title="x", recurrence="FREQ=DAILY")
    response = team.clients["member"].patch(
        _url(task["id"]) + "?scope=all", {"title": "y"}, format="json"
    )
    assert response.status_code == 400 and "scope" in response.json()["fields"]


@pytest.mark.parametrize("who", ["viewer", "stranger", "banned", "anonymous"])
def test_only_members_complete_a_recurring_task(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    task = _create(team, title="x", recurrence="FREQ=DAILY")
    response = team.clients[who].patch(_url(task["id"]), {"status": "completed"}, format="json")
    assert response.status_code == {"viewer": 403, "stranger": 404, "banned": 403}.get(who, 401)
    assert Task.objects.count() == 1
