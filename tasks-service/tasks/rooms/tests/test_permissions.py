"""Every rooms endpoint tried by the owner, an admin, a member, a viewer, a stranger, a banned
member and anonymously. A stranger learns nothing: the same 404 a missing room gets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tasks.rooms import services
from tasks.rooms.models import Label, Membership, Room
from tasks.rooms.tests.conftest import ROLES, Cast, add_member

pytestmark = pytest.mark.django_db

#            owner admin member viewer stranger banned anonymous
READ = (200, 200, 200, 200, 404, 403, 401)
ADMIN = (200, 200, 403, 403, 404, 403, 401)
OWNER = (200, 403, 403, 403, 404, 403, 401)


def _target(cast: Cast, make_user: Any) -> Any:
    target = make_user(username="target")
    add_member(cast.room, target, "member")
    return target


def _label(cast: Cast) -> Label:
    return Label.objects.create(room=cast.room, name="bug", color="#ff0000")


# (name, method, url(cast, target, label), body, expected per role)
CASES = [
    ("room read", "get", lambda c, t, lb: c.url(), None, READ),
    ("room edit", "patch", lambda c, t, lb: c.url(), {"name": "New"}, ADMIN),
    (
        "room delete",
        "delete",
        lambda c, t, lb: c.url(),
        None,
        tuple(204 if s == 200 else s for s in OWNER),
    ),
    ("code regenerate", "post", lambda c, t, lb: c.url("join-code/"), None, ADMIN),
    ("members", "get", lambda c, t, lb: c.url("members/"), None, READ),
    ("role change", "patch", lambda c, t, lb: c.url(f"members/{t.id}/"), {"role": "viewer"}, ADMIN),
    (
        "member remove",
        "delete",
        lambda c, t, lb: c.url(f"members/{t.id}/"),
        None,
        tuple(204 if s == 200 else s for s in ADMIN),
    ),
    (
        "transfer",
        "post",
        lambda c, t, lb: c.url("transfer-ownership/"),
        lambda t: {"user_id": str(t.id)},
        OWNER,
    ),
    ("labels", "get", lambda c, t, lb: c.url("labels/"), None, READ),
    (
        "label add",
        "post",
        lambda c, t, lb: c.url("labels/"),
        {"name": "new"},
        tuple(201 if s == 200 else s for s in ADMIN),
    ),
    (
        "label edit",
        "patch",
        lambda c, t, lb: c.url(f"labels/{lb.id}/"),
        {"color": "#00ff00"},
        ADMIN,
    ),
    (
        "label delete",
        "delete",
        lambda c, t, lb: c.url(f"labels/{lb.id}/"),
        None,
        tuple(204 if s == 200 else s for s in ADMIN),
    ),
    ("history", "get", lambda c, t, lb: c.url("history/"), None, READ),
    ("leave", "post", lambda c, t, lb: c.url("leave/"), None, (409, 204, 204, 204, 404, 403, 401)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "make_url", "body", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_room_endpoint_by_role(
    cast: Cast, make_user: Any, role: str, method: str, make_url: Any, body: Any, expected: tuple
) -> None:
    target, label = _target(cast, make_user), _label(cast)
    data = body(target) if callable(body) else body
    response = getattr(cast.clients[role], method)(
        make_url(cast, target, label), data, format="json"
    )
    want = expected[ROLES.index(role)]
    assert response.status_code == want, (role, response.content)
    if want == 404:
        assert response.json()["code"] == "room_not_found"
    if want == 403 and role == "banned":
        assert response.json()["code"] == "user_banned"
    if want == 403 and role != "banned":
        assert response.json()["code"] in ("room_role_required", "role_too_low")


def test_stranger_404_is_the_same_as_a_missing_room(cast: Cast) -> None:
    """A missing id, a malformed id and a room one is not in answer alike."""
    client = cast.clients["stranger"]
    real = client.get(cast.url())
    missing = client.get(f"/api/tasks/rooms/{uuid.uuid4()}/")
    malformed = client.get("/api/tasks/rooms/not-a-uuid/")
    assert real.status_code == missing.status_code == malformed.status_code == 404
    assert real.json()["code"] == missing.json()["code"] == malformed.json()["code"]
    assert real.json()["message"] == missing.json()["message"]


@pytest.mark.parametrize("role", ROLES)
def test_join_by_code_by_role(cast: Cast, role: str) -> None:
    response = cast.clients[role].post(
        "/api/tasks/rooms/join/", {"code": cast.room.join_code}, format="json"
    )
    want = {"banned": 403, "anonymous": 401}.get(role, 200)
    assert response.status_code == want, response.content
    if role == "stranger":
        assert Membership.objects.get(room=cast.room, user=cast.users["stranger"]).role == "member"
    if role in ("owner", "admin", "viewer"):  # already in: unchanged
        assert Membership.objects.get(room=cast.room, user=cast.users[role]).role == role


@pytest.mark.parametrize("role", ROLES)
def test_my_rooms_create_and_personal_by_role(cast: Cast, role: str) -> None:
    client = cast.clients[role]
    listed = client.get("/api/tasks/rooms/")
    created = client.post("/api/tasks/rooms/", {"name": "Mine"}, format="json")
    personal = client.get("/api/tasks/personal/")
    if role == "anonymous":
        assert (listed.status_code, created.status_code, personal.status_code) == (401, 401, 401)
        return
    if role == "banned":
        assert (listed.status_code, created.status_code, personal.status_code) == (403, 403, 403)
        return
    assert (listed.status_code, created.status_code, personal.status_code) == (200, 201, 200)
    ids = [room["id"] for room in listed.json()["results"]]
    assert (str(cast.room.id) in ids) == (role != "stranger")
    assert personal.json()["kind"] == "personal"
    assert personal.json()["my_role"] == "owner"


def test_personal_space_is_nobody_elses(cast: Cast) -> None:
    """Another person's personal space is the same 404 for everyone, even the room's owner."""
    space = services.personal_space_for(user=cast.users["member"])
    for role in ("owner", "admin", "viewer", "stranger"):
        response = cast.clients[role].get(f"/api/tasks/rooms/{space.id}/")
        assert response.status_code == 404
    assert Room.objects.filter(id=space.id).exists()
