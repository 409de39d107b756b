"""notifications-service end to end, through nginx with real Kafka, Redis and PostgreSQL.

The whole chain: social's API call → its outbox → relay → Kafka → notifications' consumer →
PostgreSQL → Redis channel layer → the author's open websocket (and the REST list and unread
count). The helpers here are shared with `test_outage.py`.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import websockets.sync.client
from harness import PYTHON, ROOT, register_and_login, wait_for


def auth(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


def _ticket(gateway: str, access: str) -> str:
    response = requests.post(
        f"{gateway}/api/notifications/ws-ticket/",
        headers={"Authorization": f"Bearer {access}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.headers.get("Cache-Control") == "no-store"
    return response.json()["ticket"]


def _ws(gateway: str) -> str:
    return gateway.replace("http://", "ws://") + "/ws/"


def test_a_ticket_opens_the_socket_once(gateway: str) -> None:
    account = register_and_login(gateway)
    ticket = _ticket(gateway, account["access"])
    with websockets.sync.client.connect(f"{_ws(gateway)}?ticket={ticket}", open_timeout=20) as ws:
        hello = json.loads(ws.recv(timeout=20))
        assert hello["type"] == "hello" and hello["user"] == account["user"]["id"]
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=20))["type"] == "pong"
    try:
        with websockets.sync.client.connect(f"{_ws(gateway)}?ticket={ticket}", open_timeout=20):
            raise AssertionError("a used ticket opened a socket")
    except websockets.exceptions.InvalidStatus as refused:
        assert refused.response.status_code == 403


def _make_moderator(stack_env: dict[str, str], username: str, var_dir: Path) -> None:
    with open(var_dir / "set-role.log", "ab") as log:
        subprocess.run(
            [PYTHON, "manage.py", "set_role", username, "moderator"],
            cwd=ROOT / "auth-service",
            env=stack_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=120,
        )


def test_a_ban_closes_the_users_open_socket(
    gateway: str, stack_env: dict[str, str], var_dir: Path
) -> None:
    moderator = register_and_login(gateway)
    _make_moderator(stack_env, moderator["user"]["username"], var_dir)
    moderator = {
        **moderator,
        **requests.post(
            f"{gateway}/api/auth/login/",
            json={"login": moderator["user"]["username"], "password": moderator["password"]},
            timeout=30,
        ).json(),
    }
    member = register_and_login(gateway)
    ticket = _ticket(gateway, member["access"])
    with websockets.sync.client.connect(f"{_ws(gateway)}?ticket={ticket}", open_timeout=20) as ws:
        assert json.loads(ws.recv(timeout=20))["type"] == "hello"
        banned = requests.post(
            f"{gateway}/api/auth/users/{member['user']['id']}/ban/",
            headers={"Authorization": f"Bearer {moderator['access']}"},
            json={"reason": "e2e", "duration_seconds": 3600},
            timeout=30,
        )
        assert banned.status_code == 200, banned.text
        started = time.monotonic()
        messages = []
        try:
            while time.monotonic() - started < 30:
                messages.append(json.loads(ws.recv(timeout=30)))
        except websockets.exceptions.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4403
        else:
            raise AssertionError(f"the socket stayed open; got {messages}")
        assert any(m["type"] == "closing" and m["reason"] == "banned" for m in messages)
    # And no new ticket for the banned account.
    wait_for(
        lambda: (
            requests.post(
                f"{gateway}/api/notifications/ws-ticket/",
                headers={"Authorization": f"Bearer {member['access']}"},
                timeout=30,
            ).status_code
            in (401, 403)
        ),
        timeout=30,
        what="the banned account's ws-ticket refused",
    )


# ---------------------------------------------------------------------------------------------
# social → notifications


def social_account(gateway: str) -> dict[str, Any]:
    """A new account whose personal page social-service has made (from auth.user.registered)
    and whom notifications-service knows (its Recipient projection, for names and language)."""
    account = register_and_login(gateway)
    handle = account["user"]["username"]

    def page() -> dict[str, Any] | None:
        response = requests.get(
            f"{gateway}/api/social/pages/{handle}/", headers=auth(account), timeout=30
        )
        return response.json() if response.status_code == 200 else None

    found = wait_for(page, timeout=60, what=f"social's personal page of {handle}")
    return {**account, "page": found, "handle": handle}


def create_post(gateway: str, account: dict[str, Any], text: str = "hello") -> str:
    response = requests.post(
        f"{gateway}/api/social/pages/{account['handle']}/posts/",
        headers=auth(account),
        json={"text": text},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def like(gateway: str, account: dict[str, Any], post_id: str) -> requests.Response:
    response = requests.post(
        f"{gateway}/api/social/posts/{post_id}/like/", headers=auth(account), timeout=30
    )
    assert response.status_code == 200 and response.json()["changed"], response.text
    return response


def comment(gateway: str, account: dict[str, Any], post_id: str, text: str) -> requests.Response:
    response = requests.post(
        f"{gateway}/api/social/posts/{post_id}/comments/",
        headers=auth(account),
        json={"text": text},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response


def follow(gateway: str, account: dict[str, Any], handle: str) -> requests.Response:
    response = requests.post(
        f"{gateway}/api/social/pages/{handle}/follow/", headers=auth(account), timeout=30
    )
    assert response.status_code == 201, response.text
    return response


def notifications(gateway: str, account: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    """Every notification of the account (all pages), newest first."""
    results: list[dict[str, Any]] = []
    url: str | None = f"{gateway}/api/notifications/"
    query: dict[str, Any] | None = {"page_size": 100, **params}
    while url:
        response = requests.get(url, headers=auth(account), params=query, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        results.extend(body["results"])
        url, query = body["next"], None
        if url and not url.startswith("http"):
            url = f"{gateway}{url}"
    return results


def unread(gateway: str, account: dict[str, Any]) -> dict[str, int]:
    response = requests.get(
        f"{gateway}/api/notifications/unread-count/", headers=auth(account), timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def open_socket(gateway: str, account: dict[str, Any], cursor: int | None = None) -> Iterator[Any]:
    """The account's websocket (through a REST ticket), past its `hello` frame."""
    url = f"{_ws(gateway)}?ticket={_ticket(gateway, account['access'])}"
    if cursor is not None:
        url += f"&cursor={cursor}"
    with websockets.sync.client.connect(url, open_timeout=20) as ws:
        hello = json.loads(ws.recv(timeout=20))
        assert hello["type"] == "hello", hello
        yield ws


def notification_frames(ws: Any, count: int, *, timeout: float = 30) -> list[dict[str, Any]]:
    """The next `count` notification frames (heartbeats and the like skipped)."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(frames) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"got {len(frames)} of {count} notification frames: {frames}")
        try:
            message = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            continue
        if message["type"] == "notification":
            frames.append(message)
    return frames


def no_more_frames(ws: Any, *, wait: float = 2.0) -> list[dict[str, Any]]:
    """Notification frames that arrive within `wait` seconds (expected: none)."""
    extra: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            break
        if message["type"] == "notification":
            extra.append(message)
    return extra


def test_a_like_reaches_the_authors_socket_list_and_unread_count(gateway: str) -> None:
    author, liker = social_account(gateway), social_account(gateway)
    post_id = create_post(gateway, author, "my first post")
    assert unread(gateway, author)["unread"] == 0
    with open_socket(gateway, author) as ws:
        like(gateway, liker, post_id)
        [frame] = notification_frames(ws, 1)
    pushed = frame["notification"]
    assert pushed["type"] == "like"
    assert pushed["actor"]["id"] == liker["user"]["id"]
    assert pushed["target"] == {"service": "social", "kind": "post", "id": post_id}
    assert pushed["text"].endswith("liked your post")
    assert frame["cursor"] == pushed["cursor"]

    listed = notifications(gateway, author)
    assert [n["id"] for n in listed] == [pushed["id"]]
    assert listed[0]["read"] is False
    assert unread(gateway, author) == {"unread": 1, "cursor": frame["cursor"]}
    assert notifications(gateway, liker) == []  # the liker is told nothing

    read = requests.post(
        f"{gateway}/api/notifications/{pushed['id']}/read/", headers=auth(author), timeout=30
    )
    assert read.status_code == 200 and read.json()["read"] is True, read.text
    assert unread(gateway, author)["unread"] == 0
    assert notifications(gateway, author, unread="true") == []


def test_a_comment_and_a_new_follower_reach_the_author(gateway: str) -> None:
    author, reader = social_account(gateway), social_account(gateway)
    post_id = create_post(gateway, author, "thoughts?")
    with open_socket(gateway, author) as ws:
        comment(gateway, reader, post_id, "nice one")
        follow(gateway, reader, author["handle"])
        frames = notification_frames(ws, 2)
        assert no_more_frames(ws) == []
    by_type = {f["notification"]["type"]: f["notification"] for f in frames}
    assert set(by_type) == {"comment", "follower"}
    assert by_type["comment"]["target"] == {"service": "social", "kind": "post", "id": post_id}
    assert by_type["comment"]["text"].endswith("commented on your post")
    assert by_type["follower"]["target"]["id"] == author["page"]["id"]
    assert {n["actor"]["id"] for n in by_type.values()} == {reader["user"]["id"]}
    assert [f["cursor"] for f in frames] == sorted(f["cursor"] for f in frames)
    assert {n["id"] for n in notifications(gateway, author)} == {n["id"] for n in by_type.values()}
    assert unread(gateway, author)["unread"] == 2
    marked = requests.post(
        f"{gateway}/api/notifications/read-all/", headers=auth(author), json={}, timeout=30
    )
    assert marked.status_code == 200 and marked.json()["marked"] == 2, marked.text
    assert unread(gateway, author)["unread"] == 0
