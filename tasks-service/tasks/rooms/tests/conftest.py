"""Fixtures for the rooms tests: a team room with one person of every role, a stranger, a banned
member and an anonymous caller, each with an API client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tasks.rooms import services
from tasks.rooms.models import Membership, Room, RoomRole

ROLES = ("owner", "admin", "member", "viewer", "stranger", "banned", "anonymous")


@dataclass
class Cast:
    room: Room
    clients: dict[str, Any]
    users: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, suffix: str = "") -> str:
        return f"/api/tasks/rooms/{self.room.id}/{suffix}"


def add_member(room: Room, user: Any, role: str) -> Membership:
    """Join with the code (as a person would), then set the role directly."""
    services.room_join(user=user, code=room.join_code)
    membership = Membership.objects.get(room=room, user_id=user.id)
    if role != RoomRole.MEMBER:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@pytest.fixture
def cast(
    make_user: Callable[..., Any],
    client_for: Callable[..., Any],
    api_client: Any,
    trust_test_keys: Any,
) -> Cast:
    from cotask_common.users.selectors import invalidate_restrictions

    users = {name: make_user(username=name) for name in ROLES if name != "anonymous"}
    room = services.room_create(user=users["owner"], name="Team", description="the team")
    for role in ("admin", "member", "viewer"):
        add_member(room, users[role], role)
    # The banned person is a member: even membership gives them nothing while banned.
    add_member(room, users["banned"], "member")
    clients = {name: client_for(user) for name, user in users.items()}
    type(users["banned"]).objects.filter(id=users["banned"].id).update(is_banned=True)
    invalidate_restrictions()
    clients["anonymous"] = api_client
    room.refresh_from_db()
    return Cast(room=room, clients=clients, users=users)
