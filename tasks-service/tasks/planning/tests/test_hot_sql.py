"""Every hand-written statement of `tasks.planning.hot_sql` gives what its ORM twin gives, on the
same data, and a whole board move by the statements answers, writes, records and publishes what
the ORM path does (PostgreSQL: on SQLite the service runs the twins)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from django.db import connection, connections
from django.utils import timezone

from cotask_common.events.testing import published_events
from cotask_common.testing.parity import same
from cotask_common.users.models import UserRef
from tasks.planning import hot_sql, services
from tasks.planning.models import Dependency, Status, Task, TaskChange
from tasks.planning.serializers import TaskOutput
from tasks.rooms.models import Label, Membership, Room, RoomRole

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the statements are PostgreSQL's; SQLite runs the twins")


@pytest.fixture
def hot() -> Iterator[Callable[[bool], None]]:
    """`hot(False)`: the service takes the ORM path for the rest of the test."""

    def switch(on: bool) -> None:
        hot_sql.ENABLED = on

    yield switch
    hot_sql.ENABLED = True


def _make(cast: Any, *titles: str, status: str = "pending", **extra: Any) -> list[str]:
    ids = []
    for title in titles:
        response = cast.member.post(
            f"/api/tasks/rooms/{cast.room.id}/tasks/",
            {"title": title, "status": status, **extra},
            format="json",
        )
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    return ids


@pytest.fixture
def board(cast: Any) -> dict[str, Any]:
    """A board with everything a task's JSON shows: assignees (two, to be sorted), labels (two,
    to be sorted ignoring case), a blocker, subtasks (one done), a completed task, equal
    positions (ordered by id)."""
    zeta = Label.objects.create(room=cast.room, name="zeta", color="#000000")
    alpha = Label.objects.create(room=cast.room, name="Alpha", color="#ffffff")
    a, b, c, d = _make(cast, "A", "B", "C", "D")
    (done,) = _make(cast, "Done", status=Status.COMPLETED)
    (doing,) = _make(cast, "Doing", status=Status.IN_PROGRESS)
    (rich,) = _make(
        cast,
        "Rich",
        assignee_ids=[str(cast.member.user.id), str(cast.admin.user.id)],
        label_ids=[str(zeta.id), str(alpha.id)],
        blocked_by_ids=[a],
    )
    _make(cast, "Sub 1", parent_id=rich)
    _make(cast, "Sub 2", parent_id=rich, status=Status.COMPLETED)
    Task.objects.filter(id__in=[b, c]).update(position=5000)  # a tie: by id
    return {"a": a, "b": b, "c": c, "d": d, "done": done, "doing": doing, "rich": rich}


# ---------------------------------------------------------------------------------------------
# Each statement and its twin


def _rooms() -> list[tuple[Any, int]]:
    return list(Room.objects.order_by("id").values_list("id", "version"))


def test_lock_room_of_task(cast: Any, board: dict[str, Any]) -> None:
    def both(task_id: UUID) -> None:
        same(
            lambda: hot_sql.lock_room_of_task(task_id=task_id),
            lambda: hot_sql.lock_room_of_task_orm(task_id=task_id),
            _rooms,
        )

    for task_id in (UUID(board["rich"]), uuid4()):
        both(task_id)
    assert hot_sql.lock_room_of_task(task_id=UUID(board["rich"])) is True
    assert hot_sql.lock_room_of_task(task_id=uuid4()) is False


def _read_view(task: Task | None) -> Any:
    if task is None:
        return None
    extra: Any = task
    return (TaskOutput(task).data, extra.actor_role, [(UUID(str(i)), p) for i, p in extra.slot])


@pytest.mark.parametrize("before", [True, False])
@pytest.mark.parametrize(
    ("moved", "status", "anchor", "reader"),
    [
        ("rich", "pending", "b", "member"),  # the tie: the neighbour by id
        ("rich", "pending", "c", "viewer"),
        ("rich", "pending", "a", "member"),  # an end of the column
        ("a", "completed", "done", "admin"),  # the only task of its column
        ("doing", "pending", "d", "stranger"),  # not a member: no role
        ("a", "pending", "done", "member"),  # the anchor is in another column
        ("a", "pending", "a", "member"),  # the task itself is not its own anchor
        ("a", "pending", None, "member"),  # no such anchor
    ],
)
def test_move_read(
    cast: Any,
    board: dict[str, Any],
    before: bool,
    moved: str,
    status: str,
    anchor: str | None,
    reader: str,
) -> None:
    Task.objects.filter(id=board["done"]).update(completed_by=cast.admin.user.id)
    kwargs = {
        "task_id": UUID(board[moved]),
        "actor_id": getattr(cast, reader).user.id,
        "status": status,
        "anchor_id": UUID(board[anchor]) if anchor else uuid4(),
        "before": before,
    }
    result = same(
        lambda: _read_view(hot_sql.move_read(**kwargs)),
        lambda: _read_view(hot_sql.move_read_orm(**kwargs)),
        lambda: None,
    )
    assert result[0] is not None
    assert hot_sql.move_read(**{**kwargs, "task_id": uuid4()}) is None
    assert hot_sql.move_read_orm(**{**kwargs, "task_id": uuid4()}) is None


def test_move_read_shows_what_the_task_shows(cast: Any, board: dict[str, Any]) -> None:
    task: Any = hot_sql.move_read(
        task_id=UUID(board["rich"]),
        actor_id=cast.member.user.id,
        status="pending",
        anchor_id=UUID(board["b"]),
        before=False,
    )
    shown = TaskOutput(task).data
    assert shown == cast.viewer.get(f"/api/tasks/tasks/{board['rich']}/").json()
    assert [a["username"] for a in shown["assignees"]] == ["adam", "mila"]
    assert [label["name"] for label in shown["labels"]] == ["Alpha", "zeta"]
    assert shown["subtasks_progress"] == {"done": 1, "total": 2} and shown["is_blocked"]
    # After B: C, at B's position too, comes next by its (later) id.
    assert task.slot == [(UUID(board["b"]), 5000), (UUID(board["c"]), 5000)]


@pytest.mark.parametrize("lines", [0, 1, 2])
def test_move_write(cast: Any, board: dict[str, Any], lines: int) -> None:
    # One time for both runs: two clock reads can straddle a second and differ.
    now = timezone.now().replace(microsecond=0)

    def run(write: Callable[..., None]) -> Callable[[], None]:
        def go() -> None:
            task = Task.objects.get(id=board["a"])
            rows = [
                TaskChange(task=task, actor_id=cast.admin.user.id, field=field, before=b, after=a)
                for field, b, a in [("status", "pending", "completed"), ("position", 1024, 7)][
                    :lines
                ]
            ]
            for row in rows:
                row.created_at = now
            task.status, task.position = Status.COMPLETED, 7
            task.completed_at, task.completed_by_id, task.updated_at = now, cast.admin.user.id, now
            write(task=task, rows=rows)

        return go

    def state() -> Any:
        tasks = list(
            Task.objects.order_by("id").values_list(
                "id", "status", "position", "completed_at", "completed_by_id", "updated_at"
            )
        )
        history = list(
            TaskChange.objects.order_by("task_id", "field").values_list(
                "task_id", "actor_id", "field", "before", "after"
            )
        )
        return tasks, history

    same(run(hot_sql.move_write), run(hot_sql.move_write_orm), state)


# ---------------------------------------------------------------------------------------------
# A whole move: the statements and the ORM path on the same data


def _state(room: Room) -> Any:
    """Positions, statuses and completion of every task, the history lines, the events and the
    room's version (what a move writes), without the ids and times a run makes anew."""
    tasks = [
        (title, status, position, completer, completed_at is None)
        for title, status, position, completer, completed_at in Task.objects.order_by(
            "title"
        ).values_list("title", "status", "position", "completed_by_id", "completed_at")
    ]
    history = sorted(
        TaskChange.objects.exclude(field="created").values_list(
            "task__title", "actor_id", "field", "before", "after"
        ),
        key=repr,
    )
    events = [
        (
            event.type,
            {k: v for k, v in event.data.items() if k not in ("completed_at",)},
        )
        for event in published_events(type_prefix="tasks.task.")
    ]
    return tasks, history, events, Room.objects.get(id=room.id).version


MOVES = [
    ("rich", "member", {"status": "pending", "after_id": "b"}),
    ("d", "admin", {"status": "completed", "before_id": "done"}),  # completes it
    ("done", "member", {"status": "in_progress", "after_id": "doing"}),  # reopens it
    ("a", "member", {"status": "pending", "before_id": "c"}),
    ("b", "member", {"status": "pending", "after_id": "done"}),  # not in that column: 400
    ("c", "viewer", {"status": "pending", "after_id": "a"}),  # a viewer: 403
    ("doing", "stranger", {"status": "pending", "after_id": "a"}),  # not a member: 404
    ("c", "member", {"status": "pending", "after_id": "c"}),  # next to itself: 400
]


def test_a_move_by_the_statements_is_the_move_by_the_orm(
    cast: Any, board: dict[str, Any], hot: Callable[[bool], None]
) -> None:
    def run(on: bool) -> Callable[[], Any]:
        def go() -> Any:
            hot(on)
            answers = []
            for moved, who, body in MOVES:
                body = {k: board.get(v, v) if k != "status" else v for k, v in body.items()}
                response = getattr(cast, who).post(
                    f"/api/tasks/tasks/{board[moved]}/move/", body, format="json"
                )
                data = response.json()
                for key in ("updated_at", "completed_at", "request_id"):
                    data.pop(key, None)
                answers.append((response.status_code, data))
            return answers

        return go

    answers, _state_after = same(run(True), run(False), lambda: _state(cast.room))
    assert [status for status, _ in answers] == [200, 200, 200, 200, 400, 403, 404, 400]
    assert answers[1][1]["completed_by"]["username"] == "adam"


def test_a_used_up_gap_renumbers_by_the_statements_as_by_the_orm(
    cast: Any, board: dict[str, Any], hot: Callable[[bool], None]
) -> None:
    Task.objects.filter(id=board["a"]).update(position=10)
    Task.objects.filter(id=board["d"]).update(position=11)

    def run(on: bool) -> Callable[[], Any]:
        def go() -> Any:
            hot(on)
            response = cast.member.post(
                f"/api/tasks/tasks/{board['rich']}/move/",
                {"status": "pending", "before_id": board["d"]},
                format="json",
            )
            return response.status_code, response.json()["position"]

        return go

    (status, _position), _ = same(run(True), run(False), lambda: _state(cast.room))
    assert status == 200


# ---------------------------------------------------------------------------------------------
# Concurrency: the statements under the room lock (one connection per thread)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_next_to_anchors_keep_one_order(make_user: Any) -> None:
    """Twelve movers at once, half before and half after the same two anchors, into a column
    from two others: every mover waits for the room's lock and reads the order the previous
    one left, so no two land on one spot, and each move is one version of the room and one
    position line (plus its status line)."""
    owner = make_user(username="owner2")
    room = Room.objects.create(owner=owner, name="Race", join_code="racecode2")
    Membership.objects.create(room=room, user=owner, role=RoomRole.OWNER)
    actor = UserRef(id=owner.id, username=owner.username)
    first = services.create_task(actor=actor, room_id=room.id, title="first")
    last = services.create_task(actor=actor, room_id=room.id, title="last")
    movers, moving = [], []
    for n in range(12):
        user = make_user(username=f"racer{n}")
        Membership.objects.create(room=room, user=user, role=RoomRole.MEMBER)
        movers.append(user)
        status = Status.IN_PROGRESS if n % 2 else Status.COMPLETED
        moving.append(
            services.create_task(actor=actor, room_id=room.id, title=f"m{n:02}", status=status)
        )
    version = Room.objects.get(id=room.id).version
    barrier = threading.Barrier(len(movers))
    errors: list[BaseException] = []

    def mover(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            user = movers[n]
            services.move_task(
                actor=UserRef(id=user.id, username=user.username),
                task_id=moving[n].id,
                status=Status.PENDING,
                after_id=first.id if n % 2 else None,
                before_id=None if n % 2 else last.id,
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=mover, args=(n,)) for n in range(len(movers))]
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
    assert len(set(positions)) == len(positions), rows
    assert Room.objects.get(id=room.id).version == version + len(movers)
    moved = TaskChange.objects.filter(task__in=moving)
    assert moved.filter(field="position").count() == len(movers)
    assert moved.filter(field="status", after="pending").count() == len(movers)
    completed = [t.id for t in moving if t.status == Status.COMPLETED]
    assert not Task.objects.filter(id__in=completed, completed_at__isnull=False).exists()
    assert not Dependency.objects.exists()


def test_a_move_next_to_an_anchor_is_four_statements(
    cast: Any, board: dict[str, Any], warm: Any, django_assert_max_num_queries: Any
) -> None:
    """The room's lock, the read (the answer's related lists included), the write, and the
    outbox rows of a status change (a completion also counts it for the room's milestones);
    nothing after: the answer is what the task then reads."""

    def move(task: str, **body: Any) -> tuple[Any, list[str]]:
        warm()
        with django_assert_max_num_queries(20) as ctx:
            response = cast.admin.post(f"/api/tasks/tasks/{board[task]}/move/", body, format="json")
        statements = [  # read now: the next request empties the connection's query log
            q["sql"].split()[0].upper()
            for q in ctx.captured_queries
            if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))
        ]
        assert response.status_code == 200, response.json()
        assert response.json() == cast.viewer.get(f"/api/tasks/tasks/{board[task]}/").json()
        return response, statements

    _, inside = move("rich", status="pending", before_id=board["b"])
    assert inside == ["UPDATE", "SELECT", "WITH"]  # lock, read, row + history line
    response, completing = move("a", status="completed", after_id=board["done"])
    # + the room's count of completed tasks (one upsert), two outbox rows
    assert completing == ["UPDATE", "SELECT", "WITH", "INSERT", "WITH", "WITH"]
    assert response.json()["completed_by"]["username"] == "adam"


def test_a_move_into_done_by_the_statements_carries_the_rooms_share_progress(
    cast: Any, board: dict[str, Any], hot: Callable[[bool], None], published_events: Any
) -> None:
    # The statements build the task's room from their own columns: a missing one would
    # complete every task as if its room did not share (no progress post, ever).
    Room.objects.filter(id=cast.room.id).update(share_progress=True)
    done = Task.objects.filter(room=cast.room, status=Status.COMPLETED).first()
    assert done is not None
    for on in (True, False):
        hot(on)
        [moved] = _make(cast, f"shared by {on}")
        response = cast.member.post(
            f"/api/tasks/tasks/{moved}/move/",
            {"status": "completed", "before_id": str(done.id)},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert published_events("tasks.task.completed")[-1].data["share_progress"] is True
