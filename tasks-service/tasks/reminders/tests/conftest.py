"""A team room with an owner, a member and a viewer; tasks made through planning's services
(so the scheduling hook runs) at a chosen clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.events.testing import published_events
from tasks.planning import services
from tasks.planning.models import Task
from tasks.rooms.models import Membership, Room, RoomKind, RoomRole


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Clock:
    """`timezone.now()` as the test sets it (frozen), or moved on by `tick` (moving)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock(utc(2026, 1, 1))
    monkeypatch.setattr(timezone, "now", found)
    return found


@pytest.fixture
def team(make_user: Callable[..., Any]) -> SimpleNamespace:
    owner = make_user(username="olga", time_zone="Europe/Kyiv")
    room = Room.objects.create(name="Launch", owner=owner, kind=RoomKind.TEAM, join_code=None)
    Membership.objects.create(room=room, user=owner, role=RoomRole.OWNER)
    people = SimpleNamespace(room=room, owner=owner)
    for role, name, zone in (
        ("member", "mila", "America/New_York"),
        ("viewer", "vera", "UTC"),
        ("admin", "adam", "UTC"),
    ):
        user = make_user(username=name, time_zone=zone)
        Membership.objects.create(room=room, user=user, role=role)
        setattr(people, role, user)
    return people


@pytest.fixture
def new_task(team: SimpleNamespace, clock: Clock) -> Callable[..., Task]:
    """`new_task(due=…, at=<now>, assignee_ids=[…], actor=owner)` through create_task."""

    def make(*, at: datetime, actor: Any = None, **fields: Any) -> Task:
        fields.setdefault("title", "Ship it")
        clock.set(at)
        return services.create_task(actor=actor or team.owner, room_id=team.room.id, **fields)

    return make


def due_events(type_: str = "tasks.reminder.due") -> list[Any]:
    return published_events(type_prefix=type_)


@pytest.fixture
def warm() -> Callable[[], None]:
    """Refresh the kit's in-process snapshot of restricted users now, so a counted request does
    not pay its periodic reload."""
    import uuid

    from cotask_common.users.selectors import restriction_for

    def refresh() -> None:
        restriction_for(user_id=uuid.uuid4())

    return refresh
