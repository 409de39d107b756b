"""tasks-service's `tasks.agenda.changed`: a live frame on the person's sockets only, stored
nowhere."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from cotask_common.events.testing import example_event
from notifications.inbox import services
from notifications.inbox.models import Notification


@pytest.mark.django_db(transaction=True)
def test_an_agenda_change_reaches_only_its_persons_socket(announce, deliver) -> None:
    from config.asgi import application

    owner, other = announce(), announce()
    tickets = [
        services.issue_ws_ticket(user_id=p.id, username=p.username, role="user")[0]
        for p in (owner, other)
    ]

    async def receive(socket):
        return json.loads(await socket.receive_from(timeout=5))

    async def scenario():
        from channels.db import database_sync_to_async

        sockets = []
        for ticket in tickets:
            socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
            connected, _ = await socket.connect(timeout=5)
            assert connected
            assert (await receive(socket))["type"] == "hello"
            sockets.append(socket)
        await database_sync_to_async(deliver)(
            example_event(
                "tasks.agenda.changed",
                owner_id=str(owner.id),
                days=["2026-03-02"],
                reason="checkin",
            )
        )
        frame = await receive(sockets[0])
        assert frame == {
            "type": "agenda.changed",
            "cursor": 0,
            "days": ["2026-03-02"],
            "reason": "checkin",
        }
        assert await sockets[1].receive_nothing(timeout=0.5)
        for socket in sockets:
            await socket.disconnect()

    async_to_sync(scenario)()
    assert not Notification.objects.filter(recipient_id=owner.id).exists()
