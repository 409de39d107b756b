"""The room services on their own: create, join, leave, personal space."""

from __future__ import annotations

import pytest

from tasks.rooms import services
from tasks.rooms.models import Membership, RoomKind, RoomRole

pytestmark = pytest.mark.django_db(transaction=False)


def test_create_join_leave(make_user, published_events):
    owner, other = make_user(), make_user()
    room = services.room_create(user=owner, name=" Team ", description="d")
    assert room.name == "Team" and len(room.join_code) == 9
    joined = services.room_join(user=other, code=room.join_code.upper())
    assert joined.id == room.id
    assert Membership.objects.get(room=room, user=other).role == RoomRole.MEMBER
    services.room_leave(user=other, room_id=room.id)
    assert not Membership.objects.filter(room=room, user=other).exists()
    types = [e.type for e in published_events("tasks.")]
    assert "tasks.room.created" in types and "tasks.room.joined" in types
    assert "tasks.room.left" in types and "tasks.media.access_granted" in types


def test_personal_space_once(make_user):
    user = make_user()
    first = services.personal_space_for(user=user)
    assert services.personal_space_for(user=user).id == first.id
    assert first.kind == RoomKind.PERSONAL and first.join_code is None
