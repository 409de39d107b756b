"""Who may do what with tasks, each endpoint tried by the owner, an admin, a member, a viewer, a
stranger, a banned member and anonymously. Viewers read; members write; nobody outside the room
learns whether a task exists."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tasks.planning.models import Task

pytestmark = pytest.mark.django_db

ROLES = ("owner", "admin", "member", "viewer", "stranger", "banned", "anonymous")

# What each role gets: readers are owner/admin/member/viewer, writers owner/admin/member.
READ = {
    "owner": 200,
    "admin": 200,
    "member": 200,
    "viewer": 200,
    "stranger": 404,
    "banned": 403,
    "anonymous": 401,
}
WRITE = {**READ, "viewer": 403}


@pytest.fixture
def task(cast: Any) -> Task:
    response = cast.member.post(
        f"/api/tasks/rooms/{cast.room.id}/tasks/", {"title": "Guarded"}, format="json"
    )
    assert response.status_code == 201, response.json()
    return Task.objects.get(id=response.json()["id"])


def _call(cast: Any, role: str, method: str, url: str, data: Any = None) -> Any:
    client = getattr(cast, role)
    return getattr(client, method)(url, data, format="json")


def _check(response: Any, role: str, expected: int, ok: int) -> None:
    wanted = ok if expected == 200 else expected
    assert response.status_code == wanted, (role, response.status_code, response.content)
    code = response.json().get("code") if response.content else None
    if expected == 404:
        assert code in ("task_not_found", "room_not_found"), code
    if expected == 403 and role == "viewer":
        assert code == "room_role_required"
    if role == "banned":
        assert code == "user_banned"


@pytest.mark.parametrize("role", ROLES)
def test_create_in_a_room(cast: Any, role: str) -> None:
    response = _call(cast, role, "post", f"/api/tasks/rooms/{cast.room.id}/tasks/", {"title": "x"})
    _check(response, role, WRITE[role], 201)
    assert Task.objects.filter(title="x").exists() == (WRITE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_list_a_rooms_tasks(cast: Any, task: Task, role: str) -> None:
    response = _call(cast, role, "get", f"/api/tasks/rooms/{cast.room.id}/tasks/")
    _check(response, role, READ[role], 200)
    if READ[role] == 200:
        assert [t["id"] for t in response.json()["results"]] == [str(task.id)]


@pytest.mark.parametrize("role", ROLES)
def test_the_board(cast: Any, task: Task, role: str) -> None:
    response = _call(cast, role, "get", f"/api/tasks/rooms/{cast.room.id}/board/")
    _check(response, role, READ[role], 200)


@pytest.mark.parametrize("role", ROLES)
def test_read_a_task(cast: Any, task: Task, role: str) -> None:
    response = _call(cast, role, "get", f"/api/tasks/tasks/{task.id}/")
    _check(response, role, READ[role], 200)


@pytest.mark.parametrize("role", ROLES)
def test_read_a_tasks_history(cast: Any, task: Task, role: str) -> None:
    response = _call(cast, role, "get", f"/api/tasks/tasks/{task.id}/history/")
    _check(response, role, READ[role], 200)


@pytest.mark.parametrize("role", ROLES)
def test_edit_a_task(cast: Any, task: Task, role: str) -> None:
    response = _call(cast, role, "patch", f"/api/tasks/tasks/{task.id}/", {"title": "Changed"})
    _check(response, role, WRITE[role], 200)
    task.refresh_from_db()
    assert (task.title == "Changed") == (WRITE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_move_a_task(cast: Any, task: Task, role: str) -> None:
    response = _call(
        cast, role, "post", f"/api/tasks/tasks/{task.id}/move/", {"status": "in_progress"}
    )
    _check(response, role, WRITE[role], 200)
    task.refresh_from_db()
    assert (task.status == "in_progress") == (WRITE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_delete_a_task(cast: Any, task: Task, role: str) -> None:
    response = _call(cast, role, "delete", f"/api/tasks/tasks/{task.id}/")
    _check(response, role, WRITE[role], 204)
    assert Task.objects.filter(id=task.id).exists() == (WRITE[role] != 200)


@pytest.mark.parametrize("role", ROLES)
def test_my_tasks_and_my_personal_space(cast: Any, task: Task, role: str) -> None:
    everyone = {**READ, "stranger": 200}
    _check(_call(cast, role, "get", "/api/tasks/my-tasks/"), role, everyone[role], 200)
    created = _call(cast, role, "post", "/api/tasks/personal/tasks/", {"title": "Mine"})
    _check(created, role, everyone[role], 201)


def _without_request_id(response: Any) -> tuple[int, dict[str, Any]]:
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    return response.status_code, body


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("patch", "", {"title": "x"}),
        ("delete", "", None),
        ("post", "move/", {"status": "pending"}),
        ("get", "history/", None),
    ],
)
def test_a_task_of_another_room_is_the_same_404_as_a_missing_one(
    cast: Any, task: Task, method: str, suffix: str, data: Any
) -> None:
    foreign = _call(cast, "stranger", method, f"/api/tasks/tasks/{task.id}/{suffix}", data)
    missing = _call(cast, "stranger", method, f"/api/tasks/tasks/{uuid.uuid4()}/{suffix}", data)
    malformed = _call(cast, "stranger", method, f"/api/tasks/tasks/not-an-id/{suffix}", data)
    assert _without_request_id(foreign) == _without_request_id(missing)
    assert _without_request_id(foreign) == _without_request_id(malformed)
    assert foreign.status_code == 404 and foreign.json()["code"] == "task_not_found"


def test_a_room_one_is_not_in_is_the_same_404_as_a_missing_one(cast: Any) -> None:
    for suffix in ("tasks/", "board/"):
        foreign = cast.stranger.get(f"/api/tasks/rooms/{cast.room.id}/{suffix}")
        missing = cast.stranger.get(f"/api/tasks/rooms/{uuid.uuid4()}/{suffix}")
        assert _without_request_id(foreign) == _without_request_id(missing)
        assert foreign.status_code == 404
    refused = cast.stranger.post(
        f"/api/tasks/rooms/{cast.room.id}/tasks/", {"title": "x"}, format="json"
    )
    assert _without_request_id(refused)[0] == 404


def test_a_former_member_loses_access(cast: Any, task: Task) -> None:
    from tasks.rooms.models import Membership

    Membership.objects.filter(room=cast.room, user=cast.admin.user).delete()
    assert cast.admin.get(f"/api/tasks/tasks/{task.id}/").status_code == 404
    assert cast.admin.get("/api/tasks/my-tasks/").json()["results"] == []


def test_my_tasks_never_show_another_rooms_tasks(cast: Any, task: Task) -> None:
    """A stranger assigned (by the ORM, bypassing the rules) to a task of a room they are not in
    still does not see it."""
    from tasks.planning.models import Assignment

    Assignment.objects.create(task=task, user=cast.stranger.user)
    assert cast.stranger.get("/api/tasks/my-tasks/").json()["results"] == []
