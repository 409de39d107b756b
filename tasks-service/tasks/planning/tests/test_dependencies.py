"""Subtasks (one level, progress on the parent) and dependencies (blocked by; no cycles)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from cotask_common.errors import ServiceError
from cotask_common.users.models import UserRef
from tasks.planning import dependencies
from tasks.planning.models import Dependency, Status, Task, TaskChange
from tasks.planning.tests.teamkit import EVERYONE, WRITERS, expected, make_team

pytestmark = pytest.mark.django_db


def _task_url(task: Any) -> str:
    return f"/api/tasks/tasks/{task.id}/"


def _blocked(task: Any, other: Any) -> str:
    return f"/api/tasks/tasks/{task.id}/blocked-by/{other.id}/"


# ---------------------------------------------------------------------------------------------
# Subtasks


def test_a_subtask_shows_its_progress_on_the_parent(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    parent = team.task("Launch")
    client = team.clients["member"]
    ids = []
    for title in ("Write", "Review", "Ship"):
        response = client.post(
            f"/api/tasks/rooms/{team.room.id}/tasks/",
            {"title": title, "parent_id": str(parent.id)},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["parent_id"] == str(parent.id)
        ids.append(response.json()["id"])
    client.patch(f"/api/tasks/tasks/{ids[0]}/", {"status": "completed"}, format="json")
    body = client.get(_task_url(parent)).json()
    assert body["subtasks_progress"] == {"done": 1, "total": 3}


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("other_room", "parent_not_found"),
        ("missing", "parent_not_found"),
        ("grandchild", "subtask_depth"),
        ("self", "subtask_cycle"),
        ("has_children", "subtask_depth"),
    ],
)
def test_a_bad_parent_is_refused_naming_parent_id(
    make_user: Any, client_for: Any, case: str, code: str
) -> None:
    team = make_team(make_user, client_for)
    other = make_team(make_user, client_for)
    top = team.task("Top")
    child = team.task("Child", parent=top)
    client = team.clients["member"]
    if case in ("self", "has_children"):
        target = top
        parent_id = str(top.id) if case == "self" else str(team.task("Another").id)
        response = client.patch(_task_url(target), {"parent_id": parent_id}, format="json")
    else:
        parent_id = {
            "other_room": str(other.task("Theirs").id),
            "missing": "0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f",
            "grandchild": str(child.id),
        }[case]
        response = client.post(
            f"/api/tasks/rooms/{team.room.id}/tasks/",
            {"title": "New", "parent_id": parent_id},
            format="json",
        )
    assert response.status_code == 400, response.json()
    assert response.json()["fields"]["parent_id"][0]["code"] == code


@pytest.mark.parametrize("who", EVERYONE)
def test_subtasks_list_permissions(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    parent = team.task("Top")
    team.task("One", parent=parent, position=2048)
    team.task("Two", parent=parent, position=1024)
    response = team.clients[who].get(f"/api/tasks/tasks/{parent.id}/subtasks/")
    allowed = ("owner", "admin", "member", "viewer")
    want = 200 if who in allowed else {"stranger": 404, "banned": 403, "anonymous": 401}[who]
    assert response.status_code == want
    if want == 200:
        assert [t["title"] for t in response.json()["results"]] == ["Two", "One"]
    if who == "stranger":
        assert response.json()["code"] == "task_not_found"


def test_subtasks_list_has_a_bounded_query_count(
    make_user: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    team = make_team(make_user, client_for)
    parent = team.task("Top")
    label = team.room.labels.create(name="x")
    blocker = team.task("Blocker")
    for index in range(12):
        sub = team.task(f"Sub {index}", parent=parent, position=index)
        sub.labels.add(label)
        sub.assignees.add(team.users["member"], team.users["admin"])
        Dependency.objects.create(task=sub, blocked_by=blocker)
    client = team.clients["viewer"]
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/tasks/tasks/{parent.id}/subtasks/")
    assert len(response.json()["results"]) == 12
    assert all(row["is_blocked"] for row in response.json()["results"])


# ---------------------------------------------------------------------------------------------
# Dependencies


@pytest.mark.parametrize("who", EVERYONE)
def test_blocked_by_permissions(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    task, other = team.task("Deploy"), team.task("Build")
    response = team.clients[who].post(_blocked(task, other))
    assert response.status_code == expected(who, allowed=WRITERS, ok=200)
    assert Dependency.objects.filter(task=task).exists() == (who in WRITERS)
    if who in WRITERS:
        body = response.json()
        assert body["blocked_by"] == [{"id": str(other.id), "title": "Build", "status": "pending"}]
        assert body["is_blocked"] is True
    Dependency.objects.get_or_create(task=task, blocked_by=other)
    response = team.clients[who].delete(_blocked(task, other))
    assert response.status_code == expected(who, allowed=WRITERS, ok=200)
    assert Dependency.objects.filter(task=task).exists() == (who not in WRITERS)


def test_the_blocked_task_says_what_blocks_it_until_that_is_done(
    make_user: Any, client_for: Any
) -> None:
    team = make_team(make_user, client_for)
    task, build = team.task("Deploy"), team.task("Build")
    client = team.clients["member"]
    assert client.post(_blocked(task, build)).status_code == 200
    assert client.post(_blocked(task, build)).status_code == 200  # idempotent
    assert Dependency.objects.filter(task=task).count() == 1
    build.status = Status.COMPLETED
    build.save()
    body = client.get(_task_url(task)).json()
    assert body["blocked_by"][0]["status"] == "completed" and body["is_blocked"] is False
    history = TaskChange.objects.filter(task=task, field="blocked_by")
    assert history.count() == 1 and history.get().after == [str(build.id)]


def test_a_cycle_is_refused_naming_blocked_by_ids_and_the_path(
    make_user: Any, client_for: Any
) -> None:
    team = make_team(make_user, client_for)
    a, b, c = team.task("A"), team.task("B"), team.task("C")
    client = team.clients["member"]
    assert client.post(_blocked(a, b)).status_code == 200  # A waits for B
    assert client.post(_blocked(b, c)).status_code == 200  # B waits for C
    response = client.post(_blocked(c, a))  # C waits for A: A → B → C → A
    assert response.status_code == 400
    error = response.json()["fields"]["blocked_by_ids"][0]
    assert error["code"] == "dependency_cycle"
    assert error["path"] == [str(c.id), str(a.id), str(b.id), str(c.id)]
    assert "«C» → «A» → «B» → «C»" in error["message"]
    # The same through the task's own fields (create and edit).
    response = client.patch(_task_url(c), {"blocked_by_ids": [str(a.id)]}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["blocked_by_ids"][0]["code"] == "dependency_cycle"
    assert client.post(_blocked(a, a)).status_code == 400
    assert not Dependency.objects.filter(task=c).exists()


def test_blocked_by_ids_on_create_and_edit(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    build, test = team.task("Build"), team.task("Test")
    client = team.clients["member"]
    response = client.post(
        f"/api/tasks/rooms/{team.room.id}/tasks/",
        {"title": "Deploy", "blocked_by_ids": [str(build.id), str(test.id)]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    deploy = Task.objects.get(id=response.json()["id"])
    assert {b["id"] for b in response.json()["blocked_by"]} == {str(build.id), str(test.id)}
    response = client.patch(_task_url(deploy), {"blocked_by_ids": [str(test.id)]}, format="json")
    assert response.status_code == 200, response.json()
    assert [b["id"] for b in response.json()["blocked_by"]] == [str(test.id)]


def test_only_tasks_of_the_same_room_block(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    other = make_team(make_user, client_for)
    # The member is in both rooms: still refused, a dependency stays inside one room.
    from tasks.rooms.models import Membership

    Membership.objects.create(room=other.room, user=team.users["member"], role="member")
    task, theirs = team.task("Ours"), other.task("Theirs")
    response = team.clients["member"].post(_blocked(task, theirs))
    assert response.status_code == 400
    assert response.json()["fields"]["blocked_by_ids"][0]["code"] == "task_not_found"
    response = team.clients["member"].post(f"/api/tasks/tasks/{task.id}/blocked-by/not-a-uuid/")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_additions_cannot_close_a_cycle(make_user: Any, client_for: Any) -> None:
    """A blocked by B and B blocked by A at the same moment: the room lock makes one wait and
    then see the other's row, so exactly one succeeds."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    team = make_team(make_user, client_for)
    a, b = team.task("A"), team.task("B")
    actors = [UserRef(id=team.users[r].id, username="x") for r in ("member", "admin")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(actor: UserRef, task: Task, blocker: Task) -> None:
        try:
            barrier.wait(timeout=10)
            dependencies.add_blocker(user=actor, task_id=task.id, blocked_by_id=blocker.id)
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=add, args=(actors[0], a, b)),
        threading.Thread(target=add, args=(actors[1], b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["dependency_cycle", "ok"]
    assert Dependency.objects.count() == 1
