"""Realtime hardening, end to end through nginx.

- `make run` (embedded defaults, no servers): a like reaches the author's open socket, although
  the like's notification is stored by the `run_events` process and the socket lives in the
  ASGI process (the SQLite channel layer carries it between them).
- The real stack: a socket belongs to the session that opened it; logging out closes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import websockets.exceptions
import websockets.sync.client
from harness import Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from websockets.sync.client import ClientConnection


def _headers(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


@contextmanager
def _socket(url: str, account: dict[str, Any]) -> Iterator[ClientConnection]:
    """Opened as the clients do: a single-use ticket over REST, then `/ws/?ticket=…`."""
    issued = requests.post(
        f"{url}/api/notifications/ws-ticket/", headers=_headers(account), timeout=30
    )
    assert issued.status_code == 201, issued.text
    ws_url = url.replace("http://", "ws://") + f"/ws/?ticket={issued.json()['ticket']}"
    with websockets.sync.client.connect(ws_url, open_timeout=20) as ws:
        assert json.loads(ws.recv(timeout=20))["type"] == "hello"
        yield ws


def _personal_page(url: str, account: dict[str, Any]) -> dict | None:
    response = requests.get(f"{url}/api/social/me/", headers=_headers(account), timeout=10)
    return response.json().get("personal_page") if response.status_code == 200 else None


@pytest.fixture(scope="module")
def embedded_stack() -> Iterator[Stack]:
    # The same processes as `make run` but Celery (nothing here needs it).
    stack = embedded_stack_of("embedded-realtime", workers=False)
    yield stack
    stack.stop()


def test_make_run_pushes_a_like_to_the_authors_open_socket(embedded_stack: Stack) -> None:
    url = embedded_stack.url
    author, liker = register_and_login(url), register_and_login(url)
    page = wait_for(lambda: _personal_page(url, author), timeout=60, what="the author's page")
    wait_for(lambda: _personal_page(url, liker), timeout=60, what="the liker's page")
    post = requests.post(
        f"{url}/api/social/pages/{page['id']}/posts/",
        json={"text": "like me live"},
        headers=_headers(author),
        timeout=30,
    )
    assert post.status_code == 201, post.text
    with _socket(url, author) as ws:
        liked = requests.post(
            f"{url}/api/social/posts/{post.json()['id']}/like/",
            headers=_headers(liker),
            timeout=30,
        )
        assert liked.status_code == 200, liked.text
        deadline = time.monotonic() + 60
        frames = []
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            frames.append(frame)
            if frame["type"] == "notification":
                break
        notification = frame["notification"]
        assert notification["type"] == "like", frames
        assert liker["user"]["username"] in notification["text"]
        assert frame["cursor"] == 1


def _closing(ws: ClientConnection, timeout: float = 30) -> tuple[list[dict], int | None]:
    """Frames until the server closes the socket, and the close code."""
    frames: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            frames.append(json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
    except websockets.exceptions.ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        pass
    raise AssertionError(f"the socket stayed open; got {frames}")


def test_logging_out_closes_the_sessions_socket_and_voids_its_tickets(gateway: str) -> None:
    account = register_and_login(gateway)
    second_login = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": account["user"]["username"], "password": account["password"]},
        timeout=30,
    )
    assert second_login.status_code == 200, second_login.text
    other_device = {**account, **second_login.json()}
    stolen = requests.post(
        f"{gateway}/api/notifications/ws-ticket/", headers=_headers(account), timeout=30
    ).json()["ticket"]
    with _socket(gateway, account) as ws, _socket(gateway, other_device) as other:
        logout = requests.post(f"{gateway}/api/auth/logout/", headers=_headers(account), timeout=30)
        assert logout.status_code == 204, logout.text
        frames, code = _closing(ws)
        assert code == 4401
        assert frames[-1]["type"] == "closing" and frames[-1]["reason"] == "logout"
        assert frames[-1]["message"] == "You logged out of this session."
        # The other session's socket is untouched.
        other.send(json.dumps({"type": "ping"}))
        assert json.loads(other.recv(timeout=20))["type"] == "pong"
    # A ticket of the ended session (say, stolen before the logout) opens nothing.
    ws_url = gateway.replace("http://", "ws://") + f"/ws/?ticket={stolen}"
    try:
        with websockets.sync.client.connect(ws_url, open_timeout=20):
            raise AssertionError("a ticket of an ended session opened a socket")
    except websockets.exceptions.InvalidStatus as refused:
        assert refused.response.status_code == 403
    # Nor does its still-unexpired access token get a new ticket.
    again = requests.post(
        f"{gateway}/api/notifications/ws-ticket/", headers=_headers(account), timeout=30
    )
    assert again.status_code == 401 and again.json()["code"] == "session_revoked", again.text
