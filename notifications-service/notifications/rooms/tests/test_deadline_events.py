"""tasks-service's reminder pass in notifications: `tasks.reminder.due` becomes `task_reminder`
and `tasks.task.overdue` becomes `task_overdue`: told to `recipient_ids` only, once per
reminder instant and per deadline (even when a producer sends a duplicate), in the recipient's
language with each language's plurals, by email per preference, live; never to a deleted or
banned account, an ex-member, or about a deleted room. Every event is built from tasks-service's
declaration."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core import mail

from cotask_common.events.consumer import autodiscover_handlers
from cotask_common.events.consumer import registry as handlers
from notifications.inbox import services
from notifications.inbox.models import Notification
from notifications.rooms.models import RoomNotification
from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def task() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def reminder(tasks_event, task):
    """`reminder(person, minutes=60, **data)`: the reminder pass's `tasks.reminder.due` for a
    deadline at `DUE` (or `due_date`), `minutes` before it, delivered and returned."""

    def run(person, *, minutes: int = 60, reminder_id: str | None = None, **data):
        fields = {
            "task_id": task,
            "reminder_id": reminder_id or str(uuid.uuid4()),
            "remind_at": (DUE - timedelta(minutes=minutes)).isoformat(),
            "minutes_before": minutes,
            "due_at": DUE.isoformat(),
            "due_date": None,
            **data,
        }
        return tasks_event("tasks.reminder.due", [person], **fields)

    return run


@pytest.fixture
def overdue(tasks_event, task):
    def run(people, **data):
        fields = {"task_id": task, "due_at": DUE.isoformat(), "due_date": None, **data}
        return tasks_event("tasks.task.overdue", people, **fields)

    return run


def test_the_consumer_subscribes_to_the_deadline_events() -> None:
    autodiscover_handlers()
    assert {"tasks.reminder", "tasks.task"} <= set(handlers.topics())
    assert handlers.handlers_for("tasks.reminder.due")
    assert handlers.handlers_for("tasks.task.overdue")


def test_each_kind_tells_exactly_the_recipients_named_once(
    announce, reminder, overdue, deliver, task
) -> None:
    person, other, creator = announce(), announce(), announce()
    event = reminder(person, minutes=60)
    assert deliver(event) is False  # redelivered: nothing more
    assert texts(person) == ["Reminder: “Ship it” is due in 1 hour"]
    assert texts(other) == [] and texts(creator) == []
    [notice] = Notification.objects.filter(recipient_id=person.id)
    assert (notice.type, notice.target_service, notice.target_kind, notice.target_id) == (
        "task_reminder",
        "tasks",
        "task",
        task,
    )
    assert notice.actor_id is None
    assert notice.data["reminder_id"] == event.data["reminder_id"]
    assert notice.data["due_at"] == DUE.isoformat()
    assert RoomNotification.objects.filter(recipient_id=person.id).count() == 1

    overdue([person, other])
    overdue([person, other])  # the pass's duplicate (another event id): told once
    assert texts(person) == ["Reminder: “Ship it” is due in 1 hour", "“Ship it” is overdue"]
    assert texts(other) == ["“Ship it” is overdue"]
    assert texts(creator) == []


def test_a_duplicate_reminder_tells_once_and_a_snoozed_one_again(announce, reminder) -> None:
    person = announce()
    reminder_id = str(uuid.uuid4())
    reminder(person, minutes=30, reminder_id=reminder_id)
    reminder(person, minutes=30, reminder_id=reminder_id)  # another event, the same instant
    assert texts(person) == ["Reminder: “Ship it” is due in 30 minutes"]
    # Snoozed for 10 minutes: the same reminder fires again, 20 minutes before the deadline.
    reminder(
        person,
        minutes=30,
        reminder_id=reminder_id,
        remind_at=(DUE - timedelta(minutes=20)).isoformat(),
    )
    assert texts(person) == [
        "Reminder: “Ship it” is due in 30 minutes",
        "Reminder: “Ship it” is due in 20 minutes",
    ]


def test_a_new_deadline_can_be_overdue_again(announce, overdue) -> None:
    person = announce()
    overdue([person])
    overdue([person], due_at=(DUE + timedelta(days=2)).isoformat())
    overdue([person], due_at=None, due_date="2026-12-10")
    overdue([person], due_at=None, due_date="2026-12-10")
    assert texts(person) == ["“Ship it” is overdue"] * 3


@pytest.mark.parametrize(
    ("language", "minutes", "text"),
    [
        ("en", 0, "Reminder: “Ship it” is due now"),
        ("en", 1, "Reminder: “Ship it” is due in 1 minute"),
        ("en", 90, "Reminder: “Ship it” is due in 90 minutes"),
        ("en", 120, "Reminder: “Ship it” is due in 2 hours"),
        ("en", 1440, "Reminder: “Ship it” is due in 1 day"),
        ("ru", 0, "Напоминание: срок задачи «Ship it» — сейчас"),
        ("ru", 1, "Напоминание: срок задачи «Ship it» — через 1 минуту"),
        ("ru", 2, "Напоминание: срок задачи «Ship it» — через 2 минуты"),
        ("ru", 5, "Напоминание: срок задачи «Ship it» — через 5 минут"),
        ("ru", 21, "Напоминание: срок задачи «Ship it» — через 21 минуту"),
        ("ru", 60, "Напоминание: срок задачи «Ship it» — через 1 час"),
        ("ru", 180, "Напоминание: срок задачи «Ship it» — через 3 часа"),
        ("ru", 300, "Напоминание: срок задачи «Ship it» — через 5 часов"),
        ("ru", 2880, "Напоминание: срок задачи «Ship it» — через 2 дня"),
        ("uk", 0, "Нагадування: термін завдання «Ship it» — зараз"),
        ("uk", 1, "Нагадування: термін завдання «Ship it» — через 1 хвилину"),
        ("uk", 3, "Нагадування: термін завдання «Ship it» — через 3 хвилини"),
        ("uk", 11, "Нагадування: термін завдання «Ship it» — через 11 хвилин"),
        ("uk", 60, "Нагадування: термін завдання «Ship it» — через 1 годину"),
        ("uk", 120, "Нагадування: термін завдання «Ship it» — через 2 години"),
        ("uk", 7200, "Нагадування: термін завдання «Ship it» — через 5 днів"),
    ],
)
def test_a_reminder_says_what_is_left_in_the_recipients_language(
    announce, reminder, language, minutes, text
) -> None:
    person = announce(language=language)
    reminder(person, minutes=minutes)
    assert texts(person) == [text]


@pytest.mark.parametrize(
    ("language", "zone", "remind_at", "text"),
    [
        # 09:00 in Kyiv on the 9th is 07:00 UTC: the deadline on the 10th is tomorrow there.
        ("en", "Europe/Kyiv", "2026-12-09T07:00:00+00:00", "Reminder: “Ship it” is due tomorrow"),
        # 21:00 in New York on the 9th is 02:00 UTC on the 10th: still tomorrow in New York.
        (
            "en",
            "America/New_York",
            "2026-12-10T02:00:00+00:00",
            "Reminder: “Ship it” is due tomorrow",
        ),
        ("en", "UTC", "2026-12-10T09:00:00+00:00", "Reminder: “Ship it” is due today"),
        (
            "ru",
            "Europe/Kyiv",
            "2026-12-09T07:00:00+00:00",
            "Напоминание: срок задачи «Ship it» — завтра",
        ),
        ("ru", "UTC", "2026-12-10T09:00:00+00:00", "Напоминание: срок задачи «Ship it» — сегодня"),
        (
            "uk",
            "UTC",
            "2026-12-07T09:00:00+00:00",
            "Нагадування: термін завдання «Ship it» — через 3 дні",
        ),
        (
            "uk",
            "UTC",
            "2026-12-10T09:00:00+00:00",
            "Нагадування: термін завдання «Ship it» — сьогодні",
        ),
    ],
)
def test_an_all_day_deadline_counts_days_in_the_persons_zone(
    announce, reminder, language, zone, remind_at, text
) -> None:
    person = announce(language=language, time_zone=zone)
    reminder(person, minutes=1440, due_at=None, due_date="2026-12-10", remind_at=remind_at)
    assert texts(person) == [text]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "“Ship it” is overdue"),
        ("ru", "Задача «Ship it» просрочена"),
        ("uk", "Завдання «Ship it» прострочене"),
    ],
)
def test_overdue_is_told_in_the_recipients_language(announce, overdue, language, text) -> None:
    person = announce(language=language)
    overdue([person])
    assert texts(person) == [text]


def test_emails_follow_the_preferences(
    announce, reminder, overdue, django_capture_on_commit_callbacks
) -> None:
    person = announce(language="uk")
    with django_capture_on_commit_callbacks(execute=True):
        reminder(person, minutes=60)
        overdue([person])
    assert [m.subject for m in mail.outbox] == [
        "Нагадування: термін завдання «Ship it» — через 1 годину",
        "Завдання «Ship it» прострочене",
    ]
    assert all(m.to == [f"{person.username}@example.com"] for m in mail.outbox)
    assert "unsubscribe?lang=uk&token=" in mail.outbox[0].body
    mail.outbox.clear()
    services.update_preferences(
        user_id=person.id,
        types={"task_reminder": {"email": False}, "task_overdue": {"email": False}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminder(person, minutes=30)
        overdue([person], due_at=(DUE + timedelta(days=1)).isoformat())
    assert mail.outbox == []
    assert len(texts(person)) == 4  # still in the inbox
    # In-app off too: not kept at all.
    services.update_preferences(
        user_id=person.id, types={"task_reminder": {"in_app": False, "email": False}}
    )
    reminder(person, minutes=10)
    assert Notification.objects.filter(recipient_id=person.id, type="task_reminder").count() == 2


def test_a_deleted_or_banned_account_hears_nothing(
    announce, reminder, overdue, deliver, django_capture_on_commit_callbacks
) -> None:
    deleted, banned, lifted, fine = announce(), announce(), announce(), announce()
    deliver(type="auth.user.deleted", key=deleted.id, data={"id": str(deleted.id)})
    deliver(type="auth.user.banned", key=banned.id, data={"until": None, "reason": "spam"})
    # A ban whose end has passed (before `auth.user.unbanned` arrives) is over.
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    deliver(type="auth.user.banned", key=lifted.id, data={"until": past, "reason": "spam"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for person in (deleted, banned, lifted, fine):
            reminder(person, minutes=60)
        overdue([deleted, banned, lifted, fine])
    assert not Notification.objects.filter(
        recipient_id__in=[deleted.id, banned.id], type__in=["task_reminder", "task_overdue"]
    ).exists()
    assert (
        Notification.objects.filter(
            recipient_id__in=[lifted.id, fine.id], type__in=["task_reminder", "task_overdue"]
        ).count()
        == 4
    )
    told = sorted(address for m in mail.outbox for address in m.to)
    assert told == sorted([f"{lifted.username}@example.com", f"{fine.username}@example.com"] * 2)


def test_an_ex_member_or_a_deleted_room_hears_nothing(announce, reminder, overdue, tasks_event):
    """The pass's event made before the leave (another topic: handled after it) tells them
    nothing; nor does anything about a deleted room, and what it told goes with the room."""
    gone, stays = announce(), announce()
    tasks_event("tasks.room.left", [], user_id=str(gone.id), reason="left")
    reminder(gone, minutes=60, ago=5)
    overdue([gone, stays], ago=5)
    assert texts(gone) == [] and texts(stays) == ["“Ship it” is overdue"]
    tasks_event("tasks.room.deleted", None, actor_id=str(uuid.uuid4()))
    assert texts(stays) == []  # taken back with the room
    reminder(stays, minutes=30)
    assert texts(stays) == []


def test_a_bad_event_tells_nobody(announce, deliver, tasks_event) -> None:
    person = announce()
    deliver(
        type="tasks.reminder.due",
        key="x",
        data={"recipient_ids": [str(person.id)], "title": "Ship it", "room_id": "nope"},
    )
    deliver(
        type="tasks.reminder.due",
        key=str(uuid.uuid4()),
        data={"recipient_ids": [str(person.id)], "room_id": str(uuid.uuid4())},  # no reminder
    )
    deliver(type="tasks.task.overdue", key="x", data={"recipient_ids": "everyone"})
    assert texts(person) == []


def test_the_preferences_list_the_deadline_kinds(client_for, announce) -> None:
    person = announce(language="ru")
    types = {
        t["type"]: t
        for t in client_for(person).get("/api/notifications/preferences/").json()["types"]
    }
    assert {"task_reminder", "task_overdue"} <= set(types)
    assert types["task_reminder"]["email"] is True and types["task_overdue"]["email"] is True


@pytest.mark.django_db(transaction=True)
def test_the_reminder_and_the_overdue_reach_the_socket_once(announce, reminder, overdue) -> None:
    from config.asgi import application

    person = announce()
    ticket, _ = services.issue_ws_ticket(user_id=person.id, username=person.username, role="user")

    async def receive(socket):
        return json.loads(await socket.receive_from(timeout=5))

    async def scenario():
        from channels.db import database_sync_to_async

        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert (await receive(socket))["type"] == "hello"
        await database_sync_to_async(reminder)(person, minutes=1)
        frame = await receive(socket)
        assert frame["type"] == "notification"
        assert frame["notification"]["type"] == "task_reminder"
        assert frame["notification"]["text"] == "Reminder: “Ship it” is due in 1 minute"
        await database_sync_to_async(overdue)([person])
        await database_sync_to_async(overdue)([person])
        frame = await receive(socket)
        assert frame["notification"]["type"] == "task_overdue"
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    async_to_sync(scenario)()
