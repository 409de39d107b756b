"""Recurring tasks: the RRULE subset, the next occurrence on completion, "this or following"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from cotask_common.errors import ServiceError
from tasks.planning import recurrence
from tasks.planning.models import Assignment, Priority, Status, Task, TaskChange
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


def _complete(task: Task, user: Any) -> Task | None:
    with transaction.atomic():
        task.status = Status.COMPLETED
        task.completed_at = timezone.now()
        task.completed_by = user
        task.save()
        return recurrence.create_next_occurrence(task=task, actor=user)


def test_completing_an_occurrence_creates_the_next_with_the_same_fields(
    make_user: Any, client_for: Any, published_events: Any
) -> None:
    team = make_team(make_user, client_for)
    label = team.room.labels.create(name="ops")
    due = timezone.now().date() + timedelta(days=1)
    task = team.task(
        "Water the plants",
        description="all of them",
        priority=Priority.HIGH,
        estimate_minutes=10,
        recurrence="FREQ=WEEKLY;BYDAY=MO,TH",
        due_date=due,
    )
    task.labels.add(label)
    Assignment.objects.create(task=task, user=team.users["member"])
    following = _complete(task, team.users["member"])
    assert following is not None
    task.refresh_from_db()
    assert task.series_id == task.id and following.series_id == task.id
    assert following.status == Status.PENDING and following.completed_at is None
    assert (following.title, following.description, following.priority) == (
        "Water the plants",
        "all of them",
        Priority.HIGH,
    )
    assert following.estimate_minutes == 10 and following.recurrence == task.recurrence
    assert following.due_date > due and following.due_date.weekday() in (0, 3)
    assert list(following.labels.all()) == [label]
    assert list(following.assignees.all()) == [team.users["member"]]
    created = [e for e in published_events("tasks.task.created")]
    assert created[-1].data["occurrence_of"] == str(task.id)
    assert created[-1].data["task_id"] == str(following.id)
    assigned = published_events("tasks.task.assigned")
    assert assigned[-1].data["recipient_ids"] == []  # nobody is told again each time
    # Completed again (reopened in between): no second copy.
    assert _complete(task, team.users["member"]) is None
    assert Task.objects.filter(series_id=task.id).count() == 2


def test_a_task_without_a_rule_creates_nothing(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    task = team.task("Once")
    assert _complete(task, team.users["owner"]) is None
    assert Task.objects.count() == 1


def test_an_assignee_who_left_is_not_assigned_again(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    task = team.task("Daily", recurrence="FREQ=DAILY")
    Assignment.objects.create(task=task, user=team.users["member"])
    Assignment.objects.create(task=task, user=team.users["admin"])
    team.room.memberships.filter(user=team.users["member"]).delete()
    following = _complete(task, team.users["owner"])
    assert following is not None
    assert list(following.assignees.all()) == [team.users["admin"]]


def test_scope_this_changes_only_this_occurrence(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    task = team.task("Report", recurrence="FREQ=DAILY", due_date=timezone.now().date())
    recurrence.ensure_series(task=task)
    with transaction.atomic():
        recurrence.record_this_only(
            task=task, before={"title": task.title}, actor=team.users["owner"]
        )
        task.title = "Report (short one today)"
        task.save()
    assert TaskChange.objects.filter(task=task, field="scope", after="this").exists()
    following = _complete(task, team.users["owner"])
    assert following is not None and following.title == "Report"


def test_scope_following_changes_the_later_open_occurrences(
    make_user: Any, client_for: Any
) -> None:
    team = make_team(make_user, client_for)
    first = team.task("Standup", recurrence="FREQ=DAILY", due_date=timezone.now().date())
    second = _complete(first, team.users["owner"])
    assert second is not None
    # Edit the completed one with scope=following: the open one follows, the history says so.
    with transaction.atomic():
        first.title = "Daily standup"
        first.save()
        changed = recurrence.apply_to_following(
            task=first,
            changes={"title": "Daily standup", "recurrence": "FREQ=WEEKLY;BYDAY=MO"},
            actor=team.users["owner"],
        )
    assert [t.id for t in changed] == [second.id]
    second.refresh_from_db()
    assert second.title == "Daily standup" and second.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    assert TaskChange.objects.filter(task=second, field="title", after="Daily standup").exists()
    third = _complete(second, team.users["owner"])
    assert third is not None and third.title == "Daily standup"
    assert third.due_date.weekday() == 0


def test_scope_is_this_or_following() -> None:
    assert recurrence.parse_scope(None) == "following"
    assert recurrence.parse_scope("this") == "this"
    with pytest.raises(ServiceError) as caught:
        recurrence.parse_scope("all")
    assert "scope" in caught.value.fields
