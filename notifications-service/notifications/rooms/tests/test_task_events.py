"""tasks-service's events in notifications: who is told what (`recipient_ids` only), in which
language, once, grouped, by email per preference, live; and what leaving a room or its
deletion takes back. Every event is built from tasks-service's declaration."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core import mail

from cotask_common.events.consumer import autodiscover_handlers
from cotask_common.events.consumer import registry as handlers
from cotask_common.events.testing import example_event
from notifications.inbox import services
from notifications.inbox.models import Notification
from notifications.rooms.models import DeletedRoom, RoomMember, RoomNotification
from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db


def test_the_consumer_subscribes_to_the_tasks_topics() -> None:
    autodiscover_handlers()
    assert {"tasks.room", "tasks.task"} <= set(handlers.topics())
    for type in (
        "tasks.room.joined",
        "tasks.room.left",
        "tasks.room.deleted",
        "tasks.task.assigned",
        "tasks.task.commented",
        "tasks.task.mentioned",
    ):
        assert handlers.handlers_for(type), type


@pytest.mark.parametrize(
    ("type", "actor_key", "data", "text"),
    [
        ("tasks.room.joined", "user_id", {}, "Ann joined Launch team"),
        ("tasks.task.assigned", "actor_id", {}, "Ann assigned you “Ship it” in Launch team"),
        ("tasks.task.commented", "author_id", {"excerpt": "hi"}, "Ann commented on “Ship it”"),
        ("tasks.task.mentioned", "author_id", {"excerpt": "@bo"}, "Ann mentioned you on “Ship it”"),
    ],
)
def test_each_kind_tells_exactly_the_recipients_named(
    announce, tasks_event, type, actor_key, data, text
):
    ann, told, other = announce(username="ann"), announce(), announce()
    event = tasks_event(type, [told], **{actor_key: str(ann.id)}, **data)
    assert texts(told) == [text]
    # Nobody outside `recipient_ids` (the actor, anyone else in the room) hears of it.
    assert texts(ann) == [] and texts(other) == []
    [notification] = Notification.objects.filter(recipient_id=told.id)
    assert notification.actor_id == ann.id
    assert notification.data["room_id"] == event.data["room_id"]
    expected_kind = "room" if type == "tasks.room.joined" else "task"
    assert notification.target_service == "tasks" and notification.target_kind == expected_kind


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            [
                "Ann присоединяется к комнате Launch team",
                "Ann назначает вам задачу «Ship it» в комнате Launch team",
                "Ann комментирует задачу «Ship it»",
                "Ann упоминает вас в задаче «Ship it»",
            ],
        ),
        (
            "uk",
            [
                "Ann приєднується до кімнати Launch team",
                "Ann призначає вам завдання «Ship it» у кімнаті Launch team",
                "Ann коментує завдання «Ship it»",
                "Ann згадує вас у завданні «Ship it»",
            ],
        ),
    ],
)
def test_the_texts_are_in_the_recipients_language(announce, tasks_event, language, expected):
    ann, owner = announce(username="ann"), announce(language=language)
    tasks_event("tasks.room.joined", [owner], user_id=str(ann.id))
    tasks_event("tasks.task.assigned", [owner], actor_id=str(ann.id))
    tasks_event("tasks.task.commented", [owner], author_id=str(ann.id))
    tasks_event("tasks.task.mentioned", [owner], author_id=str(ann.id))
    assert texts(owner) == expected


def test_joins_are_grouped_per_room_and_comments_per_task(announce, tasks_event):
    owner = announce()
    tasks_event("tasks.room.joined", [owner], user_id=str(announce(username="ann").id))
    tasks_event("tasks.room.joined", [owner], user_id=str(announce(username="bob").id))
    task = str(uuid.uuid4())
    for name in ("cat", "dan", "eve"):
        tasks_event(
            "tasks.task.commented", [owner], task_id=task, author_id=str(announce(username=name).id)
        )
    assert texts(owner) == [
        "Bob and 1 other joined Launch team",
        "Eve and 2 others commented on “Ship it”",
    ]
    # Every grouped row is linked to its room once.
    assert RoomNotification.objects.filter(recipient_id=owner.id).count() == 2


def test_a_redelivered_event_tells_once(announce, tasks_event, deliver):
    ann, told = announce(username="ann"), announce()
    event = tasks_event("tasks.task.assigned", [told], actor_id=str(ann.id))
    assert deliver(event) is False
    # Past the consumer's processed-event table too: (event, recipient) is delivered once.
    Notification.objects.all().delete()
    from cotask_common.events.consumer import registry

    for handler in registry.handlers_for(event.type):
        handler(event)
    assert texts(told) == []


def test_a_joiner_listed_by_mistake_is_not_told_of_their_own_join(announce, tasks_event):
    ann = announce(username="ann")
    tasks_event("tasks.room.joined", [ann], user_id=str(ann.id))
    assert texts(ann) == []


def test_emails_follow_the_preferences(announce, tasks_event, django_capture_on_commit_callbacks):
    ann, told = announce(username="ann"), announce(language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        tasks_event("tasks.task.assigned", [told], actor_id=str(ann.id))
        tasks_event("tasks.room.joined", [told], user_id=str(ann.id))  # not emailed by default
    [message] = mail.outbox
    assert message.to == [f"{told.username}@example.com"]
    assert message.subject == "Ann назначает вам задачу «Ship it» в комнате Launch team"
    assert "unsubscribe?lang=ru&token=" in message.body
    assert "Ann назначает вам задачу «Ship it»" in message.alternatives[0][0]
    mail.outbox.clear()
    services.update_preferences(
        user_id=told.id,
        types={"task_assigned": {"email": False}, "room_joined": {"email": True}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks_event("tasks.task.assigned", [told], actor_id=str(ann.id))
        tasks_event("tasks.room.joined", [told], user_id=str(announce(username="bob").id))
    assert [m.subject for m in mail.outbox] == [
        "Bob и ещё 1 пользователь присоединились к комнате Launch team"
    ]
    # in-app off: not in the inbox (kept only to be emailed; email is off too: not kept at all)
    services.update_preferences(
        user_id=told.id, types={"task_mentioned": {"in_app": False, "email": False}}
    )
    tasks_event("tasks.task.mentioned", [told], author_id=str(ann.id))
    assert not Notification.objects.filter(recipient_id=told.id, type="task_mentioned").exists()


def test_leaving_takes_back_what_they_were_told_about_the_room_only(
    announce, tasks_event, deliver, django_capture_on_commit_callbacks
):
    ann, member = announce(username="ann"), announce()
    tasks_event("tasks.task.assigned", [member], actor_id=str(ann.id))
    tasks_event("tasks.task.mentioned", [member], author_id=str(ann.id))
    elsewhere = example_event(
        "tasks.task.assigned",
        room_name="Other",
        title="Keep",
        actor_id=str(ann.id),
        recipient_ids=[str(member.id)],
    )
    deliver(elsewhere)
    assert len(texts(member)) == 3
    tasks_event("tasks.room.left", [], user_id=str(member.id), reason="left")
    assert texts(member) == ["Ann assigned you “Keep” in Other"]


@pytest.mark.parametrize("reason", ["left", "removed"])
def test_nothing_reaches_an_ex_member_even_an_event_made_before_they_left(
    announce, tasks_event, reason
):
    """`tasks.task` and `tasks.room` are different topics: a comment made while they were a
    member may be handled after their leave; it tells them nothing."""
    ann, member = announce(username="ann"), announce()
    tasks_event("tasks.room.left", [], user_id=str(member.id), reason=reason)
    tasks_event("tasks.task.commented", [member], author_id=str(ann.id), ago=5)
    tasks_event("tasks.task.assigned", [member], actor_id=str(ann.id), ago=5)
    tasks_event("tasks.room.joined", [member], user_id=str(ann.id), ago=5)  # as an admin
    assert texts(member) == []
    # Back in the room (a newer join): told again, of what happens after it.
    tasks_event("tasks.room.joined", [], user_id=str(member.id))
    tasks_event("tasks.task.assigned", [member], actor_id=str(ann.id))
    assert texts(member) == ["Ann assigned you “Ship it” in Launch team"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "You were removed from Launch team"),
        ("ru", "Вас удалили из комнаты Launch team"),
        ("uk", "Вас видалили з кімнати Launch team"),
    ],
)
def test_a_removed_member_is_told_without_naming_who(announce, tasks_event, language, text):
    admin, member = announce(username="ann"), announce(language=language)
    tasks_event("tasks.task.assigned", [member], actor_id=str(admin.id))
    tasks_event(
        "tasks.room.left",
        [member],
        user_id=str(member.id),
        reason="removed",
        actor_id=str(admin.id),
    )
    assert texts(member) == [text]  # the assignment went; the removal stays
    [notice] = Notification.objects.filter(recipient_id=member.id)
    assert notice.actor_id is None and notice.type == "room_removed"
    # Only when `recipient_ids` names them, and not for leaving of one's own accord.
    other = announce()
    tasks_event("tasks.room.left", [], user_id=str(other.id), reason="removed")
    tasks_event("tasks.room.left", [], user_id=str(other.id), reason="left")
    assert texts(other) == []


def test_no_removal_notice_after_a_newer_join_or_of_a_deleted_room(announce, tasks_event):
    member = announce()
    tasks_event("tasks.room.joined", [], user_id=str(member.id))
    tasks_event("tasks.room.left", [member], user_id=str(member.id), reason="removed", ago=10)
    tasks_event("tasks.room.deleted", None, actor_id=str(uuid.uuid4()))
    tasks_event("tasks.room.left", [member], user_id=str(member.id), reason="removed")
    assert texts(member) == []


def test_a_late_older_leave_does_not_undo_a_newer_join(announce, tasks_event, room):
    ann, member = announce(username="ann"), announce()
    tasks_event("tasks.room.joined", [], user_id=str(member.id))
    tasks_event("tasks.room.left", [], user_id=str(member.id), reason="left", ago=10)
    assert RoomMember.objects.get(room_id=room, user_id=member.id).active is True
    tasks_event("tasks.task.assigned", [member], actor_id=str(ann.id))
    assert len(texts(member)) == 1


def test_a_deleted_room_leaves_every_inbox_and_tells_nobody_more(announce, tasks_event, room):
    ann, owner, member = announce(username="ann"), announce(), announce()
    tasks_event("tasks.room.joined", [owner], user_id=str(member.id))
    tasks_event("tasks.task.assigned", [member], actor_id=str(ann.id))
    tasks_event("tasks.room.deleted", None, actor_id=str(owner.id))
    assert texts(owner) == [] and texts(member) == []
    assert DeletedRoom.objects.filter(room_id=room).exists()
    assert not RoomMember.objects.filter(room_id=room).exists()
    tasks_event("tasks.task.commented", [member], author_id=str(ann.id), ago=1)
    assert texts(member) == []


def test_an_account_deletion_leaves_no_row_naming_it(announce, tasks_event, deliver, room):
    member, ann = announce(), announce(username="ann")
    tasks_event("tasks.room.joined", [], user_id=str(member.id))
    tasks_event("tasks.task.assigned", [member], actor_id=str(ann.id))
    deliver(type="auth.user.deleted", key=member.id, data={"id": str(member.id)})
    # The room's `left` (reason account_deleted) may come after the deletion: it names nobody.
    tasks_event("tasks.room.left", [], user_id=str(member.id), reason="account_deleted")
    assert not RoomMember.objects.filter(user_id=member.id).exists()
    assert not RoomNotification.objects.filter(recipient_id=member.id).exists()


def test_the_preferences_list_the_task_kinds(client_for, announce):
    person = announce()
    kinds = {
        t["type"] for t in client_for(person).get("/api/notifications/preferences/").json()["types"]
    }
    assert {
        "room_joined",
        "room_removed",
        "task_assigned",
        "task_commented",
        "task_mentioned",
    } <= kinds


@pytest.mark.django_db(transaction=True)
def test_the_assignee_gets_it_live_and_loses_it_live_on_leaving(announce, tasks_event):
    from config.asgi import application

    ann, member = announce(username="ann"), announce()
    ticket, _ = services.issue_ws_ticket(user_id=member.id, username=member.username, role="user")

    async def receive(socket):
        return json.loads(await socket.receive_from(timeout=5))

    async def scenario():
        from channels.db import database_sync_to_async

        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert (await receive(socket))["type"] == "hello"
        await database_sync_to_async(tasks_event)(
            "tasks.task.assigned", [member], actor_id=str(ann.id)
        )
        frame = await receive(socket)
        assert frame["type"] == "notification"
        assert frame["notification"]["type"] == "task_assigned"
        assert frame["notification"]["text"] == "Ann assigned you “Ship it” in Launch team"
        await database_sync_to_async(tasks_event)(
            "tasks.room.left", [], user_id=str(member.id), reason="removed"
        )
        gone = await receive(socket)
        assert gone["type"] == "deleted" and gone["ids"] == [frame["notification"]["id"]]
        await socket.disconnect()

    async_to_sync(scenario)()
