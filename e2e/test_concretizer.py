"""The goal concretizer end to end, through nginx: a member concretizes a task of a team room
(`POST /api/tasks/concretize/` answers 202 at once), tasks-service's Celery worker makes the
plan with the offline planner, `tasks.plan.concretized` travels to notifications, which pushes
`plan_ready` to the member's socket with the plan's id; the member reads the plan, edits the
steps and accepts: the subtasks exist under the task with their dependencies and deadlines.
Another member of the room and a stranger can neither read nor accept the plan; accepting
twice is 409.

Once on the real stack (PostgreSQL, Kafka, Redis), once on `make run`'s embedded defaults
(SQLite, the embedded event log, the SQLite channel layer). Both stacks run without Celery
workers; the test starts tasks' (the job) as `make run` would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from harness import Stack, register_and_login
from harness import embedded_stack as embedded_stack_of
from test_notifications import auth, open_socket
from test_task_reminders import next_of, tasks_api, worker


def status_of(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> int:
    response = requests.request(
        method, f"{base}/api/tasks/{path}", headers=auth(account), json=body or None, timeout=30
    )
    return response.status_code


def journey(base: str) -> None:
    owner, member, stranger = (register_and_login(base) for _ in range(3))
    room = tasks_api(base, owner, "POST", "rooms/", name="Fitness club")
    tasks_api(base, member, "POST", "rooms/join/", code=room["join_code"])
    deadline = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    task = tasks_api(
        base, member, "POST", f"rooms/{room['id']}/tasks/", title="Get fit", due=deadline
    )

    with open_socket(base, member) as ws:
        asked = requests.post(
            f"{base}/api/tasks/concretize/",
            headers=auth(member),
            json={"task_id": task["id"], "minutes_per_day": 45},
            timeout=30,
        )
        assert asked.status_code == 202, asked.text
        plan_id = asked.json()["id"]
        notice, _ = next_of(ws, "plan_ready", timeout=120)
    assert notice["data"]["plan_id"] == plan_id
    assert notice["target"] == {"service": "tasks", "kind": "plan", "id": plan_id}
    assert notice["text"] == "Your plan for “Get fit” is ready"

    plan = tasks_api(base, member, "GET", f"concretize/{plan_id}/")
    assert plan["status"] == "done" and plan["provider"] == "rules"
    assert 3 <= len(plan["steps"]) <= 12
    assert all(step["due"] <= deadline for step in plan["steps"])
    # Nothing exists before acceptance.
    assert tasks_api(base, member, "GET", f"tasks/{task['id']}/subtasks/")["results"] == []

    # Nobody else reads or accepts it (another member of the room included).
    for other in (owner, stranger):
        assert status_of(base, other, "GET", f"concretize/{plan_id}/") == 404
        assert status_of(base, other, "POST", f"concretize/{plan_id}/accept/") == 404

    # Edit: keep three steps, rename one, add one that needs two others.
    steps = plan["steps"][:3]
    steps[1]["title"] = "Buy running shoes"
    steps.append({"title": "Run 5 km", "estimate_minutes": 40, "depends_on": [2, 3]})
    accepted = requests.post(
        f"{base}/api/tasks/concretize/{plan_id}/accept/",
        headers=auth(member),
        json={"steps": steps},
        timeout=30,
    )
    assert accepted.status_code == 201, accepted.text
    made = accepted.json()["subtask_ids"]
    assert len(made) == 4
    again = requests.post(
        f"{base}/api/tasks/concretize/{plan_id}/accept/", headers=auth(member), timeout=30
    )
    assert again.status_code == 409 and again.json()["code"] == "plan_already_accepted"

    subtasks = tasks_api(base, member, "GET", f"tasks/{task['id']}/subtasks/")["results"]
    by_id = {s["id"]: s for s in subtasks}
    assert set(by_id) == set(made)
    assert [by_id[i]["title"] for i in made] == [
        steps[0]["title"],
        "Buy running shoes",
        steps[2]["title"],
        "Run 5 km",
    ]
    assert by_id[made[0]]["due"]["date"] == steps[0]["due"]
    assert [b["id"] for b in by_id[made[0]]["blocked_by"]] == []
    assert [b["id"] for b in by_id[made[1]]["blocked_by"]] == [made[0]]
    assert {b["id"] for b in by_id[made[3]]["blocked_by"]} == {made[1], made[2]}
    # The room's owner sees the subtasks like any others (they are the room's tasks).
    assert len(tasks_api(base, owner, "GET", f"tasks/{task['id']}/subtasks/")["results"]) == 4


@pytest.mark.timeout(600)
def test_concretize_a_task_live_edit_accept_on_the_real_stack(
    gateway: str, stack_env: dict[str, str], var_dir: Path
) -> None:
    with worker("tasks", stack_env, var_dir):
        journey(gateway)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    stack = embedded_stack_of("concretizer", workers=False)
    yield stack
    stack.stop()


@pytest.mark.timeout(600)
def test_concretize_a_task_live_edit_accept_on_the_embedded_make_run_stack(
    embedded: Stack,
) -> None:
    with worker("tasks", embedded.env, embedded.var_dir):
        journey(embedded.url)
