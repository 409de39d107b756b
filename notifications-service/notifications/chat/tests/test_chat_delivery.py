"""social-service's chat events on members' sockets: frames in the cursor sequence (live, on
every device, and replayed to a reconnecting client exactly once), typing from members only, and
the offline notification grouped per conversation.

Real transactions (on-commit pushes as in production), the channel layer the settings pick
(channels-redis when REDIS_URL is set)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from cotask_common.events.testing import example_event
from cotask_common.ids import uuid7
from notifications.chat.models import ChatFrame
from notifications.inbox import services, tasks
from notifications.inbox.models import EmailState, Notification

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def ticket_for(user: Any) -> str:
    ticket, _ = services.issue_ws_ticket(user_id=user.id, username=user.username, role="user")
    return ticket


aticket = database_sync_to_async(ticket_for)


async def connect(path: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected, path
    return socket


async def receive(socket: WebsocketCommunicator) -> dict:
    return json.loads(await socket.receive_from(timeout=TIMEOUT))


def chat_event(deliver: Any, type: str, conversation: str, members: list[Any], **data: Any) -> Any:
    data = {
        "conversation_id": conversation,
        "kind": "direct",
        "member_ids": [str(m.id) for m in members],
        "recipient_ids": [],
        **data,
    }
    event = example_event(f"social.chat.{type}", **data)
    event = type_key(event, conversation)
    assert deliver(event)
    return event


def type_key(event: Any, conversation: str) -> Any:
    import dataclasses

    return dataclasses.replace(event, key=conversation)


def message(
    deliver: Any, conversation: str, members: list[Any], author: Any, text: str, **kw: Any
) -> Any:
    return chat_event(
        deliver,
        "message_created",
        conversation,
        members,
        author_id=str(author.id),
        author_name=author.username,
        text=text,
        reply_to_id=None,
        attachment_ids=[],
        mention_ids=[],
        conversation_name="",
        message_id=str(uuid7()),  # as social's: they sort by time
        **kw,
    )


def joined(
    deliver: Any, conversation: str, members: list[Any], removed: tuple[Any, ...] | list[Any] = ()
) -> Any:
    return chat_event(
        deliver,
        "members_changed",
        conversation,
        members,
        change="created",
        removed_ids=[str(m.id) for m in removed],
        name="",
        actor_id=None,
    )


def test_frames_reach_every_device_and_a_reconnect_gets_exactly_what_it_missed(
    announce: Any, deliver: Any
) -> None:
    ada, bob = announce(username="ada"), announce(username="bob")
    conversation = str(uuid.uuid4())
    joined(deliver, conversation, [ada, bob])

    async def scenario() -> None:
        phone = await connect(f"/ws/?ticket={await aticket(bob)}")
        laptop = await connect(f"/ws/?ticket={await aticket(bob)}")
        hello = await receive(phone)
        await receive(laptop)
        start = hello["cursor"]
        await database_sync_to_async(message)(deliver, conversation, [ada, bob], ada, "hi bob")
        for socket in (phone, laptop):
            frame = await receive(socket)
            assert frame["type"] == "chat" and frame["event"] == "message_created"
            assert frame["data"]["text"] == "hi bob" and frame["cursor"] == start + 1
            assert "member_ids" not in frame["data"]
        await laptop.disconnect()
        # while the laptop is away: two messages, an edit and a read receipt
        for text in ("one", "two"):
            await database_sync_to_async(message)(deliver, conversation, [ada, bob], ada, text)
        await database_sync_to_async(chat_event)(
            deliver,
            "read",
            conversation,
            [ada, bob],
            user_id=str(ada.id),
            message_id=str(uuid.uuid4()),
        )
        seen = [await receive(phone) for _ in range(3)]
        assert [f["event"] for f in seen] == ["message_created", "message_created", "read"]
        await phone.disconnect()

        back = await connect(f"/ws/?ticket={await aticket(bob)}&cursor={start + 1}")
        hello = await receive(back)
        replayed = [await receive(back) for _ in range(3)]
        assert [f["cursor"] for f in replayed] == [start + 2, start + 3, start + 4]
        assert [f["data"].get("text") for f in replayed] == ["one", "two", None]
        assert await back.receive_nothing(timeout=0.3)  # nothing twice
        await back.disconnect()

    async_to_sync(scenario)()


def test_a_redelivered_event_frames_nothing_twice(announce: Any, deliver: Any) -> None:
    ada, bob = announce(), announce()
    conversation = str(uuid.uuid4())
    event = message(deliver, conversation, [ada, bob], ada, "once")
    from cotask_common.events.testing import handle_event
    from notifications.chat.events import on_message

    handle_event(event)  # the consumer skips it
    on_message(event)  # and the handler itself, run again by hand, frames nothing new
    assert ChatFrame.objects.filter(event_id=event.id).count() == 2


def test_removed_members_get_the_change_then_nothing(announce: Any, deliver: Any) -> None:
    ada, bob, cat = announce(), announce(), announce()
    conversation = str(uuid.uuid4())
    joined(deliver, conversation, [ada, bob, cat])
    joined(deliver, conversation, [ada, bob], removed=[cat])
    message(deliver, conversation, [ada, bob], ada, "after cat")
    events = list(
        ChatFrame.objects.filter(recipient_id=cat.id)
        .order_by("sequence")
        .values_list("event", "payload__removed_ids")
    )
    assert events == [("members_changed", []), ("members_changed", [str(cat.id)])]


def test_typing_is_relayed_to_members_only_and_never_stored(announce: Any, deliver: Any) -> None:
    ada, bob, eve = announce(), announce(), announce()
    conversation = str(uuid.uuid4())
    joined(deliver, conversation, [ada, bob])
    frames_before = ChatFrame.objects.count()

    async def scenario() -> None:
        sockets = {}
        for name, user in (("ada", ada), ("bob", bob), ("eve", eve)):
            sockets[name] = await connect(f"/ws/?ticket={await aticket(user)}")
            await receive(sockets[name])
        await sockets["ada"].send_to(
            text_data=json.dumps({"type": "typing", "conversation_id": conversation})
        )
        frame = await receive(sockets["bob"])
        assert frame["type"] == "typing" and frame["user_id"] == str(ada.id)
        assert frame["conversation_id"] == conversation
        assert await sockets["ada"].receive_nothing(timeout=0.2)  # not echoed
        # a second one at once is dropped (rate), silently
        await sockets["ada"].send_to(
            text_data=json.dumps({"type": "typing", "conversation_id": conversation})
        )
        assert await sockets["bob"].receive_nothing(timeout=0.3)
        # a stranger: the same error as for a conversation that does not exist
        for target in (conversation, str(uuid.uuid4())):
            await sockets["eve"].send_to(
                text_data=json.dumps({"type": "typing", "conversation_id": target})
            )
            error = await receive(sockets["eve"])
            assert error["code"] == "not_found" and error["field"] == "conversation_id"
        assert await sockets["bob"].receive_nothing(timeout=0.3)
        for socket in sockets.values():
            await socket.disconnect()

    async_to_sync(scenario)()
    assert ChatFrame.objects.count() == frames_before


def test_offline_members_get_one_grouped_notification_online_ones_none(
    announce: Any, deliver: Any
) -> None:
    ada, bob, cat, dan = announce(), announce(), announce(), announce()
    conversation = str(uuid.uuid4())
    members = [ada, bob, cat, dan]
    joined(deliver, conversation, members)
    recipients = [str(bob.id), str(dan.id)]  # cat muted it: social leaves her out

    async def scenario() -> None:
        dan_socket = await connect(f"/ws/?ticket={await aticket(dan)}")
        await receive(dan_socket)
        for text in ("one", "two", "three"):
            await database_sync_to_async(message)(
                deliver, conversation, members, ada, text, **{"recipient_ids": recipients}
            )
        await dan_socket.disconnect()

    async_to_sync(scenario)()
    bob_rows = list(Notification.objects.filter(recipient_id=bob.id, type="chat_message"))
    assert len(bob_rows) == 1
    assert bob_rows[0].target_id == conversation
    assert bob_rows[0].text == f"New message from {ada.username}"
    assert not Notification.objects.filter(recipient_id=cat.id, type="chat_message").exists()
    assert not Notification.objects.filter(recipient_id=dan.id, type="chat_message").exists()
    assert not Notification.objects.filter(recipient_id=ada.id, type="chat_message").exists()


def test_a_deleted_account_leaves_no_frame_quoting_it(announce: Any, deliver: Any) -> None:
    ada, bob = announce(), announce()
    conversation = str(uuid.uuid4())
    joined(deliver, conversation, [ada, bob])
    message(deliver, conversation, [ada, bob], ada, "ada's words")
    message(deliver, conversation, [ada, bob], bob, "bob's words")
    deliver(type="auth.user.deleted", key=ada.id, data={})
    texts = list(ChatFrame.objects.values_list("payload__text", flat=True))
    assert "ada's words" not in texts and "bob's words" in texts
    assert not ChatFrame.objects.filter(recipient_id=ada.id).exists()


def test_one_group_message_gives_each_member_their_own_cursor_and_outsiders_nothing(
    announce: Any, deliver: Any
) -> None:
    """The frame travels as one layer message for every member (push.send_to_users); each
    socket takes its person's cursor from it, and a socket of someone not in it sees nothing."""
    ada, bob, cat, eve = announce(), announce(), announce(), announce()
    conversation, other = str(uuid.uuid4()), str(uuid.uuid4())
    joined(deliver, other, [bob, eve])  # bob's and eve's sequences are now ahead of ada's

    async def scenario() -> None:
        sockets = {}
        for person in (ada, bob, cat, eve):
            sockets[person.id] = await connect(f"/ws/?ticket={await aticket(person)}")
        starts = {key: (await receive(socket))["cursor"] for key, socket in sockets.items()}
        assert starts[ada.id] != starts[bob.id]
        await database_sync_to_async(message)(deliver, conversation, [ada, bob, cat], ada, "all")
        for person in (ada, bob, cat):
            frame = await receive(sockets[person.id])
            assert frame["data"]["text"] == "all"
            assert frame["cursor"] == starts[person.id] + 1
        assert await sockets[eve.id].receive_nothing(timeout=0.5)
        for socket in sockets.values():
            await socket.disconnect()

    async_to_sync(scenario)()


def _waited(person: Any, minutes: int) -> None:
    """As if the person's chat notifications had waited `minutes` since their first message."""
    Notification.objects.filter(recipient_id=person.id, type="chat_message").update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def _read(deliver: Any, conversation: str, reader: Any, up_to: Any) -> None:
    """social-service's read event: `reader` read `conversation` up to the message `up_to`."""
    chat_event(
        deliver,
        "read",
        conversation,
        [reader],
        user_id=str(reader.id),
        message_id=up_to.data["message_id"],
    )


def test_unread_messages_are_emailed_once_after_the_persons_delay(
    announce: Any, deliver: Any, mailoutbox: Any
) -> None:
    ada, bob = announce(), announce(language="uk")
    services.update_preferences(user_id=bob.id, chat_email_delay_minutes=15)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for conversation in (first, second):
        joined(deliver, conversation, [ada, bob])
        for text in ("one", "two"):
            message(deliver, conversation, [ada, bob], ada, text, recipient_ids=[str(bob.id)])
    assert tasks.send_unread_emails() == 0  # not unread for 15 minutes yet
    _waited(bob, 14)
    assert tasks.send_unread_emails() == 0 and mailoutbox == []
    _waited(bob, 16)
    assert tasks.send_unread_emails() == 1
    [email] = mailoutbox
    assert email.to == [f"{bob.username}@example.com"]
    assert email.subject == "Непрочитані повідомлення CoTask у розмовах: 2"
    assert email.body.count(ada.username) == 2  # one line per conversation
    # Once: more messages in the still unread conversation, and later passes, email nothing.
    message(deliver, first, [ada, bob], ada, "three", recipient_ids=[str(bob.id)])
    _waited(bob, 60)
    assert tasks.send_unread_emails() == 0 and len(mailoutbox) == 1
    assert not Notification.objects.filter(email_state=EmailState.WAITING).exists()


def test_a_conversation_read_before_the_delay_is_never_emailed(
    announce: Any, deliver: Any, mailoutbox: Any
) -> None:
    ada, bob, cat = announce(), announce(), announce()
    services.update_preferences(user_id=cat.id, types={"chat_message": {"email": False}})
    conversation = str(uuid.uuid4())
    members = [ada, bob, cat]
    joined(deliver, conversation, members)
    offline = {"recipient_ids": [str(bob.id), str(cat.id)]}
    one = message(deliver, conversation, members, ada, "one", **offline)
    two = message(deliver, conversation, members, ada, "two", **offline)
    [waiting] = Notification.objects.filter(recipient_id=bob.id, type="chat_message")
    # Read up to the first message only: the second is still unread.
    _read(deliver, conversation, bob, one)
    waiting.refresh_from_db()
    assert waiting.read_at is None and waiting.email_state == EmailState.WAITING
    # Read up to the newest: the notification is read, and no email will tell of it.
    _read(deliver, conversation, bob, two)
    waiting.refresh_from_db()
    assert waiting.read_at is not None and waiting.email_state == EmailState.NONE
    # Cat switched the email off: her notification never waited for one.
    cats = Notification.objects.get(recipient_id=cat.id, type="chat_message")
    assert cats.read_at is None and cats.email_state == EmailState.NONE
    _waited(bob, 24 * 60)
    _waited(cat, 24 * 60)
    assert tasks.send_unread_emails() == 0 and mailoutbox == []


def test_switching_the_email_off_while_waiting_stops_it(
    announce: Any, deliver: Any, mailoutbox: Any
) -> None:
    ada, bob = announce(), announce()
    conversation = str(uuid.uuid4())
    joined(deliver, conversation, [ada, bob])
    message(deliver, conversation, [ada, bob], ada, "one", recipient_ids=[str(bob.id)])
    assert Notification.objects.get(recipient_id=bob.id).email_state == EmailState.WAITING
    services.update_preferences(user_id=bob.id, types={"chat_message": {"email": False}})
    _waited(bob, 24 * 60)
    assert tasks.send_unread_emails() == 0 and mailoutbox == []
    assert Notification.objects.get(recipient_id=bob.id).email_state == EmailState.NONE


def test_who_left_gets_no_email_of_what_waited(
    announce: Any, deliver: Any, mailoutbox: Any
) -> None:
    ada, bob, cat = announce(), announce(), announce()
    conversation = str(uuid.uuid4())
    joined(deliver, conversation, [ada, bob, cat])
    offline = {"recipient_ids": [str(bob.id), str(cat.id)]}
    message(deliver, conversation, [ada, bob, cat], ada, "one", **offline)
    joined(deliver, conversation, [ada, cat], removed=[bob])
    waiting = Notification.objects.get(recipient_id=bob.id)
    assert waiting.read_at is not None and waiting.email_state == EmailState.NONE
    _waited(bob, 24 * 60)
    _waited(cat, 24 * 60)
    assert tasks.send_unread_emails() == 1  # cat's only
    assert [email.to for email in mailoutbox] == [[f"{cat.username}@example.com"]]
