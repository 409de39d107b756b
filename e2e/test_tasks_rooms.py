"""Rooms on `make run`'s embedded defaults (SQLite, the embedded event log, no servers) behind
nginx: tasks-service migrates and answers; a room is created, its 9-character code read, a
second person joins with it, a wrong or regenerated code is refused; an account's deletion
reaches tasks-service's `run_events` over the embedded log and takes the person out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of

TASKS = "/api/tasks"


@pytest.fixture(scope="module")
def embedded_stack() -> Iterator[Stack]:
    stack = embedded_stack_of("tasks-rooms", workers=False)
    yield stack
    stack.stop()


class Person:
    def __init__(self, base: str) -> None:
        self.base = base
        self.account = register_and_login(base)
        self.id = self.account["user"]["id"]
        self.headers = {"Authorization": f"Bearer {self.account['access']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.base}{TASKS}{path}", headers=self.headers, timeout=30, **kwargs
        )


def test_tasks_service_is_ready_on_sqlite(embedded_stack: Stack) -> None:
    ready = requests.get(f"{embedded_stack.url}{TASKS}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert (embedded_stack.var_dir / "tasks.sqlite3").exists()
    schema = requests.get(f"{embedded_stack.url}{TASKS}/schema/?format=json", timeout=30).json()
    assert f"{TASKS}/rooms/join/" in schema["paths"]


def test_create_read_code_join_and_refuse_wrong_or_old_codes(embedded_stack: Stack) -> None:
    owner, joiner, late = (Person(embedded_stack.url) for _ in range(3))
    assert requests.get(f"{embedded_stack.url}{TASKS}/rooms/", timeout=10).status_code == 401

    created = owner.call("POST", "/rooms/", json={"name": "Launch", "description": "Q1"})
    assert created.status_code == 201, created.text
    room = created.json()
    code = owner.call("GET", f"/rooms/{room['id']}/").json()["join_code"]
    assert len(code) == 9 and code.isalnum() and code == code.lower()

    # Before joining the room does not exist for them; after, they are a member without the code.
    assert joiner.call("GET", f"/rooms/{room['id']}/").status_code == 404
    joined = joiner.call("POST", "/rooms/join/", json={"code": code.upper()})
    assert joined.status_code == 200, joined.text
    assert joined.json()["id"] == room["id"] and joined.json()["my_role"] == "member"
    assert "join_code" not in joined.json()
    members = owner.call("GET", f"/rooms/{room['id']}/members/").json()["results"]
    assert {m["id"] for m in members} == {owner.id, joiner.id}

    wrong = late.call("POST", "/rooms/join/", json={"code": "000000000"})
    assert wrong.status_code == 400
    assert wrong.json()["fields"]["code"][0]["code"] == "invalid_join_code"

    new_code = owner.call("POST", f"/rooms/{room['id']}/join-code/").json()["join_code"]
    assert new_code != code
    old = late.call("POST", "/rooms/join/", json={"code": code})
    assert old.status_code == 400 and old.json()["code"] == "invalid_join_code"
    assert late.call("POST", "/rooms/join/", json={"code": new_code}).status_code == 200

    history = owner.call("GET", f"/rooms/{room['id']}/history/").json()["results"]
    assert [h["action"] for h in history] == ["joined", "code_regenerated", "joined", "created"]
    personal = owner.call("GET", "/personal/").json()
    assert personal["kind"] == "personal" and "join_code" not in personal


def test_a_deleted_account_leaves_its_rooms_over_the_embedded_log(embedded_stack: Stack) -> None:
    owner, leaver = Person(embedded_stack.url), Person(embedded_stack.url)
    room = owner.call("POST", "/rooms/", json={"name": "Team"}).json()
    code = room["join_code"]
    assert leaver.call("POST", "/rooms/join/", json={"code": code}).status_code == 200
    deleted = requests.post(
        f"{embedded_stack.url}/api/auth/me/delete/",
        json={"password": leaver.account["password"]},
        headers=leaver.headers,
        timeout=30,
    )
    assert deleted.status_code == 204, deleted.text

    def left() -> bool:
        body = owner.call("GET", f"/rooms/{room['id']}/").json()
        return body["member_count"] == 1

    wait_for(left, timeout=60, interval=0.5, what="tasks-service handling auth.user.deleted")
    history = owner.call("GET", f"/rooms/{room['id']}/history/").json()["results"]
    assert history[0]["action"] == "account_deleted" and history[0]["subject"] is not None
