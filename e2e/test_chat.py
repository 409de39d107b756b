"""Chat end to end, through nginx with real Kafka, Redis and PostgreSQL: social-service's chat API
→ its outbox → Kafka → notifications-service's consumer → the members' open websockets.

Two people exchange direct messages live, with a read receipt and typing; a member whose socket
was closed reconnects with its cursor and gets exactly what it missed (each chat frame once, in
order), and, having been offline, one grouped notification for the conversation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
import websockets.sync.client
from harness import Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of

CHAT = "/api/social/chat"


def auth(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


def _socket(gateway: str, account: dict[str, Any], cursor: int | None = None) -> Any:
    ticket = requests.post(
        f"{gateway}/api/notifications/ws-ticket/", headers=auth(account), timeout=30
    ).json()["ticket"]
    query = f"?ticket={ticket}" + (f"&cursor={cursor}" if cursor is not None else "")
    url = gateway.replace("http://", "ws://") + "/ws/" + query
    return websockets.sync.client.connect(url, open_timeout=20)


def _next(ws: Any, wanted: str, *, timeout: float = 30) -> dict[str, Any]:
    """The next frame of type `wanted`, skipping heartbeats and the like."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
        if frame["type"] == wanted:
            return frame


def _chat(ws: Any, event: str, *, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = _next(ws, "chat", timeout=max(deadline - time.monotonic(), 0.1))
        if frame["event"] == event:
            return frame


def _send(gateway: str, account: dict[str, Any], conversation: str, text: str) -> dict[str, Any]:
    response = requests.post(
        f"{gateway}{CHAT}/conversations/{conversation}/messages/",
        headers=auth(account),
        json={"text": text},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _start(gateway: str, ada: dict[str, Any], bob: dict[str, Any]) -> str:
    """ada's direct conversation with bob, once social-service has heard of bob's account."""

    def started() -> Any:
        response = requests.post(
            f"{gateway}{CHAT}/direct/",
            headers=auth(ada),
            json={"user_id": bob["user"]["id"]},
            timeout=30,
        )
        return response.json()["id"] if response.status_code in (200, 201) else None

    return wait_for(started, timeout=60, what="the direct conversation")


def test_two_people_chat_live_with_read_receipts_and_typing(gateway: str) -> None:
    ada, bob = register_and_login(gateway), register_and_login(gateway)
    conversation = _start(gateway, ada, bob)
    with _socket(gateway, ada) as ada_ws, _socket(gateway, bob) as bob_ws:
        _next(ada_ws, "hello")
        _next(bob_ws, "hello")
        sent = _send(gateway, ada, conversation, "hello bob")
        frame = _chat(bob_ws, "message_created")
        assert frame["conversation_id"] == conversation
        assert frame["data"]["message_id"] == sent["id"] and frame["data"]["text"] == "hello bob"
        assert "member_ids" not in frame["data"]
        # ada's own other devices hear of it too (here: the socket she has open)
        assert _chat(ada_ws, "message_created")["data"]["message_id"] == sent["id"]

        # typing: bob types, ada sees it (never stored, no cursor of its own)
        bob_ws.send(json.dumps({"type": "typing", "conversation_id": conversation}))
        typing = _next(ada_ws, "typing")
        assert typing == {
            "type": "typing",
            "conversation_id": conversation,
            "user_id": bob["user"]["id"],
            "cursor": typing["cursor"],
        }

        # bob reads ada's message: ada gets the read receipt; then bob answers
        read = requests.post(
            f"{gateway}{CHAT}/conversations/{conversation}/read/",
            headers=auth(bob),
            json={"message_id": sent["id"]},
            timeout=30,
        )
        assert read.status_code == 200, read.text
        receipt = _chat(ada_ws, "read")
        assert receipt["data"]["user_id"] == bob["user"]["id"]
        assert receipt["data"]["message_id"] == sent["id"]
        _send(gateway, bob, conversation, "hi ada")
        assert _chat(ada_ws, "message_created")["data"]["text"] == "hi ada"

    unread = requests.get(f"{gateway}{CHAT}/unread/", headers=auth(ada), timeout=30).json()
    assert unread == {"unread_count": 1}  # bob's answer


def test_a_member_offline_reconnects_and_gets_exactly_what_was_missed(gateway: str) -> None:
    ada, bob = register_and_login(gateway), register_and_login(gateway)
    conversation = _start(gateway, ada, bob)
    with _socket(gateway, bob) as bob_ws:
        _next(bob_ws, "hello")
        _send(gateway, ada, conversation, "while you are here")
        seen = _chat(bob_ws, "message_created")
        cursor = seen["cursor"]
    time.sleep(1)  # the server notices the closed socket (bob is offline now)

    missed = [_send(gateway, ada, conversation, text)["id"] for text in ("one", "two", "three")]

    def notified() -> Any:
        rows = requests.get(f"{gateway}/api/notifications/", headers=auth(bob), timeout=30).json()[
            "results"
        ]
        chat = [n for n in rows if n["type"] == "chat_message"]
        return chat if chat and chat[0]["target"]["id"] == conversation else None

    # one notification for the conversation, however many messages came
    [notification] = wait_for(notified, timeout=60, what="bob's chat notification")
    wait_for(
        lambda: (
            len(
                requests.get(
                    f"{gateway}{CHAT}/conversations/{conversation}/messages/",
                    headers=auth(bob),
                    timeout=30,
                ).json()["results"]
            )
            == 4
        ),
        timeout=30,
        what="history",
    )
    time.sleep(2)  # every frame committed on notifications' side

    with _socket(gateway, bob, cursor=cursor) as back:
        hello = _next(back, "hello")
        frames = []
        try:
            while True:
                frame = json.loads(back.recv(timeout=3))
                if frame["type"] in ("chat", "notification"):
                    frames.append(frame)
        except TimeoutError:
            pass
    chat = [f for f in frames if f["type"] == "chat"]
    assert [f["data"]["message_id"] for f in chat] == missed  # each once, in order
    cursors = [f["cursor"] for f in frames]
    assert cursors == sorted(set(cursors)) and cursors[-1] == hello["cursor"]
    notes = [f for f in frames if f["type"] == "notification"]
    assert [n["notification"]["id"] for n in notes] == [notification["id"]]


def _sign_up(gateway: str) -> dict[str, Any]:
    """An account, waiting out the gateway's sign-up rate limit (a burst, then 2 a second).

    A 503 is waited out too, as its Retry-After asks: on a loaded CI machine fifty password
    hashings in a row can keep the auth upstream busy past the gateway's patience.
    """
    for _attempt in range(30):
        try:
            return register_and_login(gateway)
        except AssertionError as refused:
            told = str(refused)
            if not any(sign in told for sign in ("429", "Too Many", "503", "service_unavailable")):
                raise
            time.sleep(2)
    raise AssertionError("the gateway kept refusing sign-ups")


def test_a_group_of_fifty_gets_a_message_on_every_socket(gateway: str) -> None:
    admin = _sign_up(gateway)
    members = [_sign_up(gateway) for _ in range(49)]

    def created() -> Any:
        response = requests.post(
            f"{gateway}{CHAT}/groups/",
            headers=auth(admin),
            json={"name": "Fifty", "member_ids": [m["user"]["id"] for m in members]},
            timeout=30,
        )
        return response.json()["id"] if response.status_code == 201 else None

    group = wait_for(created, timeout=120, interval=1, what="the group of 50")
    sockets = [_socket(gateway, account) for account in [admin, *members]]
    try:
        for ws in sockets:
            _next(ws, "hello")
        sent = _send(gateway, admin, group, "hello, fifty")
        started = time.monotonic()
        for ws in sockets:
            frame = _chat(ws, "message_created", timeout=60)
            assert frame["conversation_id"] == group
            assert frame["data"]["message_id"] == sent["id"]
        print(f"a message reached 50 sockets in {time.monotonic() - started:.2f}s")
    finally:
        for ws in sockets:
            ws.close()


@pytest.fixture(scope="module")
def embedded_gateway() -> Any:
    """`make run`'s embedded defaults (SQLite, the embedded event log, the SQLite channel layer),
    without Celery workers: chat needs none."""
    stack: Stack = embedded_stack_of("chat", workers=False)
    yield stack.url
    stack.stop()


def test_chat_works_on_the_embedded_defaults(embedded_gateway: str) -> None:
    ada, bob = register_and_login(embedded_gateway), register_and_login(embedded_gateway)
    conversation = _start(embedded_gateway, ada, bob)
    with _socket(embedded_gateway, bob) as bob_ws:
        _next(bob_ws, "hello")
        sent = _send(embedded_gateway, ada, conversation, "hello on sqlite")
        frame = _chat(bob_ws, "message_created")
        assert frame["data"]["message_id"] == sent["id"]
        cursor = frame["cursor"]
    later = _send(embedded_gateway, ada, conversation, "while away")
    time.sleep(3)  # the embedded log carries it to notifications
    with _socket(embedded_gateway, bob, cursor=cursor) as back:
        _next(back, "hello")
        assert _chat(back, "message_created")["data"]["message_id"] == later["id"]
