"""Rooms and memberships made directly with the ORM (the rooms app's own services are tested
there), and the cast of the permission matrix: owner, admin, member, viewer, stranger, banned,
anonymous."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tasks.rooms.models import Membership, Room, RoomKind, RoomRole

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def make_room(make_user: Callable[..., Any]) -> Callable[..., Room]:
    """`make_room(owner=None, name="Team", kind="team")`: a room with its owner's membership."""

    def factory(owner: Any = None, *, name: str = "Team", kind: str = RoomKind.TEAM) -> Room:
        owner = owner or make_user()
        room = Room.objects.create(
            owner=owner,
            name=name,
            kind=kind,
            join_code=None
            if kind == RoomKind.PERSONAL
            else "".join(secrets.choice(ALPHABET) for _ in range(9)),
        )
        Membership.objects.create(room=room, user=owner, role=RoomRole.OWNER)
        return room

    return factory


@pytest.fixture
def join() -> Callable[..., Membership]:
    def factory(room: Room, user: Any, role: str = RoomRole.MEMBER) -> Membership:
        return Membership.objects.create(room=room, user=user, role=role)

    return factory


@pytest.fixture
def cast(
    make_user: Callable[..., Any],
    client_for: Callable[..., Any],
    make_room: Callable[..., Room],
    join: Callable[..., Membership],
    api_client: Any,
    trust_test_keys: Any,
) -> SimpleNamespace:
    """A team room and one API client per role (`.user` on each), plus a stranger, a banned
    member and an anonymous client."""
    from cotask_common.users.selectors import invalidate_restrictions

    owner = make_user(username="olga")
    room = make_room(owner, name="Launch")
    people = SimpleNamespace(room=room, anonymous=api_client)
    people.owner = client_for(owner)
    for role, name in (("admin", "adam"), ("member", "mila"), ("viewer", "vera")):
        user = make_user(username=name)
        join(room, user, role)
        setattr(people, role, client_for(user))
    people.stranger = client_for(make_user(username="stan"))
    banned = make_user(username="bill")
    join(room, banned, RoomRole.MEMBER)
    people.banned = client_for(banned)
    banned.is_banned = True
    banned.save(update_fields=["is_banned"])
    invalidate_restrictions()
    return people


@pytest.fixture
def warm() -> Callable[[], None]:
    """Refresh the kit's in-process snapshot of restricted users now, so the next request (a
    query count) does not pay its periodic reload (every COTASK_BLOCKLIST_TTL_SECONDS)."""
    import uuid

    from cotask_common.users.selectors import restriction_for

    def refresh() -> None:
        restriction_for(user_id=uuid.uuid4())

    return refresh
