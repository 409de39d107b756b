"""Task attachments, comments and recurrence end to end on the real stack (PostgreSQL, Kafka,
S3, nginx): a member attaches a private file to a task; another member of the room reads it
through media's signed URL, a stranger gets 404, and after leaving the room the ex-member gets
404 too. File knowledge (media → tasks) and access (tasks → media) travel only as events
through Kafka, so those answers are awaited."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from harness import register_and_login, wait_for


class Person:
    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        account = register_and_login(gateway)
        self.id = account["user"]["id"]
        self.headers = {"Authorization": f"Bearer {account['access']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.gateway}/api{path}", headers=self.headers, timeout=60, **kwargs
        )


def test_a_task_attachment_is_readable_by_the_rooms_members_only(gateway: str) -> None:
    owner, member, stranger = Person(gateway), Person(gateway), Person(gateway)
    room = owner.call("POST", "/tasks/rooms/", json={"name": f"Room {uuid.uuid4().hex[:6]}"})
    assert room.status_code == 201, room.text
    room_id, code = room.json()["id"], room.json()["join_code"]
    joined = member.call("POST", "/tasks/rooms/join/", json={"code": code})
    assert joined.status_code == 200, joined.text
    task = owner.call("POST", f"/tasks/rooms/{room_id}/tasks/", json={"title": "Spec"})
    assert task.status_code == 201, task.text
    task_id = task.json()["id"]

    uploaded = owner.call(
        "POST",
        "/media/files/",
        files={"file": ("notes.txt", "План на неделю\n".encode(), "text/plain")},
        data={"purpose": "task_attachment"},
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    assert uploaded.json()["url"] is None  # private

    # tasks learns of the file from media.file.ready (Kafka): attach once it accepts the id.
    def attach() -> requests.Response | None:
        response = owner.call(
            "POST", f"/tasks/tasks/{task_id}/attachments/", json={"file_id": file_id}
        )
        return response if response.status_code == 201 else None

    wait_for(attach, timeout=60, interval=0.5, what="tasks to accept the file (media.file.ready)")
    listed = member.call("GET", f"/tasks/tasks/{task_id}/attachments/").json()["results"]
    assert [a["file_id"] for a in listed] == [file_id]

    def signed() -> dict[str, Any] | None:
        response = member.call("GET", f"/media/files/{file_id}/url")
        return response.json() if response.status_code == 200 else None

    issued = wait_for(signed, timeout=60, interval=0.3, what="the member's access (Kafka)")
    url = issued["url"] if not issued["url"].startswith("/") else f"{gateway}{issued['url']}"
    fetched = requests.get(url, timeout=30)
    assert fetched.status_code == 200 and "План".encode() in fetched.content

    assert stranger.call("GET", f"/media/files/{file_id}/url").status_code == 404
    assert stranger.call("GET", f"/tasks/tasks/{task_id}/attachments/").status_code == 404

    # A comment mentioning the member, read back by them.
    who = member.call("GET", "/tasks/whoami").json()
    commented = owner.call(
        "POST",
        f"/tasks/tasks/{task_id}/comments/",
        json={"body": f"@{who['username']} please read the notes"},
    )
    assert commented.status_code == 201, commented.text
    assert [m["id"] for m in commented.json()["mentions"]] == [member.id]
    comments = member.call("GET", f"/tasks/tasks/{task_id}/comments/").json()["results"]
    assert comments[0]["body"].endswith("please read the notes")

    # Leaving the room ends the access.
    assert member.call("POST", f"/tasks/rooms/{room_id}/leave/").status_code in (200, 204)

    def refused() -> bool:
        return member.call("GET", f"/media/files/{file_id}/url").status_code == 404

    wait_for(refused, timeout=60, interval=0.3, what="the revocation to reach media (Kafka)")
    assert owner.call("GET", f"/media/files/{file_id}/url").status_code == 200


def test_completing_a_recurring_task_through_the_gateway_makes_the_next(gateway: str) -> None:
    owner = Person(gateway)
    personal = owner.call("POST", "/tasks/personal/tasks/", json={"title": "Stretch"})
    assert personal.status_code == 201, personal.text
    bad = owner.call(
        "PATCH", f"/tasks/tasks/{personal.json()['id']}/", json={"recurrence": "FREQ=HOURLY"}
    )
    assert bad.status_code == 400
    assert bad.json()["fields"]["recurrence"][0]["code"] == "unsupported_recurrence"
    task = owner.call(
        "POST",
        "/tasks/personal/tasks/",
        json={"title": "Water the plants", "recurrence": "FREQ=DAILY;INTERVAL=2"},
    ).json()
    done = owner.call("PATCH", f"/tasks/tasks/{task['id']}/", json={"status": "completed"})
    assert done.status_code == 200, done.text
    mine = owner.call("GET", "/tasks/my-tasks/?status=pending").json()["results"]
    following = [t for t in mine if t["title"] == "Water the plants"]
    assert len(following) == 1 and following[0]["id"] != task["id"]
    assert following[0]["recurrence"] == "FREQ=DAILY;INTERVAL=2" and following[0]["due"]
