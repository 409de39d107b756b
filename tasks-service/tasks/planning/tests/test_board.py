"""The board: three status columns ordered by position, each paginated on its own; one call
moves a task to a column and a place; positions have gaps and a used-up gap renumbers the
column; concurrent moves (PostgreSQL, two connections) leave one consistent order."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from cotask_common.users.models import UserRef
from tasks.planning import services
from tasks.planning.models import Status, Task, TaskChange
from tasks.planning.services import POSITION_GAP

pytestmark = pytest.mark.django_db


def _make(cast: Any, *titles: str, status: str = "pending") -> list[str]:
    ids = []
    for title in titles:
        response = cast.member.post(
            f"/api/tasks/rooms/{cast.room.id}/tasks/",
            {"title": title, "status": status},
            format="json",
        )
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    return ids


def _column(room: Any, status: str = "pending") -> list[str]:
    return list(
        Task.objects.filter(room=room, status=status)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


def _move(cast: Any, task_id: str, client: str = "member", **body: Any) -> Any:
    return getattr(cast, client).post(f"/api/tasks/tasks/{task_id}/move/", body, format="json")


def test_the_board_shows_three_columns_by_position(cast: Any) -> None:
    _a, b = _make(cast, "A", "B")
    (_c,) = _make(cast, "C", status="in_progress")
    (_d,) = _make(cast, "D", status="completed")
    _move(cast, b, status="pending", index=0)
    body = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/").json()
    assert body["room"]["id"] == str(cast.room.id)
    assert [col["status"] for col in body["columns"]] == ["pending", "in_progress", "completed"]
    titles = [[t["title"] for t in col["tasks"]] for col in body["columns"]]
    assert titles == [["B", "A"], ["C"], ["D"]]
    assert all(col["next"] is None for col in body["columns"])


def test_each_column_pages_on_its_own(
    cast: Any, django_assert_max_num_queries: Any, warm: Any
) -> None:
    _make(cast, *[f"P{n}" for n in range(5)])
    _make(cast, "I0", "I1", status="in_progress")
    url = f"/api/tasks/rooms/{cast.room.id}/board/?limit=2"
    warm()
    with django_assert_max_num_queries(13):  # 3 columns x (page + 3 prefetches) + membership
        body = cast.viewer.get(url).json()
    pending, progress, done = body["columns"]
    assert [t["title"] for t in pending["tasks"]] == ["P0", "P1"]
    assert [t["title"] for t in progress["tasks"]] == ["I0", "I1"]
    assert progress["next"] is None and done["next"] is None and done["tasks"] == []
    assert "column=pending" in pending["next"]
    second = cast.viewer.get(pending["next"]).json()
    assert [col["status"] for col in second["columns"]] == ["pending"]
    assert [t["title"] for t in second["columns"][0]["tasks"]] == ["P2", "P3"]
    third = cast.viewer.get(second["columns"][0]["next"]).json()
    assert [t["title"] for t in third["columns"][0]["tasks"]] == ["P4"]
    assert third["columns"][0]["next"] is None
    # 20 more tasks cost no more queries.
    _make(cast, *[f"Q{n}" for n in range(20)])
    warm()
    with django_assert_max_num_queries(13):
        cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/?limit=30")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("column=done", "column"),
        ("cursor=abc", "column"),  # a cursor belongs to one column
    ],
)
def test_bad_board_parameters_name_their_field(cast: Any, query: str, field: str) -> None:
    response = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_cursor_without_its_column_is_the_documented_rule(cast: Any) -> None:
    response = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/?cursor=abc")
    assert response.json()["fields"]["column"][0]["code"] == "cursor_needs_column"


def test_move_before_after_and_to_an_index(cast: Any) -> None:
    a, b, c, d = _make(cast, "A", "B", "C", "D")
    assert _move(cast, d, status="pending", before_id=b).status_code == 200
    assert _column(cast.room) == ["A", "D", "B", "C"]
    _move(cast, a, status="pending", after_id=c)
    assert _column(cast.room) == ["D", "B", "C", "A"]
    _move(cast, c, status="pending", index=0)
    assert _column(cast.room) == ["C", "D", "B", "A"]
    _move(cast, c, status="pending", index=2)
    assert _column(cast.room) == ["D", "B", "C", "A"]
    _move(cast, d, status="pending", index=99)
    assert _column(cast.room) == ["B", "C", "A", "D"]
    _move(cast, b, status="pending")  # no place: the bottom
    assert _column(cast.room) == ["C", "A", "D", "B"]


def test_a_move_writes_only_the_moved_row_while_there_is_a_gap(cast: Any) -> None:
    _a, b, c = _make(cast, "A", "B", "C")
    before = dict(Task.objects.values_list("id", "position"))
    _move(cast, c, status="pending", before_id=b)
    after = dict(Task.objects.values_list("id", "position"))
    changed = [str(k) for k in after if after[k] != before[k]]
    assert changed == [c]
    assert before[Task.objects.get(title="A").id] < after[Task.objects.get(title="C").id]


def test_a_used_up_gap_renumbers_the_column(cast: Any) -> None:
    a, b, c = _make(cast, "A", "B", "C")
    Task.objects.filter(id=a).update(position=10)
    Task.objects.filter(id=b).update(position=11)
    Task.objects.filter(id=c).update(position=500)
    assert _move(cast, c, status="pending", after_id=a).status_code == 200
    assert _column(cast.room) == ["A", "C", "B"]
    positions = list(
        Task.objects.filter(room=cast.room).order_by("position").values_list("position", flat=True)
    )
    assert len(set(positions)) == 3
    # Spread out again: the neighbours are POSITION_GAP apart, the moved one between them.
    assert positions[2] - positions[0] == POSITION_GAP


def test_renumbering_keeps_the_order_and_touches_only_that_column(cast: Any) -> None:
    """One UPDATE renumbers the column by (position, id): ties keep their id order, the other
    columns keep their numbers."""
    a, b, c, d = _make(cast, "A", "B", "C", "D")
    (other,) = _make(cast, "Other", status="in_progress")
    for task_id, position in ((a, 7), (b, 8), (c, 8), (d, 9)):  # B and C tie: by id
        Task.objects.filter(id=task_id).update(position=position)
    other_position = Task.objects.get(id=other).position
    assert _move(cast, d, status="pending", after_id=b).status_code == 200
    assert _column(cast.room) == ["A", "B", "D", "C"]
    rows = dict(Task.objects.filter(id__in=[a, b, c]).values_list("id", "position"))
    assert sorted(rows.values()) == [POSITION_GAP, 2 * POSITION_GAP, 3 * POSITION_GAP]
    assert Task.objects.get(id=other).position == other_position


def test_moving_into_completed_completes_and_out_reopens(cast: Any, published_events: Any) -> None:
    (a,) = _make(cast, "A")
    body = _move(cast, a, status="completed").json()
    assert body["status"] == "completed"
    assert body["completed_by"]["id"] == str(cast.member.user.id)
    types = [e.type for e in published_events("tasks.task.")][-2:]
    assert types == ["tasks.task.status_changed", "tasks.task.completed"]
    body = _move(cast, a, client="admin", status="in_progress", index=0).json()
    assert body["completed_at"] is None and body["completed_by"] is None
    rows = list(
        TaskChange.objects.filter(task_id=a, field="status")
        .order_by("id")
        .values_list("before", "after")
    )
    assert rows == [("pending", "completed"), ("completed", "in_progress")]


def test_a_move_inside_a_column_is_history_but_publishes_nothing(
    cast: Any, published_events: Any
) -> None:
    _a, b = _make(cast, "A", "B")
    old = Task.objects.get(id=b).position
    count = len(published_events())
    _move(cast, b, status="pending", index=0)
    assert len(published_events()) == count
    row = TaskChange.objects.get(task_id=b, field="position")
    assert row.before == old and row.after == Task.objects.get(id=b).position
    assert row.actor_id == cast.member.user.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "doing"}, "status"),
        ({"status": "pending", "index": -1}, "index"),
        ({"status": "pending", "before_id": "nope"}, "before_id"),
        ({"status": "pending", "index": 0, "after_id": "A"}, "index"),
    ],
)
def test_bad_moves_name_their_field(cast: Any, body: dict[str, Any], field: str) -> None:
    a, other = _make(cast, "A", "B")
    body = {k: (a if v == "A" else v) for k, v in body.items()}
    response = _move(cast, other, **body)
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()


def test_an_anchor_in_another_column_or_room_is_refused(cast: Any, make_room: Any) -> None:
    a, _b = _make(cast, "A", "B")
    (c,) = _make(cast, "C", status="in_progress")
    response = _move(cast, a, status="pending", before_id=c)
    assert response.status_code == 400
    assert response.json()["fields"]["before_id"][0]["code"] == "not_in_column"
    foreign = Task.objects.create(room=make_room(), title="Elsewhere")
    response = _move(cast, a, status="pending", after_id=str(foreign.id))
    assert response.status_code == 400
    assert response.json()["fields"]["after_id"][0]["code"] == "not_in_column"
    response = _move(cast, a, status="pending", after_id=a)
    assert response.status_code == 400


# ---------------------------------------------------------------------------------------------
# Concurrency (PostgreSQL: real row locks, one connection per thread)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_leave_one_consistent_order(make_user: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from tasks.rooms.models import Membership, Room, RoomRole

    owner = make_user(username="owner1")
    room = Room.objects.create(owner=owner, name="Race", join_code="racecode1")
    Membership.objects.create(room=room, user=owner, role=RoomRole.OWNER)
    movers = [make_user(username=f"mover{n}") for n in range(6)]
    for user in movers:
        Membership.objects.create(room=room, user=user, role=RoomRole.MEMBER)
    actor = UserRef(id=owner.id, username=owner.username)
    first = services.create_task(actor=actor, room_id=room.id, title="first")
    services.create_task(actor=actor, room_id=room.id, title="last")
    moving = [
        services.create_task(actor=actor, room_id=room.id, title=f"m{n}", status=Status.IN_PROGRESS)
        for n in range(len(movers))
    ]
    barrier = threading.Barrier(len(movers))
    errors: list[BaseException] = []

    def mover(user: Any, task: Task) -> None:
        try:
            barrier.wait(timeout=10)
            # Everyone squeezes between `first` and `last` at once: without the room lock they
            # would all read the same neighbours and write the same position.
            services.move_task(
                actor=UserRef(id=user.id, username=user.username),
                task_id=task.id,
                status=Status.PENDING,
                after_id=first.id,
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=mover, args=(user, task))
        for user, task in zip(movers, moving, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    rows = list(
        Task.objects.filter(room=room, status=Status.PENDING)
        .order_by("position", "id")
        .values_list("title", "position")
    )
    titles = [title for title, _ in rows]
    positions = [position for _, position in rows]
    assert titles[0] == "first" and titles[-1] == "last"
    assert sorted(titles[1:-1]) == sorted(t.title for t in moving)
    # One consistent order: every position distinct (no two moves landed on the same spot).
    assert len(set(positions)) == len(positions), rows
