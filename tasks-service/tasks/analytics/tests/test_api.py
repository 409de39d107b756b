"""The analytics API: who may read what (owner, admin, member, viewer, stranger, banned,
anonymous), the period's rules, bounded reads that never touch the tasks table, the room's
deletion, and the rebuild command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cotask_common.events.testing import make_event
from tasks.analytics.models import CurrentCount, DayTotals, MonthTotals, TaskFact
from tasks.analytics.services import apply_task_event
from tasks.analytics.tests.test_history import _tables
from tasks.planning import services

pytestmark = pytest.mark.django_db


def _today() -> str:
    return timezone.now().date().isoformat()


def _period(days: int = 6) -> str:
    today = timezone.now().date()
    return f"start={(today - timedelta(days=days)).isoformat()}&end={today.isoformat()}"


def _room_url(cast: Any, suffix: str = "") -> str:
    return f"/api/tasks/analytics/rooms/{cast.room.id}/{suffix}?{_period()}"


@pytest.fixture
def busy(cast: Any, deliver: Any) -> Any:
    """The cast's room with a few tasks: open, in progress, overdue, completed; delivered."""
    owner = cast.room.owner
    member = cast.member.user
    now = timezone.now()
    made = [
        services.create_task(actor=owner, room_id=cast.room.id, title="Plan", priority=3,
                             assignee_ids=[member.id], due=now - timedelta(hours=2)),
        services.create_task(actor=member, room_id=cast.room.id, title="Build", priority=4,
                             assignee_ids=[member.id, owner.id]),
        services.create_task(actor=member, room_id=cast.room.id, title="Ship",
                             due=now.date() - timedelta(days=2)),
        services.create_task(actor=owner, room_id=cast.room.id, title="Done", status="completed"),
    ]  # fmt: skip
    services.move_task(actor=member, task_id=made[1].id, status="in_progress")
    services.update_task(actor=member, task_id=made[0].id, status="completed")
    services.update_task(actor=member, task_id=made[0].id, status="pending")
    assert deliver(batched=True) > 0
    cast.member_user = member
    return cast


def test_a_rooms_figures_for_every_member_role(busy: Any) -> None:
    for role in ("owner", "admin", "member", "viewer"):
        response = getattr(busy, role).get(_room_url(busy))
        assert response.status_code == 200, (role, response.json())
        body = response.json()
        assert body["created"] == 4 and body["completed"] == 1, role
        assert body["now"] == {
            "open": 3,
            "overdue": 2,
            "open_by_priority": {"none": 1, "low": 0, "medium": 0, "high": 1, "urgent": 1},
        }
        today = body["days"][-1]
        assert today["day"] == _today()
        assert today["open"] == 3 and today["by_status"] == {
            "pending": 2, "in_progress": 1, "completed": 1,
        }  # fmt: skip
        assert len(body["days"]) == 7
        assert body["lead_time"]["count"] == 1


def test_per_member_figures_only_for_admins_and_the_owner(busy: Any) -> None:
    for role in ("owner", "admin"):
        response = getattr(busy, role).get(_room_url(busy, "members/"))
        assert response.status_code == 200, role
        members = {m["username"]: m for m in response.json()["members"]}
        mila = members["mila"]
        assert mila["created"] == 2 and mila["now"]["open"] == 2
        assert mila["now"]["open_by_priority"]["urgent"] == 1
        assert mila["now"]["overdue"] == 1
        assert members["vera"]["created"] == 0
    for role in ("member", "viewer"):
        response = getattr(busy, role).get(_room_url(busy, "members/"))
        assert response.status_code == 403, role
        assert response.json()["code"] == "room_role_required"


def test_strangers_get_the_404_of_a_missing_room_and_the_banned_and_anonymous_are_refused(
    busy: Any,
) -> None:
    for suffix in ("", "members/"):
        stranger = busy.stranger.get(_room_url(busy, suffix))
        assert stranger.status_code == 404
        missing = busy.stranger.get(
            f"/api/tasks/analytics/rooms/01234567-89ab-7def-8123-456789abcdef/{suffix}?{_period()}"
        )
        assert missing.status_code == 404
        assert stranger.json()["code"] == missing.json()["code"] == "room_not_found"
        assert busy.banned.get(_room_url(busy, suffix)).json()["code"] == "user_banned"
        assert busy.banned.get(_room_url(busy, suffix)).status_code == 403
        assert busy.anonymous.get(_room_url(busy, suffix)).status_code == 401
    assert busy.anonymous.get(f"/api/tasks/analytics/me/?{_period()}").status_code == 401
    assert busy.banned.get(f"/api/tasks/analytics/me/?{_period()}").status_code == 403


def test_my_own_figures_across_my_rooms(busy: Any, deliver: Any, make_room: Any) -> None:
    member = busy.member_user
    other = make_room(member, name="Side project")
    mine = services.create_task(
        actor=member, room_id=other.id, title="Mine", assignee_ids=[member.id]
    )
    services.update_task(actor=member, task_id=mine.id, status="completed")
    services.create_task(actor=member, room_id=other.id, title="Next", assignee_ids=[member.id])
    deliver(batched=True)
    body = busy.member.get(f"/api/tasks/analytics/me/?{_period()}").json()
    assert body["user_id"] == str(member.id) and body["rooms"] == 2
    # Created Build, Ship, Mine, Next; completed Mine (Plan was reopened); assigned open:
    # Plan, Build, Next.
    assert body["created"] == 4 and body["completed"] == 1
    assert body["now"]["open"] == 3
    # A stranger has no rooms here: zeros, not an error.
    stranger = busy.stranger.get(f"/api/tasks/analytics/me/?{_period()}").json()
    assert stranger["rooms"] == 0 and stranger["created"] == 0


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("end=2026-01-01", "start", "required"),
        ("start=2026-01-01", "end", "required"),
        ("start=yesterday&end=2026-01-01", "start", "invalid"),
        ("start=2026-01-01&end=2026-13-01", "end", "invalid"),
        ("start=2026-01-05&end=2026-01-01", "start", "after_end"),
        ("start=2020-01-01&end=2026-01-01", "start", "too_long"),
        ("start=2026-01-01&end=2999-01-01", "end", "future"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(
    busy: Any, query: str, field: str, code: str
) -> None:
    for url in (
        f"/api/tasks/analytics/rooms/{busy.room.id}/?{query}",
        f"/api/tasks/analytics/rooms/{busy.room.id}/members/?{query}",
        f"/api/tasks/analytics/me/?{query}",
    ):
        response = busy.owner.get(url)
        assert response.status_code == 400, (url, response.json())
        assert response.json()["fields"][field][0]["code"] == code


def test_tomorrow_is_today_somewhere_east(busy: Any, client_for: Any) -> None:
    """`end` may be today in the person's zone, even when that is tomorrow in UTC."""
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    url = f"/api/tasks/analytics/me/?start={tomorrow}&end={tomorrow}"
    east = client_for(busy.member_user, tz="Pacific/Kiritimati")  # UTC+14
    utc = client_for(busy.member_user, tz="UTC")
    local_today = timezone.now().astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Kiritimati"))
    expected = 200 if local_today.date().isoformat() == tomorrow else 400
    assert east.get(url).status_code == expected
    assert utc.get(url).status_code == 400


def test_reads_are_a_bounded_number_of_queries_and_never_touch_the_task_table(
    busy: Any, deliver: Any, warm: Any
) -> None:
    def queries(client: Any, url: str) -> list[str]:
        warm()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    urls = [
        (busy.member, _room_url(busy)),
        (busy.owner, _room_url(busy, "members/")),
        (busy.member, f"/api/tasks/analytics/me/?{_period()}"),
    ]
    before = [queries(client, url) for client, url in urls]
    for index in range(30):  # more tasks, more days of history: the same number of queries
        services.create_task(
            actor=busy.member_user, room_id=busy.room.id, title=f"More {index}",
            priority=index % 5, assignee_ids=[busy.member_user.id],
            due=timezone.now() - timedelta(minutes=index),
        )  # fmt: skip
    deliver(batched=True)
    for (client, url), first in zip(urls, before, strict=True):
        sql = queries(client, url)
        # A room read not in the cache (both here: a write came between) reads the permission
        # with the room's figures version (and the members), then the figures: on PostgreSQL
        # one statement that also reads the version again and the next deadline (2 queries);
        # SQLite's ORM path reads those after its reads (at most 6).
        assert len(sql) == len(first) <= 6, sql
        assert not [q for q in sql if "planning_" in q], sql
        if "/rooms/" in url:  # served from the cache: the permission and the version
            assert len(queries(client, url)) == 1


def test_a_deleted_room_takes_its_figures_with_it(busy: Any) -> None:
    assert TaskFact.objects.filter(room_id=busy.room.id).exists()
    event = make_event(
        type="tasks.room.deleted",
        key=busy.room.id,
        data={"id": str(busy.room.id), "name": "Launch", "kind": "team",
              "owner_id": str(busy.room.owner_id), "actor_id": str(busy.room.owner_id)},
    )  # fmt: skip
    from tasks.analytics.events import on_room_deleted

    on_room_deleted(event)
    for model in (TaskFact, DayTotals, MonthTotals, CurrentCount):
        assert not model.objects.filter(room_id=busy.room.id).exists()


def test_an_event_of_an_unknown_task_changes_nothing(busy: Any) -> None:
    rows = _tables()
    event = make_event(
        type="tasks.task.status_changed",
        key="01234567-89ab-7def-8123-456789abcdef",
        data={"task_id": "01234567-89ab-7def-8123-456789abcdef", "room_id": str(busy.room.id),
              "room_name": "Launch", "title": "x", "room_kind": "team",
              "previous_status": "pending", "status": "completed",
              "actor_id": str(busy.room.owner_id)},
    )  # fmt: skip
    apply_task_event(event)
    assert _tables() == rows


def test_the_rebuild_command_gives_the_same_rows(busy: Any) -> None:
    def rows() -> tuple[set[Any], ...]:
        daily, current, _facts, monthly = _tables()  # facts: the event's moments differ
        return daily, current, monthly

    live = rows()
    assert live[0] and live[2]  # day and month rows to compare
    DayTotals.objects.all().delete()
    out = StringIO()
    call_command("tasks_analytics_rebuild", stdout=out)
    assert "4 tasks" in out.getvalue()
    assert rows() == live


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "cannot end after today"), ("ru", "позже сегодняшнего"), ("uk", "пізніше за сьогодні")],
)
def test_a_period_error_speaks_the_persons_language(busy: Any, language: str, text: str) -> None:
    response = busy.member.get(
        "/api/tasks/analytics/me/?start=2026-01-01&end=2999-01-01",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert text in response.json()["fields"]["end"][0]["message"]
