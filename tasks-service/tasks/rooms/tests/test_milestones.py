"""A room's milestones (its count of completed tasks reaching 10, 50, ...): counted on every path
that completes or reopens a task, each reached once per room whatever reopening does, exact
under concurrent completions, and published (`tasks.room.milestone`) only when the room shares
progress, saying whether its name may leave it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction

from cotask_common.contracts.tasks import MAX_MILESTONE_MEMBERS
from cotask_common.events.testing import published_events
from cotask_common.users.models import UserRef
from tasks.planning import hot_sql
from tasks.planning import services as planning
from tasks.planning.models import Status, Task
from tasks.rooms import milestones
from tasks.rooms.models import Membership, Room, RoomMilestone, RoomTally
from tasks.rooms.tests.conftest import ROLES, Cast

pytestmark = pytest.mark.django_db

#            owner admin member viewer stranger banned anonymous
EXPECTED = (200, 200, 403, 403, 404, 403, 401)


def _events() -> list[Any]:
    return published_events(type_prefix="tasks.room.milestone")


def _tasks(cast: Cast, count: int, status: str = Status.PENDING) -> list[str]:
    member = cast.clients["member"]
    ids = []
    for n in range(count):
        response = member.post(
            cast.url("tasks/"), {"title": f"T{n}", "status": status}, format="json"
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    return ids


def _move(cast: Cast, task_id: str, status: str, **extra: Any) -> None:
    response = cast.clients["member"].post(
        f"/api/tasks/tasks/{task_id}/move/", {"status": status, **extra}, format="json"
    )
    assert response.status_code == 200, response.content


def _share(cast: Cast, **changes: Any) -> None:
    response = cast.clients["owner"].patch(
        cast.url(), {"share_progress": True, **changes}, format="json"
    )
    assert response.status_code == 200, response.content


def _tally(room: Room) -> int:
    row = RoomTally.objects.filter(room_id=room.id).first()
    return row.completed if row else 0


def test_the_tenth_completion_is_published_with_the_rooms_members(cast: Cast) -> None:
    _share(cast)
    ids = _tasks(cast, 10)
    for task_id in ids[:9]:
        _move(cast, task_id, Status.COMPLETED)
    assert _events() == []
    _move(cast, ids[9], Status.COMPLETED)
    (event,) = _events()
    data = event.data
    assert data["number"] == 10 and data["room_id"] == str(cast.room.id)
    assert data["room_name"] == "Team" and data["room_kind"] == "team"
    assert data["private"] is False
    assert data["reached_by"] == str(cast.users["member"].id)
    members = {str(cast.users[r].id) for r in ("owner", "admin", "member", "viewer", "banned")}
    assert set(data["member_ids"]) == members
    assert event.key == str(cast.room.id)
    assert _tally(cast.room) == 10


def test_a_large_room_names_its_members_across_several_events(cast: Cast) -> None:
    """A room past `MAX_MILESTONE_MEMBERS` publishes one event per share of its members, each
    within the contract's bound, together naming every member once."""
    extra = [UserRef(id=uuid.uuid4(), username=f"m{n}") for n in range(MAX_MILESTONE_MEMBERS * 2)]
    UserRef.objects.bulk_create(extra)
    Membership.objects.bulk_create(Membership(room=cast.room, user=user) for user in extra)
    _share(cast)
    for task_id in _tasks(cast, 10):
        _move(cast, task_id, Status.COMPLETED)
    events = _events()
    assert [len(e.data["member_ids"]) for e in events] == [MAX_MILESTONE_MEMBERS] * 2 + [5]
    named = [m for e in events for m in e.data["member_ids"]]
    expected = {str(u.id) for u in extra} | {
        str(cast.users[r].id) for r in ("owner", "admin", "member", "viewer", "banned")
    }
    assert len(named) == len(set(named)) and set(named) == expected
    assert {e.data["number"] for e in events} == {10} and len({e.id for e in events}) == 3


def test_reopening_and_completing_again_never_repeats_it(cast: Cast) -> None:
    _share(cast)
    ids = _tasks(cast, 10)
    for task_id in ids:
        _move(cast, task_id, Status.COMPLETED)
    for _ in range(3):
        _move(cast, ids[0], Status.IN_PROGRESS)  # 9
        assert _tally(cast.room) == 9
        _move(cast, ids[0], Status.COMPLETED)  # 10 again
    assert len(_events()) == 1
    assert RoomMilestone.objects.filter(room=cast.room).count() == 1
    # Toggling one task never counts as many completions.
    assert _tally(cast.room) == 10


def test_every_completing_path_counts(cast: Cast) -> None:
    """Created completed, an edit, a move to the bottom, a move next to an anchor (the hand SQL
    on PostgreSQL), and a reopening by an edit."""
    _share(cast)
    member = cast.clients["member"]
    created = _tasks(cast, 7, status=Status.COMPLETED)
    assert _tally(cast.room) == 7
    edited, moved, anchored = _tasks(cast, 3)
    response = member.patch(
        f"/api/tasks/tasks/{edited}/", {"status": Status.COMPLETED}, format="json"
    )
    assert response.status_code == 200, response.content
    assert _tally(cast.room) == 8
    response = member.patch(f"/api/tasks/tasks/{edited}/", {"status": "pending"}, format="json")
    assert _tally(cast.room) == 7
    _move(cast, edited, Status.COMPLETED)
    _move(cast, moved, Status.COMPLETED)
    assert _tally(cast.room) == 9 and _events() == []
    _move(cast, anchored, Status.COMPLETED, before_id=created[0])
    assert _tally(cast.room) == 10
    assert [e.data["number"] for e in _events()] == [10]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the hand SQL is PostgreSQL's")
def test_the_hand_sql_move_counts_and_knows_the_rooms_privacy(cast: Cast) -> None:
    assert hot_sql.enabled()
    _share(cast, private=True)
    done = _tasks(cast, 9, status=Status.COMPLETED)
    (last,) = _tasks(cast, 1)
    _move(cast, last, Status.COMPLETED, after_id=done[-1])
    (event,) = _events()
    assert event.data["private"] is True and event.data["number"] == 10


def test_a_room_that_does_not_share_publishes_nothing_even_later(cast: Cast) -> None:
    ids = _tasks(cast, 10, status=Status.COMPLETED)
    assert RoomMilestone.objects.filter(room=cast.room, number=10).exists()
    assert _events() == []
    _share(cast)
    _move(cast, ids[0], Status.PENDING)
    _move(cast, ids[0], Status.COMPLETED)  # 10 again: reached already, while not shared
    assert _events() == []


def test_a_personal_space_is_private(client_for: Any) -> None:
    client = client_for()
    space = client.get("/api/tasks/personal/").json()
    client.patch(f"/api/tasks/rooms/{space['id']}/", {"share_progress": True}, format="json")
    for n in range(10):
        response = client.post(
            "/api/tasks/personal/tasks/", {"title": f"T{n}", "status": "completed"}, format="json"
        )
        assert response.status_code == 201, response.content
    (event,) = _events()
    assert event.data["private"] is True and event.data["room_kind"] == "personal"
    assert event.data["member_ids"] == [str(client.user.id)]


# ---------------------------------------------------------------------------------------------
# `private`: off by default, changed like `share_progress`


def test_private_is_off_by_default_and_shown_to_members(cast: Cast) -> None:
    assert cast.room.private is False
    assert cast.clients["viewer"].get(cast.url()).json()["private"] is False


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, EXPECTED, strict=True)))
def test_only_the_owner_and_admins_make_it_private(cast: Cast, role: str, expected: int) -> None:
    response = cast.clients[role].patch(cast.url(), {"private": True}, format="json")
    assert response.status_code == expected, response.content
    assert Room.objects.get(id=cast.room.id).private is (expected == 200)
    if role == "stranger":
        assert response.json()["code"] == "room_not_found"


def test_a_bad_private_value_names_the_field(cast: Cast) -> None:
    response = cast.clients["owner"].patch(cast.url(), {"private": "maybe"}, format="json")
    assert response.status_code == 400
    assert "private" in str(response.json())


# ---------------------------------------------------------------------------------------------
# Concurrency (PostgreSQL: threads need a server database)


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            results.append(work(n))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
def test_concurrent_counts_reach_each_milestone_exactly_once(cast: Cast) -> None:
    """The counter alone, without the room's lock: 55 completions from 11 threads at once (five
    each, every one its own transaction) reach 10 and 50 once each."""
    Room.objects.filter(id=cast.room.id).update(share_progress=True)
    room = Room.objects.get(id=cast.room.id)
    actor = cast.users["member"].id

    def work(n: int) -> list[int]:
        reached = []
        for _ in range(5):
            with transaction.atomic():
                milestone = milestones.completion_counted(room=room, delta=1, actor_id=actor)
            if milestone is not None:
                reached.append(milestone.number)
        return reached

    results = _at_once(11, work)
    assert sorted(n for reached in results for n in reached) == [10, 50]
    assert _tally(room) == 55
    assert sorted(e.data["number"] for e in _events()) == [10, 50]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
def test_concurrent_completions_through_the_service_publish_once(cast: Cast) -> None:
    Room.objects.filter(id=cast.room.id).update(share_progress=True)
    member = cast.users["member"]
    for n in range(7):
        planning.create_task(
            actor=member, room_id=cast.room.id, title=f"D{n}", status=Status.COMPLETED
        )
    open_ids = [
        planning.create_task(actor=member, room_id=cast.room.id, title=f"O{n}").id for n in range(6)
    ]

    def work(n: int) -> None:
        if n % 2:
            planning.update_task(actor=member, task_id=open_ids[n], status=Status.COMPLETED)
        else:
            planning.move_task(actor=member, task_id=open_ids[n], status=Status.COMPLETED)

    _at_once(6, work)
    assert Task.objects.filter(room=cast.room, status=Status.COMPLETED).count() == 13
    assert _tally(cast.room) == 13
    assert [e.data["number"] for e in _events()] == [10]
