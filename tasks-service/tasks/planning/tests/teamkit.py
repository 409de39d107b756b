"""A room with one person per role, for the permission matrix of subtasks, dependencies,
recurrence, comments and attachments (rooms and memberships made with the ORM)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rest_framework.test import APIClient

from tasks.planning.models import Status, Task
from tasks.rooms.models import Membership, Room, RoomKind, RoomRole

ROLES = ("owner", "admin", "member", "viewer")
EVERYONE = (*ROLES, "stranger", "banned", "anonymous")
WRITERS = ("owner", "admin", "member")


@dataclass
class Team:
    room: Room
    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, APIClient] = field(default_factory=dict)

    def task(self, title: str = "Task", **fields: Any) -> Task:
        fields.setdefault("creator", self.users["owner"])
        fields.setdefault("status", Status.PENDING)
        return Task.objects.create(room=self.room, title=title, **fields)


def make_team(
    make_user: Callable[..., Any], client_for: Callable[..., Any], *, name: str = "Team"
) -> Team:
    owner = make_user()
    room = Room.objects.create(name=name, owner=owner, kind=RoomKind.TEAM, join_code=None)
    team = Team(room=room)
    for role in ROLES:
        user = owner if role == "owner" else make_user()
        Membership.objects.create(room=room, user=user, role=RoomRole(role))
        team.users[role] = user
    team.users["stranger"] = make_user()
    # A member whose account is banned: the kit refuses their token everywhere.
    banned = make_user(is_banned=True)
    Membership.objects.create(room=room, user=banned, role=RoomRole.MEMBER)
    team.users["banned"] = banned
    for who, user in team.users.items():
        team.clients[who] = client_for(user)
    team.clients["anonymous"] = APIClient()
    return team


def expected(who: str, *, allowed: tuple[str, ...], ok: int) -> int:
    """The status `who` gets: `ok` when allowed; a stranger 404 (nothing revealed); a viewer
    403 (role too low); banned 403; anonymous 401."""
    if who in allowed:
        return ok
    return {"stranger": 404, "anonymous": 401, "banned": 403}.get(who, 403)
