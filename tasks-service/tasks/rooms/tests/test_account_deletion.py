"""`auth.user.deleted`: the person leaves every team room, their rooms go to a successor (or
are deleted when nobody is left), their personal space goes, their assignments go, their
comments become tombstones; a redelivered event changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from tasks.rooms import services
from tasks.rooms.models import Membership, MembershipChange, Room
from tasks.rooms.tests.conftest import add_member

pytestmark = pytest.mark.django_db


def _delete(user: Any) -> bool:
    return handle_event(make_event(type="auth.user.deleted", key=str(user.id), data={}))


def _types(published_events: Any, type_: str) -> list[Any]:
    return [e for e in published_events("tasks.") if e.type == type_]


def test_owned_room_goes_to_the_longest_standing_admin(
    make_user: Any, published_events: Any
) -> None:
    owner, member, admin_old, admin_new = (make_user() for _ in range(4))
    room = services.room_create(user=owner, name="Team")
    add_member(room, member, "member")
    add_member(room, admin_old, "admin")
    add_member(room, admin_new, "admin")
    assert _delete(owner)
    room.refresh_from_db()
    assert room.owner_id == admin_old.id
    roles = dict(Membership.objects.filter(room=room).values_list("user_id", "role"))
    assert roles == {member.id: "member", admin_old.id: "owner", admin_new.id: "admin"}
    left = _types(published_events, "tasks.room.left")[-1]
    assert (left.data["user_id"], left.data["reason"]) == (str(owner.id), "account_deleted")
    changed = _types(published_events, "tasks.room.role_changed")
    assert any(
        e.data["user_id"] == str(admin_old.id) and e.data["role"] == "owner" for e in changed
    )
    assert MembershipChange.objects.filter(room=room, action="account_deleted").exists()


@pytest.mark.parametrize(
    ("others", "heir"), [(["member", "viewer"], "member"), (["viewer"], "viewer")]
)
def test_without_admins_a_member_then_a_viewer_inherits(
    make_user: Any, others: list[str], heir: str
) -> None:
    owner = make_user()
    room = services.room_create(user=owner, name="Team")
    people = {}
    for role in others:
        people[role] = make_user()
        add_member(room, people[role], role)
    _delete(owner)
    room.refresh_from_db()
    assert room.owner_id == people[heir].id


def test_a_room_with_nobody_else_is_deleted(make_user: Any, published_events: Any) -> None:
    owner = make_user()
    room = services.room_create(user=owner, name="Alone")
    personal = services.personal_space_for(user=owner)
    _delete(owner)
    assert not Room.objects.filter(id__in=[room.id, personal.id]).exists()
    deleted = {e.data["id"] for e in _types(published_events, "tasks.room.deleted")}
    assert deleted == {str(room.id), str(personal.id)}


def test_assignments_go_and_comments_become_tombstones(
    make_user: Any, published_events: Any
) -> None:
    from tasks.comments.models import Comment
    from tasks.planning.models import Assignment, Task

    owner, leaver = make_user(), make_user()
    room = services.room_create(user=owner, name="Team")
    add_member(room, leaver, "member")
    task = Task.objects.create(room=room, title="T", creator=owner)
    Assignment.objects.create(task=task, user=leaver)
    Assignment.objects.create(task=task, user=owner)
    comment = Comment.objects.create(task=task, author=leaver, body="secret plans")
    mentioning = Comment.objects.create(task=task, author=owner, body="@x look")
    mentioning.mentioned.add(leaver)
    _delete(leaver)
    assert list(Assignment.objects.filter(task=task).values_list("user_id", flat=True)) == [
        owner.id
    ]
    comment.refresh_from_db()
    assert (comment.body, comment.author_id) == ("", None) and comment.deleted_at is not None
    assert not mentioning.mentioned.exists()
    assert not Membership.objects.filter(user=leaver).exists()
    unassigned = _types(published_events, "tasks.task.unassigned")[-1]
    assert unassigned.data["assignee_ids"] == [str(leaver.id)]


def test_a_redelivered_deletion_changes_nothing(make_user: Any, published_events: Any) -> None:
    owner, member = make_user(), make_user()
    room = services.room_create(user=owner, name="Team")
    add_member(room, member, "member")
    event = make_event(type="auth.user.deleted", key=str(owner.id), data={})
    assert handle_event(event)
    count = len(published_events("tasks."))
    assert not handle_event(event)  # the processed-event table
    services.user_deleted(user_id=owner.id)  # and the service itself finds nothing to do
    assert len(published_events("tasks.")) == count
    room.refresh_from_db()
    assert room.owner_id == member.id
