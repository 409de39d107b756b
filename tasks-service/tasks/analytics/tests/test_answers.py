"""The room analytics reads are cached answers (tasks/analytics/answers.py) keyed by the room's
figures version: a write after a cached read changes the next read, the clock alone moves
"overdue now", and the permission rules run on every read (a warm cache answers no stranger,
no removed member and no demoted admin)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.analytics import answers, selectors
from tasks.analytics.tests import test_api
from tasks.analytics.tests.test_api import _room_url
from tasks.planning import services
from tasks.rooms.models import Membership, RoomRole

pytestmark = pytest.mark.django_db

busy = test_api.busy  # the API tests' room with a few tasks, delivered


def _read(client: Any, url: str) -> tuple[dict[str, Any], str]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json(), response[answers.HEADER]


def _warm(client: Any, url: str) -> dict[str, Any]:
    """Read twice: the second read is served from the cache (so what follows tests that a
    change is never served stale)."""
    _read(client, url)
    body, state = _read(client, url)
    assert state == "hit"
    return body


def _recount(cast: Any, members: bool = False) -> dict[str, Any]:
    """The uncached selectors' answer, read the same way."""
    today = timezone.now().date()
    period = selectors.Period(today - timedelta(days=6), today)
    if members:
        return selectors.member_figures(user=cast.room.owner, room_id=cast.room.id, period=period)
    return selectors.room_figures(user=cast.room.owner, room_id=cast.room.id, period=period)


def test_a_write_after_a_cached_read_changes_the_next_read(busy: Any, deliver: Any) -> None:
    room_url, members_url = _room_url(busy), _room_url(busy, "members/")
    room, members = _warm(busy.member, room_url), _warm(busy.owner, members_url)
    assert room == _recount(busy) and members == _recount(busy, members=True)
    services.create_task(
        actor=busy.member_user, room_id=busy.room.id, title="One more", priority=4,
        assignee_ids=[busy.member_user.id],
    )  # fmt: skip
    # Not delivered yet: the aggregates have not changed, the answer is still exact.
    assert _read(busy.member, room_url) == (room, "hit")
    deliver()
    after, state = _read(busy.member, room_url)
    assert state == "miss"
    assert after["created"] == room["created"] + 1
    assert (
        after["now"]["open_by_priority"]["urgent"] == room["now"]["open_by_priority"]["urgent"] + 1
    )
    assert after == _recount(busy)
    after_members, state = _read(busy.owner, members_url)
    assert state == "miss" and after_members == _recount(busy, members=True)
    assert after_members != members
    # A change of who is listed (here a role) changes the members answer with no figure write.
    Membership.objects.filter(room=busy.room, user=busy.member_user).update(role=RoomRole.VIEWER)
    listed, state = _read(busy.owner, members_url)
    assert state == "miss"
    assert {m["username"]: m["role"] for m in listed["members"]}["mila"] == "viewer"
    # The rebuild raises the version too.
    _warm(busy.member, room_url)
    call_command("tasks_analytics_rebuild", stdout=StringIO())
    assert _read(busy.member, room_url)[1] == "miss"


def test_overdue_now_moves_with_the_clock_without_a_write(
    clock: Any, busy: Any, deliver: Any
) -> None:
    services.create_task(
        actor=busy.member_user, room_id=busy.room.id, title="Due soon",
        due=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip
    deliver()
    url = _room_url(busy)
    before = _warm(busy.member, url)
    clock.advance(minutes=29)
    assert _read(busy.member, url) == (before, "hit")  # no deadline passed yet
    clock.advance(minutes=2)
    after, state = _read(busy.member, url)
    assert state == "miss"
    assert after["now"]["overdue"] == before["now"]["overdue"] + 1
    assert after == _recount(busy)


def test_the_permission_rules_hold_with_a_warm_cache(busy: Any) -> None:
    room_url, members_url = _room_url(busy), _room_url(busy, "members/")
    _warm(busy.member, room_url)
    _warm(busy.admin, members_url)
    for suffix in ("", "members/"):
        stranger = busy.stranger.get(_room_url(busy, suffix))
        assert stranger.status_code == 404 and stranger.json()["code"] == "room_not_found"
        assert busy.banned.get(_room_url(busy, suffix)).status_code == 403
        assert busy.anonymous.get(_room_url(busy, suffix)).status_code == 401
    for role in ("member", "viewer"):
        refused = getattr(busy, role).get(members_url)
        assert refused.status_code == 403 and refused.json()["code"] == "room_role_required"
    # A demoted admin: 403 on the members read, still the room's figures.
    Membership.objects.filter(room=busy.room, user=busy.admin.user).update(role=RoomRole.MEMBER)
    refused = busy.admin.get(members_url)
    assert refused.status_code == 403 and refused.json()["code"] == "room_role_required"
    assert busy.admin.get(room_url).status_code == 200
    # A removed member: the same 404 as a stranger, on both reads.
    Membership.objects.filter(room=busy.room, user=busy.member.user).delete()
    Membership.objects.filter(room=busy.room, user=busy.admin.user).delete()
    for client, url in ((busy.member, room_url), (busy.admin, members_url)):
        gone = client.get(url)
        assert gone.status_code == 404 and gone.json()["code"] == "room_not_found"
