"""notifications-service in the person's language, end to end through nginx: the account's saved
language travels in auth's token to an error answer, to the websocket's frames, and (through
social's events and Kafka) to a grouped notification's plural form.

Once on the real stack (Kafka, Redis, PostgreSQL), once on `make run`'s embedded defaults
(SQLite, the embedded event log, the SQLite channel layer; no Celery worker is needed)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websockets.sync.client
from harness import Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of


def _auth(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


def _personal_page(gateway: str, account: dict[str, Any]) -> dict | None:
    response = requests.get(f"{gateway}/api/social/me/", headers=_auth(account), timeout=10)
    return response.json().get("personal_page") if response.status_code == 200 else None


def language_journey(gateway: str) -> None:
    author = register_and_login(gateway, language="uk")

    unknown = requests.post(
        f"{gateway}/api/notifications/{uuid.uuid4()}/read/",
        headers={**_auth(author), "Accept-Language": "ru"},
        timeout=30,
    )
    assert unknown.status_code == 404, unknown.text
    assert (unknown.json()["code"], unknown.json()["message"]) == (
        "notification_not_found",
        "Такого сповіщення немає.",
    )
    assert unknown.headers["Content-Language"] == "uk"

    ticket = requests.post(
        f"{gateway}/api/notifications/ws-ticket/", headers=_auth(author), timeout=30
    )
    assert ticket.status_code == 201, ticket.text
    ws_url = gateway.replace("http://", "ws://") + f"/ws/?ticket={ticket.json()['ticket']}&cursor=x"
    with websockets.sync.client.connect(ws_url, open_timeout=20) as ws:
        frame = json.loads(ws.recv(timeout=20))
    assert (frame["type"], frame["field"]) == ("error", "cursor")
    assert frame["message"] == "cursor має бути невід'ємним цілим числом."

    page = wait_for(lambda: _personal_page(gateway, author), timeout=60, what="the author's page")
    post = requests.post(
        f"{gateway}/api/social/pages/{page['id']}/posts/",
        json={"text": "like me"},
        headers=_auth(author),
        timeout=30,
    )
    assert post.status_code == 201, post.text
    for _ in range(2):
        liker = register_and_login(gateway)
        wait_for(lambda liker=liker: _personal_page(gateway, liker), timeout=60, what="a page")
        liked = requests.post(
            f"{gateway}/api/social/posts/{post.json()['id']}/like/",
            headers=_auth(liker),
            timeout=30,
        )
        assert liked.status_code == 200, liked.text

    def grouped() -> dict | None:
        listed = requests.get(f"{gateway}/api/notifications/", headers=_auth(author), timeout=10)
        rows = [n for n in listed.json().get("results", []) if n["type"] == "like"]
        return rows[0] if rows and rows[0]["actor_count"] == 2 else None

    notification = wait_for(grouped, timeout=60, what="the grouped like")
    assert notification["language"] == "uk"
    assert notification["text"] == (
        f"{notification['actor']['name']} та ще 1 користувач вподобали ваш допис"
    )


def test_the_saved_language_reaches_errors_sockets_and_plural_forms(gateway: str) -> None:
    language_journey(gateway)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    stack = embedded_stack_of("languages", workers=False)
    yield stack
    stack.stop()


def test_the_saved_language_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    language_journey(embedded.url)
