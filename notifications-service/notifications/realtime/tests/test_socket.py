"""The websocket: tickets, live push to every connection, replay by cursor, heartbeats, bans.

Runs on the in-memory channel layer, and on channels-redis when REDIS_URL is set (settings pick
the layer), with real transactions so on-commit pushes happen as in production.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from notifications.inbox import services
from notifications.inbox.models import WsTicket

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def ticket_for(user) -> str:
    ticket, _ = services.issue_ws_ticket(user_id=user.id, username=user.username, role="user")
    return ticket


async def connect(path: str, **kwargs) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path, **kwargs)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected, path
    return socket


async def receive(socket: WebsocketCommunicator) -> dict:
    return json.loads(await socket.receive_from(timeout=TIMEOUT))


def run(scenario) -> None:
    async_to_sync(scenario)()


def test_a_ticket_connects_once(announce):
    user = announce()
    ticket = ticket_for(user)

    async def scenario():
        socket = await connect(f"/ws/?ticket={ticket}")
        hello = await receive(socket)
        assert hello == {"type": "hello", "user": str(user.id), "cursor": 0, "heartbeat": 25}
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
        assert await receive(socket) == {"type": "pong", "cursor": 0}
        await socket.disconnect()
        again = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await again.connect(timeout=TIMEOUT)
        assert not connected  # single use

    run(scenario)


@pytest.mark.parametrize("path", ["/ws/", "/ws/?ticket=", "/ws/?ticket=forged"])
def test_no_or_a_bad_ticket_is_refused(path):
    async def scenario():
        socket = WebsocketCommunicator(application, path)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)


def test_an_expired_ticket_is_refused(announce):
    ticket = ticket_for(announce())
    WsTicket.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)


def test_a_banned_users_ticket_is_refused(make_user):
    ticket = ticket_for(make_user(is_banned=True))

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)


def test_the_bearer_subprotocol_still_works(announce, make_token):
    user = announce()
    token = make_token(user)

    async def scenario():
        socket = await connect("/ws/", subprotocols=["cotask.bearer", token])
        assert (await receive(socket))["type"] == "hello"
        await socket.disconnect()

    run(scenario)


def test_every_connection_of_the_user_gets_the_push_once(announce, like, deliver):
    author, bob = announce(), announce(username="bob")
    tickets = [ticket_for(author), ticket_for(author)]

    async def scenario():
        sockets = [await connect(f"/ws/?ticket={t}") for t in tickets]
        for socket in sockets:
            await receive(socket)
        event = await database_sync_to_async(like)(author, bob)
        for socket in sockets:
            message = await receive(socket)
            assert message["type"] == "notification" and message["cursor"] == 1
            assert message["notification"]["text"] == "Bob liked your post"
        # A redelivered event pushes nothing more.
        await database_sync_to_async(deliver)(event)
        for socket in sockets:
            assert await socket.receive_nothing(timeout=0.3)
            await socket.disconnect()

    run(scenario)


def test_reconnect_with_the_last_cursor_gets_exactly_the_missed_ones_in_order(announce, like):
    author = announce()
    likers = [announce() for _ in range(7)]
    tickets = [ticket_for(author) for _ in range(3)]

    async def scenario():
        socket = await connect(f"/ws/?ticket={tickets[0]}")
        await receive(socket)
        await database_sync_to_async(like)(author, likers[0])
        last = (await receive(socket))["cursor"]
        await socket.disconnect()
        for liker in likers[1:6]:  # five separate posts: five notifications
            await database_sync_to_async(like)(author, liker)
        socket = await connect(f"/ws/?ticket={tickets[1]}&cursor={last}")
        assert (await receive(socket))["type"] == "hello"
        missed = [await receive(socket) for _ in range(5)]
        assert [m["cursor"] for m in missed] == [last + 1, last + 2, last + 3, last + 4, last + 5]
        names = [m["notification"]["actor"]["name"] for m in missed]
        assert names == [liker.username.capitalize() for liker in likers[1:6]]
        assert await socket.receive_nothing(timeout=0.3)
        # Live ones continue from there, without repeating.
        await database_sync_to_async(like)(author, likers[6])
        assert (await receive(socket))["cursor"] == last + 6
        # `resume` after connecting does the same as ?cursor=.
        await socket.send_to(text_data=json.dumps({"type": "resume", "cursor": last + 4}))
        assert [(await receive(socket))["cursor"] for _ in range(2)] == [last + 5, last + 6]
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(scenario)


def test_a_bad_cursor_closes_with_4400(announce):
    ticket = ticket_for(announce())

    async def scenario():
        socket = await connect(f"/ws/?ticket={ticket}&cursor=-3")
        message = await receive(socket)
        assert message["type"] == "error" and message["field"] == "cursor"
        assert (await socket.receive_output(timeout=TIMEOUT))["code"] == 4400

    run(scenario)


def test_heartbeats(announce, settings):
    settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS = 0.2
    ticket = ticket_for(announce())

    async def scenario():
        socket = await connect(f"/ws/?ticket={ticket}")
        await receive(socket)
        assert await receive(socket) == {"type": "heartbeat", "cursor": 0}
        await socket.disconnect()

    run(scenario)


def test_reading_on_one_device_updates_the_others(announce, like):
    author, liker = announce(), announce()
    ticket = ticket_for(author)

    async def scenario():
        socket = await connect(f"/ws/?ticket={ticket}")
        await receive(socket)
        await database_sync_to_async(like)(author, liker)
        pushed = await receive(socket)
        await database_sync_to_async(services.mark_read)(
            user_id=author.id, notification_id=uuid.UUID(pushed["notification"]["id"])
        )
        message = await receive(socket)
        assert message == {
            "type": "read",
            "ids": [pushed["notification"]["id"]],
            "all": False,
            "unread_count": 0,
            "cursor": 1,
        }
        await socket.disconnect()

    run(scenario)


def test_a_ban_closes_the_users_sockets_with_4403(announce, deliver):
    user = announce()
    ticket = ticket_for(user)

    async def scenario():
        socket = await connect(f"/ws/?ticket={ticket}")
        await receive(socket)
        await database_sync_to_async(deliver)(
            type="auth.user.banned", key=user.id, data={"until": None, "reason": "spam"}
        )
        assert await receive(socket) == {
            "type": "closing",
            "reason": "banned",
            "message": "This account was banned.",
        }
        closed = await socket.receive_output(timeout=TIMEOUT)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4403)

    run(scenario)


# A Redis nothing listens at: the channel layer's server is away (refused at once).
UNREACHABLE_LAYER = {
    "default": {
        "BACKEND": "notifications.realtime.layers.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"], "prefix": "cotask:test:away"},
    }
}


def test_a_handshake_while_the_channel_layer_is_away_is_a_503_to_retry(announce, settings):
    ticket = ticket_for(announce())
    settings.CHANNEL_LAYERS = UNREACHABLE_LAYER

    async def scenario():
        socket = WebsocketCommunicator(
            application, f"/ws/?ticket={ticket}", headers=[(b"accept-language", b"uk")]
        )
        # What uvicorn offers: the handshake can be answered with an HTTP response.
        socket.scope["extensions"] = {"websocket.http.response": {}}
        await socket.send_input({"type": "websocket.connect"})
        start = await socket.receive_output(timeout=TIMEOUT)
        body = await socket.receive_output(timeout=TIMEOUT)
        assert start["type"] == "websocket.http.response.start" and start["status"] == 503
        assert dict(start["headers"])[b"retry-after"] == b"5"
        error = json.loads(body["body"])
        assert error["code"] == "service_unavailable"
        assert error["message"] and "service" not in error["message"]  # in Ukrainian
        await socket.wait(timeout=TIMEOUT)

    run(scenario)


def test_without_the_http_response_extension_the_handshake_is_refused(announce, settings):
    ticket = ticket_for(announce())
    settings.CHANNEL_LAYERS = UNREACHABLE_LAYER

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)
