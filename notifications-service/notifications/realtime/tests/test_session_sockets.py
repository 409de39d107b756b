"""A websocket belongs to the auth session that opened it (the `sid` of the token behind its
ticket): `auth.session.revoked` (logout, revocation, a reused refresh token; or the whole account
on a password change or reset, ban, deletion, deactivation) closes it, a ticket or token of an
ended session opens none (a stolen ticket's socket must not outlive the session), and it closes
when that token expires unless the client sends a newer one of the same session."""

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
from notifications.inbox.models import EndedSession

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
TICKET = "/api/notifications/ws-ticket/"


def ticket_for(user, session_id: str, *, expires_in: float = 300) -> str:
    ticket, _ = services.issue_ws_ticket(
        user_id=user.id,
        username=user.username,
        role="user",
        session_id=session_id,
        access_expires_at=timezone.now() + timedelta(seconds=expires_in),
    )
    return ticket


async def connect(path: str, **kwargs) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path, **kwargs)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected, path
    hello = json.loads(await socket.receive_from(timeout=TIMEOUT))
    assert hello["type"] == "hello"
    return socket


async def refused(path: str, **kwargs) -> bool:
    socket = WebsocketCommunicator(application, path, **kwargs)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    return not connected


async def closed_with(socket: WebsocketCommunicator, reason: str, code: int) -> dict:
    frame = json.loads(await socket.receive_from(timeout=TIMEOUT))
    assert (frame["type"], frame["reason"]) == ("closing", reason), frame
    closed = await socket.receive_output(timeout=TIMEOUT)
    assert (closed["type"], closed["code"]) == ("websocket.close", code)
    return frame


def revoked(deliver, user, session_ids, reason, *, all_sessions=False) -> None:
    deliver(
        type="auth.session.revoked",
        key=user.id,
        data={
            "user_id": str(user.id),
            "session_ids": [str(s) for s in session_ids],
            "reason": reason,
            "all_sessions": all_sessions,
        },
    )


def run(scenario) -> None:
    async_to_sync(scenario)()


@pytest.mark.parametrize(
    ("reason", "language", "message"),
    [
        ("logout", "en", "You logged out of this session."),
        ("revoked", "ru", "Этот сеанс завершён; войдите снова."),
        ("refresh_reused", "uk", "Цей сеанс завершено; увійдіть знову."),
    ],
)
def test_ending_a_session_closes_its_sockets_only(announce, deliver, reason, language, message):
    user = announce(language=language)
    phone, laptop = str(uuid.uuid4()), str(uuid.uuid4())
    phone_ticket, laptop_ticket = ticket_for(user, phone), ticket_for(user, laptop)

    async def scenario():
        on_phone = await connect(f"/ws/?ticket={phone_ticket}")
        on_laptop = await connect(f"/ws/?ticket={laptop_ticket}")
        await database_sync_to_async(revoked)(deliver, user, [phone], reason)
        frame = await closed_with(on_phone, reason, 4401)
        assert frame["message"] == message
        await on_laptop.send_to(text_data=json.dumps({"type": "ping"}))
        assert json.loads(await on_laptop.receive_from(timeout=TIMEOUT))["type"] == "pong"
        await on_laptop.disconnect()

    run(scenario)


def test_a_ticket_of_an_ended_session_opens_nothing(announce, deliver):
    """A ticket stolen before the logout and used after it."""
    user = announce()
    session = str(uuid.uuid4())
    stolen = ticket_for(user, session)
    revoked(deliver, user, [session], "logout")

    async def scenario():
        assert await refused(f"/ws/?ticket={stolen}")

    run(scenario)


def test_a_token_of_an_ended_session_gets_no_ticket_and_no_socket(
    announce, deliver, client_for, make_token
):
    user = announce(language="ru")
    session = uuid.uuid4().hex
    client = client_for(user, sid=session)
    assert client.post(TICKET).status_code == 201
    revoked(deliver, user, [session], "logout")
    response = client.post(TICKET)
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"
    assert response.json()["message"] == "Этот сеанс завершён; войдите снова."
    token = make_token(user, sid=session)

    async def scenario():
        assert await refused("/ws/", subprotocols=["cotask.bearer", token])

    run(scenario)


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("password_changed", 4401),
        ("password_reset", 4401),
        ("banned", 4403),
        ("deleted", 4403),
        ("deactivated", 4403),
    ],
)
def test_an_account_change_closes_every_socket_and_voids_older_tickets(
    announce, deliver, reason, code
):
    user = announce()
    current, other = str(uuid.uuid4()), str(uuid.uuid4())
    tickets = [ticket_for(user, current), ticket_for(user, other)]
    unused = ticket_for(user, current)  # minted before the change: void after it

    async def scenario():
        sockets = [await connect(f"/ws/?ticket={t}") for t in tickets]
        # The session the password was changed in is not among the ended ones, yet its
        # socket closes too: a stolen ticket may have opened it.
        await database_sync_to_async(revoked)(deliver, user, [other], reason, all_sessions=True)
        for socket in sockets:
            await closed_with(socket, reason, code)
        assert await refused(f"/ws/?ticket={unused}")

    run(scenario)
    # A ticket asked for after the change (with a fresh token) works.
    fresh = ticket_for(user, current)

    async def afterwards():
        if reason in ("banned", "deleted"):
            return  # those stay refused by the account's restriction
        socket = await connect(f"/ws/?ticket={fresh}")
        await socket.disconnect()

    run(afterwards)


def test_a_redelivered_event_is_harmless(announce, deliver):
    user = announce()
    session = str(uuid.uuid4())
    from cotask_common.events.testing import make_event

    event = make_event(
        type="auth.session.revoked",
        key=user.id,
        data={
            "user_id": str(user.id),
            "session_ids": [session],
            "reason": "logout",
            "all_sessions": False,
        },
    )
    assert deliver(event) is True
    assert deliver(event) is False
    assert EndedSession.objects.filter(user_id=user.id).count() == 1


def test_the_socket_closes_when_its_token_expires(announce):
    user = announce(language="uk")
    ticket = ticket_for(user, str(uuid.uuid4()), expires_in=1)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert connected
        hello = json.loads(await socket.receive_from(timeout=TIMEOUT))
        assert "expires_at" in hello
        frame = await closed_with(socket, "token_expired", 4401)
        assert frame["message"].startswith("Термін входу минув")

    run(scenario)


def test_a_newer_token_of_the_same_session_keeps_the_socket_open(announce, make_token):
    user = announce()
    session = uuid.uuid4().hex
    ticket = ticket_for(user, session, expires_in=1)
    newer = make_token(user, sid=session, lifetime=timedelta(minutes=5))
    other_session = make_token(user, lifetime=timedelta(minutes=5))
    someone_else = make_token(announce(), sid=session)

    async def scenario():
        socket = await connect(f"/ws/?ticket={ticket}")
        for token in (other_session, someone_else, "forged"):
            await socket.send_to(text_data=json.dumps({"type": "reauth", "token": token}))
            error = json.loads(await socket.receive_from(timeout=TIMEOUT))
            assert (error["type"], error["code"]) == ("error", "reauth_refused")
        await socket.send_to(text_data=json.dumps({"type": "reauth", "token": newer}))
        answer = json.loads(await socket.receive_from(timeout=TIMEOUT))
        assert answer["type"] == "reauthed" and answer["expires_at"]
        assert await socket.receive_nothing(timeout=1.5)  # past the first token's expiry
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
        assert json.loads(await socket.receive_from(timeout=TIMEOUT))["type"] == "pong"
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("deletion_first", [True, False])
def test_a_deleted_account_leaves_no_session_bookkeeping(announce, deliver, deletion_first):
    """`auth.session` and `auth.user` are separate topics: whichever of the deletion's two
    events arrives first, nothing here keeps the deleted account's id."""
    from notifications.inbox.models import SocketCutoff

    user = announce()
    session = str(uuid.uuid4())

    def delete() -> None:
        deliver(type="auth.user.deleted", key=user.id, data={"id": str(user.id)})

    if deletion_first:
        delete()
    revoked(deliver, user, [session], "deleted", all_sessions=True)
    if not deletion_first:
        assert SocketCutoff.objects.filter(user_id=user.id).exists()
        delete()
    assert not EndedSession.objects.filter(user_id=user.id).exists()
    assert not SocketCutoff.objects.filter(user_id=user.id).exists()
