"""A room's `share_progress`: off by default; only its owner and admins change it; every other
caller is refused the way any room edit is; `tasks.task.completed` carries it, so social-service
shows a completed task's title only where the room allows it."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.rooms.models import Room
from tasks.rooms.tests.conftest import ROLES, Cast

pytestmark = pytest.mark.django_db

#            owner admin member viewer stranger banned anonymous
EXPECTED = (200, 200, 403, 403, 404, 403, 401)


def test_sharing_is_off_by_default_and_shown_to_members(cast: Cast) -> None:
    assert cast.room.share_progress is False
    assert cast.clients["viewer"].get(cast.url()).json()["share_progress"] is False


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, EXPECTED, strict=True)))
def test_only_the_owner_and_admins_change_it(cast: Cast, role: str, expected: int) -> None:
    response = cast.clients[role].patch(cast.url(), {"share_progress": True}, format="json")
    assert response.status_code == expected, response.content
    shared = Room.objects.get(id=cast.room.id).share_progress
    assert shared is (expected == 200)
    if expected == 200:
        assert response.json()["share_progress"] is True
    if role == "stranger":  # the same answer as a room that does not exist
        assert response.json()["code"] == "room_not_found"


def test_a_bad_value_names_the_field(cast: Cast) -> None:
    response = cast.clients["owner"].patch(cast.url(), {"share_progress": "maybe"}, format="json")
    assert response.status_code == 400
    assert "share_progress" in str(response.json())
    assert Room.objects.get(id=cast.room.id).share_progress is False


def test_the_completed_event_says_whether_the_room_shares(
    cast: Cast, published_events: Any
) -> None:
    member = cast.clients["member"]

    def complete(title: str) -> dict[str, Any]:
        task = member.post(cast.url("tasks/"), {"title": title}, format="json").json()
        moved = member.post(f"/api/tasks/tasks/{task['id']}/move/", {"status": "completed"})
        assert moved.status_code == 200, moved.content
        return published_events("tasks.task.completed")[-1].data

    assert complete("Quiet")["share_progress"] is False
    cast.clients["owner"].patch(cast.url(), {"share_progress": True}, format="json")
    assert complete("Loud")["share_progress"] is True
    assert published_events("tasks.task.completed")[-1].data["private"] is False
    cast.clients["owner"].patch(cast.url(), {"private": True}, format="json")
    assert complete("Hushed")["private"] is True


def test_the_personal_space_owner_decides_for_it(client_for: Any) -> None:
    client = client_for()
    space = client.get("/api/tasks/personal/").json()
    assert space["share_progress"] is False
    url = f"/api/tasks/rooms/{space['id']}/"
    assert client.patch(url, {"share_progress": True}, format="json").json()["share_progress"]
