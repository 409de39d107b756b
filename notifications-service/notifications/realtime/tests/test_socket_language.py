"""What the socket says to a person (error frames, close reasons) is in the connection's
language: the `lang` claim of the token behind it (directly or through its ticket), else the
account's language known here, else the handshake's `Accept-Language`, else English."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
TICKET = "/api/notifications/ws-ticket/"
BAD_CURSOR = {
    "en": "cursor must be a non-negative integer.",
    "ru": "cursor должен быть неотрицательным целым числом.",
    "uk": "cursor має бути невід'ємним цілим числом.",
}
UNKNOWN_TYPE = {
    "en": "type must be 'ping', 'resume', 'reauth' or 'typing'.",
    "ru": "type должен быть 'ping', 'resume', 'reauth' или 'typing'.",
    "uk": "type має бути 'ping', 'resume', 'reauth' або 'typing'.",
}
LOGGED_OUT = {
    "en": "You logged out of this session.",
    "ru": "Вы вышли из этого сеанса.",
    "uk": "Ви вийшли з цього сеансу.",
}


def run(scenario) -> None:
    async_to_sync(scenario)()


async def open_socket(path: str, **kwargs) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path, **kwargs)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected, path
    return socket


async def receive(socket: WebsocketCommunicator) -> dict:
    return json.loads(await socket.receive_from(timeout=TIMEOUT))


async def bad_cursor_close(path: str, **kwargs) -> str:
    """Connect with a bad cursor: the error frame's message (then the 4400 close)."""
    socket = await open_socket(path, **kwargs)
    frame = await receive(socket)
    assert (frame["type"], frame["code"], frame["field"]) == ("error", "invalid", "cursor")
    assert (await socket.receive_output(timeout=TIMEOUT))["code"] == 4400
    return frame["message"]


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_the_tokens_saved_language_through_a_ticket(client_for, announce, language):
    # The account known here says another language, and so does the handshake: the claim wins.
    user = announce(language="uk" if language != "uk" else "ru")
    response = client_for(user, lang=language).post(TICKET)
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    headers = [(b"accept-language", b"de")]

    async def scenario():
        message = await bad_cursor_close(f"/ws/?ticket={ticket}&cursor=-1", headers=headers)
        assert message == BAD_CURSOR[language]

    run(scenario)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_tokens_saved_language_through_the_bearer_subprotocol(announce, make_token, language):
    user = announce(language="en")
    token = make_token(user, lang=language)

    async def scenario():
        socket = await open_socket("/ws/", subprotocols=["cotask.bearer", token])
        assert (await receive(socket))["type"] == "hello"
        await socket.send_to(text_data=json.dumps({"type": "dance"}))
        frame = await receive(socket)
        assert (frame["type"], frame["code"]) == ("error", "unknown_type")
        assert frame["message"] == UNKNOWN_TYPE[language]
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("ru-RU,ru;q=0.9,en;q=0.5", "ru"), ("uk", "uk"), ("de", "en"), (None, "en")],
)
def test_the_handshakes_accept_language_without_a_saved_one(
    make_user, make_token, accept_language, language
):
    """An account not announced here yet, with a token that claims no language."""
    token = make_token(make_user())
    headers = [(b"accept-language", accept_language.encode())] if accept_language else []

    async def scenario():
        message = await bad_cursor_close(
            "/ws/?cursor=x", subprotocols=["cotask.bearer", token], headers=headers
        )
        assert message == BAD_CURSOR[language]

    run(scenario)


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_the_close_reason_is_in_the_connections_language(client_for, announce, deliver, language):
    user = announce(language="en")
    session = uuid.uuid4().hex
    response = client_for(user, lang=language, sid=session).post(TICKET)
    ticket = response.json()["ticket"]

    async def scenario():
        socket = await open_socket(f"/ws/?ticket={ticket}")
        assert (await receive(socket))["type"] == "hello"
        await database_sync_to_async(deliver)(
            type="auth.session.revoked",
            key=user.id,
            data={
                "user_id": str(user.id),
                "session_ids": [session],
                "reason": "logout",
                "all_sessions": False,
            },
        )
        frame = await receive(socket)
        assert (frame["type"], frame["reason"]) == ("closing", "logout")
        assert frame["message"] == LOGGED_OUT[language]
        assert (await socket.receive_output(timeout=TIMEOUT))["code"] == 4401

    run(scenario)
