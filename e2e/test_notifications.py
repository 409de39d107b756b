"""notifications-service end to end, through nginx with real Kafka, Redis and PostgreSQL.

Remaining (needs social-service's likes): a like in social reaching the author's open
websocket, REST list and unread count. Until then the auth ban path proves the same chain
(producer outbox → relay → Kafka → notifications consumer → Redis channel layer → socket).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import requests
import websockets.sync.client
from harness import PYTHON, ROOT, register_and_login, wait_for


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
        assert {"type": "closing", "reason": "banned"} in messages
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
