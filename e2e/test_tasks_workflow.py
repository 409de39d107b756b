"""TaskSync's workflow end to end, through nginx: a room, its 9-character join code, a second
person joining with it, tasks created, assigned and moved pending → in progress → completed on
the board, and the assignee told live over the websocket; a wrong code and a regenerated (old)
one are refused; a comment and a mention told live; leaving takes the room's notifications back.

Once on the real stack (PostgreSQL, Kafka, Redis; tasks' and notifications' event processes
relaying and consuming), once on `make run`'s embedded defaults (SQLite, the embedded event log,
the SQLite channel layer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import Stack, call_api, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_notifications import no_more_frames, notification_frames, notifications, open_socket

JOIN_CODE = re.compile(r"^[0-9a-z]{9}$")


def api(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    return call_api(base, account, method, f"tasks/{path}", **body)


def ok(response: requests.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def refused_code(response: requests.Response) -> None:
    """A wrong or old code: 400 naming `code`, the same answer for both."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_join_code", body
    assert [e["code"] for e in body["fields"]["code"]] == ["invalid_join_code"], body


def board(base: str, account: dict[str, Any], room_id: str) -> dict[str, list[str]]:
    """The board's columns: status → the task ids in it, in order."""
    body = ok(api(base, account, "GET", f"rooms/{room_id}/board/"))
    return {c["status"]: [t["id"] for t in c["tasks"]] for c in body["columns"]}


def journey(base: str) -> None:
    owner, member, latecomer = (register_and_login(base) for _ in range(3))
    member_id = member["user"]["id"]

    # The owner creates a room and reads its code (only admins and the owner see it).
    room = ok(api(base, owner, "POST", "rooms/", name="Launch", description="ship v1"), status=201)
    room_id, code = room["id"], room["join_code"]
    assert JOIN_CODE.match(code), code
    assert room["my_role"] == "owner" and room["member_count"] == 1
    # Outside the room nothing of it shows.
    assert api(base, member, "GET", f"rooms/{room_id}/").status_code == 404
    assert api(base, member, "GET", f"rooms/{room_id}/board/").status_code == 404

    # A wrong code is refused; the right one (in any case) lets the second person in, and the
    # owner hears of it live.
    wrong = "0" * 9 if code != "0" * 9 else "1" * 9
    refused_code(api(base, member, "POST", "rooms/join/", code=wrong))
    with open_socket(base, owner) as owner_ws:
        joined = ok(api(base, member, "POST", "rooms/join/", code=code.upper()))
        assert joined["id"] == room_id and joined["my_role"] == "member"
        assert "join_code" not in joined  # a member does not see the code
        [frame] = notification_frames(owner_ws, 1)
    told = frame["notification"]
    assert told["type"] == "room_joined"
    assert told["target"] == {"service": "tasks", "kind": "room", "id": room_id}
    assert told["actor"]["id"] == member_id and "Launch" in told["text"]
    # Joining again changes nothing.
    assert ok(api(base, member, "POST", "rooms/join/", code=code))["member_count"] == 2

    # Tasks: one created assigned to the member, one assigned afterwards; the member (the
    # assignee) is told live, each time.
    with open_socket(base, member) as member_ws:
        first = ok(
            api(
                base,
                owner,
                "POST",
                f"rooms/{room_id}/tasks/",
                title="Write the release notes",
                priority="high",
                assignee_ids=[member_id],
            ),
            status=201,
        )
        second = ok(
            api(base, owner, "POST", f"rooms/{room_id}/tasks/", title="Tag the build"),
            status=201,
        )
        assert first["status"] == second["status"] == "pending"
        assert [a["id"] for a in first["assignees"]] == [member_id]
        assigned = ok(api(base, owner, "PATCH", f"tasks/{second['id']}/", assignee_ids=[member_id]))
        assert [a["id"] for a in assigned["assignees"]] == [member_id]
        frames = notification_frames(member_ws, 2)
        pushed = [f["notification"] for f in frames]
        assert [n["type"] for n in pushed] == ["task_assigned", "task_assigned"]
        # Two tasks' events may take two partitions: in either order.
        assert {n["target"]["id"] for n in pushed} == {first["id"], second["id"]}
        assert {n["target"]["kind"] for n in pushed} == {"task"}
        assert {n["actor"]["id"] for n in pushed} == {owner["user"]["id"]}
        assert any("Write the release notes" in n["text"] for n in pushed)
        assert [f["cursor"] for f in frames] == sorted(f["cursor"] for f in frames)

        # The board: pending → in progress → completed, moved by either of them.
        assert board(base, member, room_id)["pending"] == [first["id"], second["id"]]
        moved = ok(api(base, owner, "POST", f"tasks/{first['id']}/move/", status="in_progress"))
        assert moved["status"] == "in_progress" and moved["completed_at"] is None
        columns = board(base, member, room_id)
        assert (columns["pending"], columns["in_progress"]) == ([second["id"]], [first["id"]])
        # The second lands in progress before the first.
        ok(
            api(
                base,
                member,
                "POST",
                f"tasks/{second['id']}/move/",
                status="in_progress",
                before_id=first["id"],
            )
        )
        assert board(base, owner, room_id)["in_progress"] == [second["id"], first["id"]]
        done = ok(api(base, member, "POST", f"tasks/{first['id']}/move/", status="completed"))
        assert done["status"] == "completed" and done["completed_at"]
        assert done["completed_by"]["id"] == member_id
        columns = board(base, owner, room_id)
        assert columns == {"pending": [], "in_progress": [second["id"]], "completed": [first["id"]]}
        # Moving is not assigning: the assignee hears nothing more of it.
        assert no_more_frames(member_ws) == []
    # The inbox keeps what was pushed.
    listed = [n for n in notifications(base, member) if n["type"] == "task_assigned"]
    assert {n["id"] for n in listed} == {n["id"] for n in pushed}

    # The owner regenerates the code: the old one stops working, the new one works.
    renewed = ok(api(base, owner, "POST", f"rooms/{room_id}/join-code/"))
    new_code = renewed["join_code"]
    assert JOIN_CODE.match(new_code) and new_code != code
    refused_code(api(base, latecomer, "POST", "rooms/join/", code=code))
    # A member may not regenerate it, nor see it.
    assert api(base, member, "POST", f"rooms/{room_id}/join-code/").status_code in (403, 404)
    assert "join_code" not in ok(api(base, member, "GET", f"rooms/{room_id}/"))
    assert ok(api(base, latecomer, "POST", "rooms/join/", code=new_code))["id"] == room_id

    def grouped() -> bool:
        joins = [n for n in notifications(base, owner) if n["type"] == "room_joined"]
        return len(joins) == 1 and "and 1 other joined Launch" in joins[0]["text"]

    wait_for(grouped, timeout=60, what="the second join grouped into the owner's notification")

    # A comment on the owner's task mentioning the newcomer: the creator hears of the comment,
    # the newcomer of the mention (once each, live), the author of nothing.
    with open_socket(base, owner) as owner_ws, open_socket(base, latecomer) as latecomer_ws:
        ok(
            api(
                base,
                member,
                "POST",
                f"tasks/{first['id']}/comments/",
                body=f"Done, @{latecomer['user']['username']} please check",
            ),
            status=201,
        )
        [commented] = notification_frames(owner_ws, 1)
        [mentioned] = notification_frames(latecomer_ws, 1)
    assert commented["notification"]["type"] == "task_commented"
    assert mentioned["notification"]["type"] == "task_mentioned"
    for frame in (commented, mentioned):
        assert frame["notification"]["target"] == {
            "service": "tasks",
            "kind": "task",
            "id": first["id"],
        }
        assert frame["notification"]["actor"]["id"] == member_id

    # The member leaves: what they were told about the room leaves their inbox (and their open
    # socket hears which went); they can no longer be assigned there, so nothing more reaches them.
    with open_socket(base, member) as member_ws:
        left = api(base, member, "POST", f"rooms/{room_id}/leave/")
        assert left.status_code == 204, left.text
        gone = wait_for(
            lambda: next((m for m in _frames(member_ws) if m["type"] == "deleted"), None),
            timeout=60,
            what="the ex-member's notifications about the room taken back",
        )
    assert set(gone["ids"]) == {n["id"] for n in pushed}
    assert [n for n in notifications(base, member) if n["type"].startswith("task_")] == []
    refused = api(
        base, owner, "POST", f"rooms/{room_id}/tasks/", title="x", assignee_ids=[member_id]
    )
    assert refused.status_code == 400 and "assignee_ids" in refused.json()["fields"], refused.text
    assert api(base, member, "GET", f"rooms/{room_id}/board/").status_code == 404


def _frames(ws: Any) -> list[dict[str, Any]]:
    """Whatever frames arrive within a second."""
    frames = []
    try:
        while True:
            frames.append(json.loads(ws.recv(timeout=1)))
    except TimeoutError:
        return frames


def test_tasksync_workflow_through_nginx_on_the_real_stack(gateway: str) -> None:
    journey(gateway)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    # `make run`'s command without Celery workers (nothing here is emailed), on its own ports.
    stack = embedded_stack_of("tasks-workflow", workers=False)
    yield stack
    stack.stop()


def test_tasksync_workflow_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    journey(embedded.url)
