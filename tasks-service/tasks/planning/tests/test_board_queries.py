"""The board's cost does not grow with its columns: the related rows (assignees, labels,
blockers) of every column's tasks come in one query each, not one each per column."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_board_fetches_related_rows_once_for_all_columns(
    cast: Any, django_assert_max_num_queries: Any, warm: Any
) -> None:
    me = str(cast.member.user.id)
    for status in ("pending", "in_progress", "completed"):
        for n in range(3):
            response = cast.member.post(
                f"/api/tasks/rooms/{cast.room.id}/tasks/",
                {"title": f"{status} {n}", "status": status, "assignee_ids": [me]},
                format="json",
            )
            assert response.status_code == 201, response.json()
    warm()
    # membership + 3 column pages + assignments, labels, blockers in one UNION ALL (was 13: 3
    # per column, then 7: each kind once).
    with django_assert_max_num_queries(5):
        response = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/")
    assert response["X-Page-Cache"] == "miss"  # the bound is a rendered board's
    body = response.json()
    assert [len(column["tasks"]) for column in body["columns"]] == [3, 3, 3]
    assert all(
        task["assignees"][0]["id"] == me for column in body["columns"] for task in column["tasks"]
    )


def test_lists_and_the_board_show_the_same_related_rows_as_the_task(cast: Any) -> None:
    """Lists and the board attach assignees, labels and blockers as values; what they show
    is what the task itself shows (sorted the same way)."""
    from tasks.rooms.models import Label

    zeta = Label.objects.create(room=cast.room, name="zeta", color="#000000")
    alpha = Label.objects.create(room=cast.room, name="Alpha", color="#ffffff")
    member, admin = str(cast.member.user.id), str(cast.admin.user.id)
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    blocker = cast.member.post(room, {"title": "Blocker"}, format="json").json()
    task = cast.member.post(
        room,
        {
            "title": "Blocked",
            "assignee_ids": [member, admin],
            "label_ids": [str(zeta.id), str(alpha.id)],
            "blocked_by_ids": [blocker["id"]],
        },
        format="json",
    )
    assert task.status_code == 201, task.json()
    alone = cast.viewer.get(f"/api/tasks/tasks/{task.json()['id']}/").json()
    assert [a["username"] for a in alone["assignees"]] == ["adam", "mila"]
    assert [label["name"] for label in alone["labels"]] == ["Alpha", "zeta"]
    assert [b["id"] for b in alone["blocked_by"]] == [blocker["id"]]
    listed = {t["id"]: t for t in cast.viewer.get(room).json()["results"]}
    board = {
        t["id"]: t
        for column in cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/").json()["columns"]
        for t in column["tasks"]
    }
    for shown in (listed[alone["id"]], board[alone["id"]]):
        for key in ("assignees", "labels", "blocked_by"):
            assert shown[key] == alone[key], key
    assert listed[blocker["id"]]["assignees"] == [] == board[blocker["id"]]["labels"]


def test_a_move_runs_few_queries_and_answers_the_task_as_it_reads(
    cast: Any, django_assert_max_num_queries: Any, warm: Any
) -> None:
    """A move: the room's lock by the task's id, the task with the mover's role, the anchor
    with its neighbour, the write and its history (and the status events), the answer's
    related lists in one query (17 queries before). Its answer is what the task then reads,
    completion included."""
    room = f"/api/tasks/rooms/{cast.room.id}/tasks/"
    me = str(cast.member.user.id)
    ids = [
        cast.member.post(room, {"title": f"t{n}", "assignee_ids": [me]}, format="json").json()["id"]
        for n in range(3)
    ]
    done = cast.member.post(room, {"title": "done", "status": "completed"}, format="json").json()
    warm()
    with django_assert_max_num_queries(10):
        moved = cast.admin.post(
            f"/api/tasks/tasks/{ids[2]}/move/",
            {"status": "completed", "before_id": done["id"]},
            format="json",
        )
    assert moved.status_code == 200, moved.json()
    assert moved.json() == cast.viewer.get(f"/api/tasks/tasks/{ids[2]}/").json()
    assert moved.json()["completed_by"]["username"] == "adam"
    assert moved.json()["position"] < done["position"]
    with django_assert_max_num_queries(8):
        moved = cast.admin.post(
            f"/api/tasks/tasks/{ids[0]}/move/",
            {"status": "pending", "after_id": ids[1]},
            format="json",
        )
    assert moved.json() == cast.viewer.get(f"/api/tasks/tasks/{ids[0]}/").json()
    board = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/").json()
    assert [t["id"] for t in board["columns"][0]["tasks"]] == [ids[1], ids[0]]
