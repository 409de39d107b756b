""" "My tasks" and a room's tasks: filters, sorts, cursor pagination and bounded query counts;
`unassign_everywhere` for people who leave a room."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cotask_common.users.models import UserRef
from tasks.planning import services
from tasks.planning.models import Assignment, TaskChange
from tasks.rooms.models import Label, RoomRole

pytestmark = pytest.mark.django_db


def _create(client: Any, room: Any, **fields: Any) -> str:
    response = client.post(f"/api/tasks/rooms/{room.id}/tasks/", fields, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [t["title"] for t in response.json()["results"]]


@pytest.fixture
def board(cast: Any) -> dict[str, Any]:
    """A room with tasks of every kind, mostly assigned to the member `mila`."""
    today = timezone.now().date()
    me = str(cast.member.user.id)
    label = Label.objects.create(room=cast.room, name="Bug")
    make = _create
    ids = {
        "overdue": make(
            cast.owner,
            cast.room,
            title="Overdue report",
            due=(today - timedelta(days=2)).isoformat(),
            priority="high",
            assignee_ids=[me],
        ),
        "today": make(
            cast.owner,
            cast.room,
            title="Today standup",
            due=today.isoformat(),
            priority="low",
            assignee_ids=[me],
            label_ids=[str(label.id)],
        ),
        "week": make(
            cast.owner,
            cast.room,
            title="Week review",
            due=(today + timedelta(days=4)).isoformat(),
            priority="urgent",
            assignee_ids=[me],
            description="the quarterly numbers",
        ),
        "later": make(
            cast.owner,
            cast.room,
            title="Later planning",
            due=(timezone.now() + timedelta(days=30)).isoformat(),
            priority="medium",
            assignee_ids=[me, str(cast.admin.user.id)],
            status="in_progress",
        ),
        "none": make(cast.owner, cast.room, title="No deadline", assignee_ids=[me]),
        "done": make(
            cast.owner,
            cast.room,
            title="Done overdue",
            due=(today - timedelta(days=3)).isoformat(),
            assignee_ids=[me],
            status="completed",
        ),
        "theirs": make(
            cast.owner, cast.room, title="Admin only", assignee_ids=[str(cast.admin.user.id)]
        ),
    }
    return {"ids": ids, "label": label}


def test_my_tasks_are_my_assignments_and_my_personal_space(
    cast: Any, board: dict[str, Any], make_room: Any, join: Any
) -> None:
    other_room = make_room(name="Other")
    join(other_room, cast.member.user, RoomRole.MEMBER)
    _create(
        cast.member, other_room, title="Elsewhere mine", assignee_ids=[str(cast.member.user.id)]
    )
    _create(cast.member, other_room, title="Elsewhere nobody's")
    cast.member.post("/api/tasks/personal/tasks/", {"title": "Personal"}, format="json")
    titles = _titles(cast.member.get("/api/tasks/my-tasks/"))
    assert set(titles) == {
        "Overdue report",
        "Today standup",
        "Week review",
        "Later planning",
        "No deadline",
        "Done overdue",
        "Elsewhere mine",
        "Personal",
    }
    assert titles[0] == "Personal"  # default sort: most recently updated first


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=pending", {"Overdue report", "Today standup", "Week review", "No deadline"}),
        ("status=in_progress,completed", {"Later planning", "Done overdue"}),
        ("priority=high,urgent", {"Overdue report", "Week review"}),
        ("due=overdue", {"Overdue report"}),
        ("due=today", {"Today standup"}),
        ("due=week", {"Today standup", "Week review"}),
        ("due=none", {"No deadline"}),
        ("q=QUARTERLY", {"Week review"}),
        ("q=report", {"Overdue report"}),
    ],
)
def test_my_tasks_filters(cast: Any, board: dict[str, Any], query: str, expected: set) -> None:
    assert set(_titles(cast.member.get(f"/api/tasks/my-tasks/?{query}"))) == expected


def test_filters_by_label_assignee_and_range(cast: Any, board: dict[str, Any]) -> None:
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    label = board["label"].id
    assert set(_titles(cast.viewer.get(f"{room}?label={label}"))) == {"Today standup"}
    assert set(_titles(cast.admin.get(f"{room}?assignee=me"))) == {"Later planning", "Admin only"}
    assert set(_titles(cast.viewer.get(f"{room}?assignee={cast.admin.user.id}"))) == {
        "Later planning",
        "Admin only",
    }
    today = timezone.now().date()
    start, end = (today - timedelta(days=2)).isoformat(), today.isoformat()
    assert set(_titles(cast.viewer.get(f"{room}?due_from={start}&due_to={end}"))) == {
        "Overdue report",
        "Today standup",
    }
    later = (today + timedelta(days=20)).isoformat()
    assert set(_titles(cast.viewer.get(f"{room}?due_from={later}"))) == {"Later planning"}
    assert set(_titles(cast.viewer.get(f"{room}?due=overdue&status=completed"))) == set()


def test_an_instant_deadline_counts_as_overdue_and_today(cast: Any) -> None:
    hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    _create(cast.member, cast.room, title="Missed call", due=hour_ago)
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    assert _titles(cast.viewer.get(f"{room}?due=overdue")) == ["Missed call"]


def test_a_time_zone_moves_today(cast: Any) -> None:
    """`today` is the reader's day (`tz`): an instant early today in UTC is still yesterday
    twelve hours west."""
    from zoneinfo import ZoneInfo

    now = timezone.now()
    early = now.replace(hour=0, minute=30, second=0, microsecond=0)
    _create(cast.member, cast.room, title="Early", due=early.isoformat())
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    assert _titles(cast.viewer.get(f"{room}?due=today")) == ["Early"]
    west = ZoneInfo("Etc/GMT+12")
    same_day_there = early.astimezone(west).date() == now.astimezone(west).date()
    expected = ["Early"] if same_day_there else []
    assert _titles(cast.viewer.get(f"{room}?due=today&tz=Etc/GMT%2B12")) == expected
    assert early.astimezone(west).date() < early.date()


def test_today_is_the_accounts_day_without_tz(cast: Any, make_token: Any) -> None:
    """Without `?tz=`, `today` is the day in the account's saved zone (the token's `tz`)."""
    from zoneinfo import ZoneInfo

    from rest_framework.test import APIClient

    now = timezone.now()
    early = now.replace(hour=0, minute=30, second=0, microsecond=0)
    _create(cast.member, cast.room, title="Early", due=early.isoformat())
    west = ZoneInfo("Etc/GMT+12")
    expected = ["Early"] if early.astimezone(west).date() == now.astimezone(west).date() else []
    client = APIClient()
    token = make_token(cast.viewer.user, tz="Etc/GMT+12")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    assert _titles(client.get(f"{room}?due=today")) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "due",
            [
                "Done overdue",
                "Overdue report",
                "Today standup",
                "Week review",
                "Later planning",
                "No deadline",
            ],
        ),
        ("-priority", ["Week review", "Overdue report", "Later planning", "Today standup"]),
        ("priority", ["No deadline", "Done overdue"]),
    ],
)
def test_sorts(cast: Any, board: dict[str, Any], sort: str, expected: list[str]) -> None:
    titles = _titles(cast.member.get(f"/api/tasks/my-tasks/?sort={sort}"))
    assert titles[: len(expected)] == expected


def test_sort_by_deadline_descending_and_by_update(cast: Any, board: dict[str, Any]) -> None:
    titles = _titles(cast.member.get("/api/tasks/my-tasks/?sort=-due"))
    assert titles[:2] == ["No deadline", "Later planning"]
    services.update_task(
        actor=UserRef(id=cast.member.user.id, username="mila"),
        task_id=board["ids"]["week"],
        title="Week review!",
    )
    assert _titles(cast.member.get("/api/tasks/my-tasks/?sort=-updated"))[0] == "Week review!"


@pytest.mark.parametrize("sort", ["due", "-due", "priority", "-priority", "position", "-updated"])
def test_every_sort_pages_through_everything_once(
    cast: Any, board: dict[str, Any], sort: str
) -> None:
    for n in range(5):  # ties: same deadline (none) and priority
        _create(cast.owner, cast.room, title=f"Tie {n}", assignee_ids=[str(cast.member.user.id)])
    seen: list[str] = []
    url: str | None = f"/api/tasks/my-tasks/?sort={sort}&page_size=2"
    pages = 0
    while url:
        body = cast.member.get(url).json()
        seen += [t["id"] for t in body["results"]]
        url = body["next"]
        pages += 1
        assert pages < 20
    assert len(seen) == len(set(seen)) == 11


def test_list_queries_stay_bounded(
    cast: Any, board: dict[str, Any], django_assert_max_num_queries: Any, warm: Any
) -> None:
    me = str(cast.member.user.id)
    label = str(board["label"].id)
    warm()
    # Each read below renders its page (a miss: the writes before it changed the versions),
    # so the bounds measure the queries of a page, not of a cached one.
    with CaptureQueriesContext(connection) as few:
        response = cast.member.get("/api/tasks/my-tasks/?sort=due")
    assert len(_titles(response)) == 6 and response["X-Page-Cache"] == "miss"
    few_count = len(few.captured_queries)  # now: the property reads the live query log
    assert few_count <= 6
    for n in range(20):
        _create(cast.owner, cast.room, title=f"More {n}", assignee_ids=[me], label_ids=[label])
    warm()
    with django_assert_max_num_queries(few_count):
        response = cast.member.get("/api/tasks/my-tasks/?sort=due")
    assert len(_titles(response)) == 20 and response["X-Page-Cache"] == "miss"
    warm()
    with django_assert_max_num_queries(few_count + 1):  # + the membership
        response = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/tasks/?sort=-priority")
    assert response["X-Page-Cache"] == "miss"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=done", "status"),
        ("priority=critical", "priority"),
        ("due=yesterday", "due"),
        ("due_from=2026-13-01", "due_from"),
        ("due_from=2026-12-10&due_to=2026-12-01", "due_to"),
        ("assignee=someone", "assignee"),
        ("label=x", "label"),
        ("sort=title", "sort"),
        ("tz=Mars/Olympus", "tz"),
    ],
)
def test_bad_filters_name_their_field(cast: Any, query: str, field: str) -> None:
    response = cast.member.get(f"/api/tasks/my-tasks/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()


def test_the_filters_rule_has_its_code_and_the_text_its_documented_length(
    cast: Any, board: dict[str, Any]
) -> None:
    """`due_to` before `due_from` breaks the rule the operation states (`range_order`, not a
    malformed value); `q` is up to 200 characters as sent, and blank is no text filter."""
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    response = cast.viewer.get(f"{room}?due_from=2026-12-10&due_to=2026-12-01")
    assert response.status_code == 400
    assert response.json()["fields"]["due_to"][0]["code"] == "range_order"
    everything = set(_titles(cast.viewer.get(room)))
    assert set(_titles(cast.viewer.get(f"{room}?q=%20%20"))) == everything
    assert cast.viewer.get(f"{room}?q=" + "a" * 200).status_code == 200
    for long in ("a" * 201, " " * 190 + "standup" + " " * 10):
        response = cast.viewer.get(room, {"q": long})
        assert response.status_code == 400 and "q" in response.json()["fields"]
    assert set(_titles(cast.viewer.get(room, {"q": "  standup "}))) == {"Today standup"}
    # A comma list or an assignee given blank (spaces and line ends too) is no filter.
    for blank in ("", " ", "\n\r\n\x0c \n"):
        for name in ("status", "priority", "assignee"):
            response = cast.viewer.get(room, {name: blank})
            assert response.status_code == 200, (name, blank, response.json())
            assert set(_titles(response)) == everything


# ---------------------------------------------------------------------------------------------
# unassign_everywhere


def test_unassign_everywhere_takes_a_leaver_off_the_rooms_tasks(
    cast: Any, board: dict[str, Any], make_room: Any, join: Any, published_events: Any
) -> None:
    elsewhere = make_room()
    join(elsewhere, cast.member.user, RoomRole.MEMBER)
    kept = _create(cast.member, elsewhere, title="Kept", assignee_ids=[str(cast.member.user.id)])
    before = len(published_events("tasks.task.unassigned"))
    count = services.unassign_everywhere(user=cast.member.user, room=cast.room)
    assert count == 6
    assert not Assignment.objects.filter(task__room=cast.room, user=cast.member.user).exists()
    assert Assignment.objects.filter(task_id=kept, user=cast.member.user).exists()
    # The admin stays on the shared task.
    later = board["ids"]["later"]
    assert list(Assignment.objects.filter(task_id=later).values_list("user_id", flat=True)) == [
        cast.admin.user.id
    ]
    change = TaskChange.objects.filter(task_id=later, field="assignees").get()
    assert change.actor_id is None
    assert change.after == [str(cast.admin.user.id)]
    assert change.before is not None
    assert sorted(change.before) == sorted([str(cast.admin.user.id), str(cast.member.user.id)])
    events = published_events("tasks.task.unassigned")[before:]
    assert len(events) == 6
    assert {e.data["actor_id"] for e in events} == {None}
    assert {tuple(e.data["assignee_ids"]) for e in events} == {(str(cast.member.user.id),)}
    # Nothing left to do a second time.
    assert services.unassign_everywhere(user=cast.member.user, room=cast.room) == 0
