"""The rules of rooms: codes, joining, leaving, removal, roles, ownership, labels, history,
the events they publish and media's audience."""

from __future__ import annotations

import string
import uuid
from typing import Any

import pytest
from django.core.cache import cache

from cotask_common.users.selectors import restriction_for
from tasks.rooms import services
from tasks.rooms.models import Label, Membership, MembershipChange, Room, RoomKind
from tasks.rooms.tests.conftest import Cast, add_member

pytestmark = pytest.mark.django_db

JOIN = "/api/tasks/rooms/join/"


def _events(published_events: Any, type_: str) -> list[Any]:
    return [e for e in published_events("tasks.") if e.type == type_]


# --- creating and reading -------------------------------------------------------------------


def test_create_room_returns_the_room_json(client_for: Any) -> None:
    client = client_for()
    response = client.post(
        "/api/tasks/rooms/", {"name": "Launch", "description": "Q1"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "kind",
        "name",
        "description",
        "owner",
        "my_role",
        "member_count",
        "join_code",
        "share_progress",
        "private",
        "created_at",
    }
    assert body["kind"] == "team" and body["my_role"] == "owner" and body["member_count"] == 1
    assert body["owner"] == {"id": str(client.user.id), "username": client.user.username}
    assert len(body["join_code"]) == 9
    assert set(body["join_code"]) <= set(string.digits + string.ascii_lowercase)


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "   "}, "name", "required"),
        ({"name": "x" * 121}, "name", "max_length"),
        ({}, "name", "required"),
        ({"name": "ok", "description": "d" * 5001}, "description", "max_length"),
    ],
)
def test_create_room_bad_input_names_the_field(
    client_for: Any, payload: dict, field: str, code: str
) -> None:
    response = client_for().post("/api/tasks/rooms/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code


def test_a_name_of_120_characters_is_fine(client_for: Any) -> None:
    response = client_for().post("/api/tasks/rooms/", {"name": "x" * 120}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_see_the_code(cast: Cast, role: str) -> None:
    assert cast.clients[role].get(cast.url()).json()["join_code"] == cast.room.join_code


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_do_not_see_the_code(cast: Cast, role: str) -> None:
    body = cast.clients[role].get(cast.url()).json()
    assert "join_code" not in body
    listed = cast.clients[role].get("/api/tasks/rooms/").json()["results"]
    assert all("join_code" not in room for room in listed)
    assert body["my_role"] == role and body["member_count"] == 5


def test_edit_room(cast: Cast) -> None:
    response = cast.clients["admin"].patch(
        cast.url(), {"name": " Renamed ", "description": ""}, format="json"
    )
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    bad = cast.clients["admin"].patch(cast.url(), {"name": "y" * 121}, format="json")
    assert bad.status_code == 400 and "name" in bad.json()["fields"]


def test_owner_deletes_the_room_and_its_audience(cast: Cast, published_events: Any) -> None:
    from tasks.planning.models import Attachment, Task

    task = Task.objects.create(room=cast.room, title="with a file")
    Attachment.objects.create(task=task, file_id=uuid.uuid4())
    Attachment.objects.create(task=task, file_id=uuid.uuid4())
    assert cast.clients["owner"].delete(cast.url()).status_code == 204
    detached = _events(published_events, "tasks.media.detached")
    assert [(e.key, e.data) for e in detached] == [
        (str(task.id), {"object_type": "task", "object_id": str(task.id)})
    ]
    assert not Room.objects.filter(id=cast.room.id).exists()
    deleted = _events(published_events, "tasks.room.deleted")[-1]
    assert deleted.data["id"] == str(cast.room.id) and deleted.data["actor_id"] == str(
        cast.users["owner"].id
    )
    revoked = _events(published_events, "tasks.media.access_revoked")[-1]
    assert revoked.key == f"room:{cast.room.id}" and "user_ids" not in revoked.data


# --- join codes --------------------------------------------------------------------------------


def test_codes_are_9_of_36_symbols_and_differ() -> None:
    codes = {services.new_join_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 9 and set(c) <= set(services.JOIN_CODE_ALPHABET) for c in codes)
    assert len(services.JOIN_CODE_ALPHABET) == len(set(services.JOIN_CODE_ALPHABET)) == 36
    # Every symbol shows up: the draw uses the whole alphabet.
    assert set("".join(codes)) == set(services.JOIN_CODE_ALPHABET)


def test_a_colliding_code_is_drawn_again(make_user: Any, monkeypatch: Any) -> None:
    first = services.room_create(user=make_user(), name="One")
    draws = iter([first.join_code, "zzzzzzzzz"])
    monkeypatch.setattr(services, "new_join_code", lambda: next(draws))
    owner = make_user()
    second = services.room_create(user=owner, name="Two")
    assert second.join_code == "zzzzzzzzz" != first.join_code
    # Regenerating draws again too, and the room keeps a code of its own.
    draws = iter([first.join_code, "yyyyyyyyy"])
    services.join_code_regenerate(user=owner, room_id=second.id)
    second.refresh_from_db()
    assert second.join_code == "yyyyyyyyy"


def test_join_is_case_insensitive_and_trims(cast: Cast, client_for: Any) -> None:
    newcomer, code = client_for(), str(cast.room.join_code)
    response = newcomer.post(JOIN, {"code": f"  {code.upper()} "}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(cast.room.id) and body["my_role"] == "member"
    assert "join_code" not in body


def test_joining_twice_changes_nothing(cast: Cast, published_events: Any) -> None:
    before = len(_events(published_events, "tasks.room.joined"))
    response = cast.clients["viewer"].post(JOIN, {"code": cast.room.join_code}, format="json")
    assert response.status_code == 200 and response.json()["my_role"] == "viewer"
    assert len(_events(published_events, "tasks.room.joined")) == before


@pytest.mark.parametrize("code", ["", "abc", "abcdefghij", "abcdefgh!", "zzzzzzzzz"])
def test_wrong_codes_are_refused_naming_code(cast: Cast, client_for: Any, code: str) -> None:
    response = client_for().post(JOIN, {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["code"][0]["code"] == "invalid_join_code"


def test_regenerated_code_replaces_the_old_one(cast: Cast, client_for: Any) -> None:
    old = cast.room.join_code
    response = cast.clients["admin"].post(cast.url("join-code/"))
    assert response.status_code == 200
    new = response.json()["join_code"]
    assert new != old and len(new) == 9
    refused = client_for().post(JOIN, {"code": old}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["code"][0]["code"] == "invalid_join_code"
    assert client_for().post(JOIN, {"code": new}, format="json").status_code == 200
    assert MembershipChange.objects.filter(room=cast.room, action="code_regenerated").count() == 1


def test_wrong_guesses_are_throttled_per_person(cast: Cast, client_for: Any, settings: Any) -> None:
    settings.TASKS_JOIN_CODE_GUESS_RATE = "3/15m"
    cache.clear()
    guesser, other = client_for(), client_for()
    for _ in range(3):
        assert guesser.post(JOIN, {"code": "000000000"}, format="json").status_code == 400
    refused = guesser.post(JOIN, {"code": cast.room.join_code}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and "Retry-After" in refused
    assert not Membership.objects.filter(room=cast.room, user=guesser.user).exists()
    # Someone else is not affected, and right codes are not counted.
    for _ in range(5):
        assert other.post(JOIN, {"code": cast.room.join_code}, format="json").status_code == 200


def test_personal_space_has_no_code_and_cannot_be_joined(client_for: Any) -> None:
    client = client_for()
    body = client.get("/api/tasks/personal/").json()
    assert "join_code" not in body
    room = Room.objects.get(id=body["id"])
    assert room.join_code is None and room.kind == RoomKind.PERSONAL
    assert client.post(f"/api/tasks/rooms/{room.id}/join-code/").status_code == 409
    assert client.post(f"/api/tasks/rooms/{room.id}/leave/").status_code == 409
    assert client.delete(f"/api/tasks/rooms/{room.id}/").status_code == 409
    assert client.post(f"/api/tasks/rooms/{room.id}/leave/").json()["code"] == "personal_space"


def test_personal_space_is_made_once_and_not_listed(client_for: Any, published_events: Any) -> None:
    client = client_for()
    first = client.get("/api/tasks/personal/").json()
    assert client.get("/api/tasks/personal/").json()["id"] == first["id"]
    assert Room.objects.filter(owner=client.user, kind="personal").count() == 1
    assert client.get("/api/tasks/rooms/").json()["results"] == []
    created = _events(published_events, "tasks.room.created")
    assert [e.data["kind"] for e in created] == ["personal"]
    granted = _events(published_events, "tasks.media.access_granted")
    assert granted[0].data["user_ids"] == [str(client.user.id)]


# --- leaving, removing ---------------------------------------------------------------------


def test_joining_tells_the_managers_and_grants_media(
    cast: Cast, client_for: Any, published_events: Any
) -> None:
    newcomer = client_for()
    newcomer.post(JOIN, {"code": cast.room.join_code}, format="json")
    joined = _events(published_events, "tasks.room.joined")[-1]
    assert joined.data["user_id"] == str(newcomer.user.id) and joined.data["via"] == "code"
    assert set(joined.data["recipient_ids"]) == {
        str(cast.users["owner"].id),
        str(cast.users["admin"].id),
    }
    granted = _events(published_events, "tasks.media.access_granted")[-1]
    assert granted.key == f"room:{cast.room.id}"
    assert granted.data["user_ids"] == [str(newcomer.user.id)]
    assert MembershipChange.objects.filter(
        room=cast.room, action="joined", subject=newcomer.user
    ).exists()


def test_the_owner_must_hand_over_before_leaving(cast: Cast) -> None:
    response = cast.clients["owner"].post(cast.url("leave/"))
    assert response.status_code == 409 and response.json()["code"] == "owner_must_hand_over"


def _task_assigned_to(room: Room, *users: Any) -> Any:
    from tasks.planning.models import Assignment, Task

    task = Task.objects.create(room=room, title="Ship it", creator=users[0])
    for user in users:
        Assignment.objects.create(task=task, user=user)
    return task


def test_leaving_unassigns_and_revokes(cast: Cast, published_events: Any) -> None:
    from tasks.planning.models import TaskChange

    member, admin = cast.users["member"], cast.users["admin"]
    task = _task_assigned_to(cast.room, member, admin)
    assert cast.clients["member"].post(cast.url("leave/")).status_code == 204
    assert list(task.assignments.values_list("user_id", flat=True)) == [admin.id]
    unassigned = _events(published_events, "tasks.task.unassigned")[-1]
    assert (
        unassigned.data["assignee_ids"] == [str(member.id)] and unassigned.data["actor_id"] is None
    )
    change = TaskChange.objects.get(task=task, field="assignees")
    assert change.after == [str(admin.id)] and change.actor is None
    left = _events(published_events, "tasks.room.left")[-1]
    assert (left.data["reason"], left.data["role"], left.data["recipient_ids"]) == (
        "left",
        "member",
        [],
    )
    revoked = _events(published_events, "tasks.media.access_revoked")[-1]
    assert revoked.data["user_ids"] == [str(member.id)]
    assert cast.clients["member"].get(cast.url()).status_code == 404


def test_removal_tells_the_removed_and_unassigns(cast: Cast, published_events: Any) -> None:
    viewer = cast.users["viewer"]
    task = _task_assigned_to(cast.room, viewer)
    response = cast.clients["admin"].delete(cast.url(f"members/{viewer.id}/"))
    assert response.status_code == 204
    assert not task.assignments.exists()
    left = _events(published_events, "tasks.room.left")[-1]
    assert left.data["reason"] == "removed"
    assert left.data["recipient_ids"] == [str(viewer.id)]
    assert left.data["actor_id"] == str(cast.users["admin"].id)
    history = MembershipChange.objects.get(room=cast.room, action="removed")
    assert (history.actor, history.subject, history.role_before) == (
        cast.users["admin"],
        viewer,
        "viewer",
    )


@pytest.mark.parametrize(
    ("actor", "target", "status", "code"),
    [
        ("admin", "admin2", 403, "role_too_low"),
        ("admin", "owner", 403, "role_too_low"),
        ("admin", "admin", 403, "own_membership"),
        ("owner", "owner", 403, "own_membership"),
        ("owner", "admin2", 204, None),
        ("admin", "member", 204, None),
        ("admin", "nobody", 404, "member_not_found"),
    ],
)
def test_removal_rank_rules(
    cast: Cast, make_user: Any, actor: str, target: str, status: int, code: str | None
) -> None:
    admin2 = make_user(username="admin2")
    add_member(cast.room, admin2, "admin")
    users = {**cast.users, "admin2": admin2, "nobody": make_user()}
    response = cast.clients[actor].delete(cast.url(f"members/{users[target].id}/"))
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code


# --- roles and ownership --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "target", "role", "status", "code"),
    [
        ("admin", "member", "viewer", 200, None),
        ("admin", "viewer", "member", 200, None),
        ("admin", "member", "admin", 400, "role_too_high"),
        ("admin", "admin2", "member", 403, "role_too_low"),
        ("admin", "owner", "member", 403, "role_too_low"),
        ("owner", "member", "admin", 200, None),
        ("owner", "admin", "viewer", 200, None),
        ("owner", "member", "owner", 400, "invalid_choice"),
        ("owner", "member", "boss", 400, "invalid_choice"),
        ("owner", "owner", "admin", 403, "own_membership"),
    ],
)
def test_role_rank_rules(
    cast: Cast, make_user: Any, actor: str, target: str, role: str, status: int, code: str | None
) -> None:
    admin2 = make_user(username="admin2")
    add_member(cast.room, admin2, "admin")
    users = {**cast.users, "admin2": admin2}
    response = cast.clients[actor].patch(
        cast.url(f"members/{users[target].id}/"), {"role": role}, format="json"
    )
    assert response.status_code == status, response.content
    if code:
        body = response.json()
        assert body["code"] == code
        if status == 400:
            assert "role" in body["fields"]
    else:
        assert response.json()["role"] == role
        assert Membership.objects.get(room=cast.room, user=users[target]).role == role


def test_role_change_event_and_history(cast: Cast, published_events: Any) -> None:
    member = cast.users["member"]
    cast.clients["owner"].patch(cast.url(f"members/{member.id}/"), {"role": "admin"}, format="json")
    event = _events(published_events, "tasks.room.role_changed")[-1]
    assert (event.data["role"], event.data["previous_role"]) == ("admin", "member")
    assert event.data["recipient_ids"] == [str(member.id)]
    assert event.data["actor_id"] == str(cast.users["owner"].id)
    row = MembershipChange.objects.get(room=cast.room, action="role_changed")
    assert (row.role_before, row.role_after, row.subject) == ("member", "admin", member)


def test_ownership_transfer(cast: Cast, published_events: Any) -> None:
    owner, member = cast.users["owner"], cast.users["member"]
    response = cast.clients["owner"].post(
        cast.url("transfer-ownership/"), {"user_id": str(member.id)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == str(member.id)
    assert response.json()["my_role"] == "admin"
    cast.room.refresh_from_db()
    assert cast.room.owner_id == member.id
    roles = dict(Membership.objects.filter(room=cast.room).values_list("user__username", "role"))
    assert roles["owner"] == "admin" and roles["member"] == "owner"
    events = _events(published_events, "tasks.room.role_changed")[-2:]
    assert {(e.data["user_id"], e.data["role"], e.data["previous_role"]) for e in events} == {
        (str(member.id), "owner", "member"),
        (str(owner.id), "admin", "owner"),
    }
    # The old owner may now leave; the new one may not.
    assert cast.clients["owner"].post(cast.url("leave/")).status_code == 204
    assert cast.clients["member"].post(cast.url("leave/")).status_code == 409


@pytest.mark.parametrize("who", ["stranger", "owner", "garbage"])
def test_ownership_goes_only_to_another_member(cast: Cast, who: str) -> None:
    target = "not-a-uuid" if who == "garbage" else str(cast.users[who].id)
    response = cast.clients["owner"].post(
        cast.url("transfer-ownership/"), {"user_id": target}, format="json"
    )
    assert response.status_code == 400
    assert "user_id" in response.json()["fields"]


# --- labels ---------------------------------------------------------------------------------


def test_labels(cast: Cast) -> None:
    admin = cast.clients["admin"]
    created = admin.post(cast.url("labels/"), {"name": "Bug", "color": "#FF0000"}, format="json")
    assert created.status_code == 201 and created.json()["color"] == "#ff0000"
    duplicate = admin.post(cast.url("labels/"), {"name": "bug"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["fields"]["name"][0]["code"] == "label_exists"
    for payload, field in (
        ({"name": ""}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": "a", "color": "red"}, "color"),
    ):
        bad = admin.post(cast.url("labels/"), payload, format="json")
        assert bad.status_code == 400 and field in bad.json()["fields"], payload
    label_id = created.json()["id"]
    edited = admin.patch(cast.url(f"labels/{label_id}/"), {"name": "Defect"}, format="json")
    assert edited.status_code == 200 and edited.json()["name"] == "Defect"
    listed = cast.clients["viewer"].get(cast.url("labels/")).json()["results"]
    assert [label["name"] for label in listed] == ["Defect"]
    # A label of another room is the label's 404, not an edit there.
    other = services.room_create(user=cast.users["admin"], name="Other")
    foreign = Label.objects.create(room=other, name="x")
    assert (
        admin.patch(cast.url(f"labels/{foreign.id}/"), {"name": "y"}, format="json").status_code
        == 404
    )
    assert admin.delete(cast.url(f"labels/{label_id}/")).status_code == 204
    assert not Label.objects.filter(id=label_id).exists()


# --- history --------------------------------------------------------------------------------


def test_history_lists_every_membership_change(cast: Cast) -> None:
    cast.clients["admin"].delete(cast.url(f"members/{cast.users['viewer'].id}/"))
    response = cast.clients["viewer"].get(cast.url("history/"))
    assert response.status_code == 404  # removed: no longer sees the room
    body = cast.clients["member"].get(cast.url("history/")).json()
    actions = [row["action"] for row in body["results"]]
    assert actions[0] == "removed" and actions[-1] == "created"
    assert actions.count("joined") == 4
    assert body["results"][0]["subject"]["username"] == "viewer"


# --- query counts ---------------------------------------------------------------------------


def test_lists_have_bounded_query_counts(
    cast: Cast, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    owner = cast.users["owner"]
    for i in range(12):
        services.room_create(user=owner, name=f"Room {i}")
        add_member(cast.room, make_user(), "member")
        Label.objects.create(room=cast.room, name=f"label {i}")
    client = cast.clients["owner"]
    # Measured: 1 query for my rooms (roles and counts as subqueries), 2 for a room's list (the
    # membership check, the page), whatever the number of rows.
    for url, most in (
        ("/api/tasks/rooms/", 1),
        (cast.url("members/"), 2),
        (cast.url("labels/"), 2),
        (cast.url("history/"), 2),
    ):
        client.get(url)  # warm: the first request of a token verifies it
        restriction_for(user_id=uuid.uuid4())  # and the ban snapshot is fresh, not reloading
        with django_assert_max_num_queries(most):
            body = client.get(url).json()
        assert len(body["results"]) >= 12, url


def test_the_personal_space_can_be_renamed_by_its_owner(client_for: Any) -> None:
    client = client_for()
    space = client.get("/api/tasks/personal/").json()
    renamed = client.patch(f"/api/tasks/rooms/{space['id']}/", {"name": "Mine"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Mine"
    assert client.get("/api/tasks/personal/").json()["name"] == "Mine"


def test_members_page_through_in_joined_order(cast: Cast, make_user: Any) -> None:
    for _ in range(3):
        add_member(cast.room, make_user(), "member")
    client = cast.clients["viewer"]
    first = client.get(cast.url("members/") + "?page_size=5").json()
    second = client.get(first["next"]).json()
    names = [m["username"] for m in first["results"] + second["results"]]
    assert names[:5] == ["owner", "admin", "member", "viewer", "banned"]
    assert len(names) == len(set(names)) == 8 and second["next"] is None


def test_a_labels_name_length_is_documented() -> None:
    """The service's limit (40 characters, its own message) is in the document."""
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("LabelCreateInputRequest", "PatchedLabelUpdateInputRequest"):
        assert schemas[name]["properties"]["name"]["maxLength"] == 40, name
