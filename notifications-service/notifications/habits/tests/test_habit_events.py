"""habits-service's events in notifications: the owner (only) is told of milestones, broken
streaks, spent freezes and reminders, in their language with each language's plurals, once,
by email per preference, live on the socket; a deleted habit takes its notices back. Every
event is built from habits-service's declaration."""

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
from notifications.habits.models import DeletedHabit
from notifications.inbox import services
from notifications.inbox.models import Notification
from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db

TYPES = {
    "habits.streak.milestone": "habit_streak_milestone",
    "habits.streak.broken": "habit_streak_broken",
    "habits.freeze.used": "habit_freeze_used",
    "habits.reminder.due": "habit_reminder",
    "habits.cards.due": "cards_due",
}


def reminder_event(
    owner, habits: list[tuple[str, str]], *, day: str = "2026-12-03", local_time: str = "07:30"
):
    """`habits.reminder.due` v2 as habits-service publishes it: the owner's habits due at one
    time."""
    return example_event(
        "habits.reminder.due",
        2,
        owner_id=str(owner.id),
        day=day,
        local_time=local_time,
        habits=[{"habit_id": habit, "habit_name": name} for habit, name in habits],
    )


def test_the_consumer_subscribes_to_the_habits_topics() -> None:
    autodiscover_handlers()
    assert {
        "habits.streak",
        "habits.freeze",
        "habits.reminder",
        "habits.habit",
        "habits.cards",
        "habits.card_import",
    } <= set(handlers.topics())
    for type in [*TYPES, "habits.habit.deleted", "habits.card_import.progressed"]:
        assert handlers.handlers_for(type), type


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["“Read”: 7 days in a row!", "“Read”: 30 weeks in a row!"]),
        ("ru", ["«Read»: 7 дней подряд!", "«Read»: 30 недель подряд!"]),
        ("uk", ["«Read»: 7 днів поспіль!", "«Read»: 30 тижнів поспіль!"]),
    ],
)
def test_a_milestone_tells_the_owner_in_their_language(
    announce, habits_event, language, expected
) -> None:
    owner, stranger = announce(language=language), announce()
    habits_event("habits.streak.milestone", owner, length=7, streak_unit="day")
    habits_event("habits.streak.milestone", owner, length=30, streak_unit="week")
    assert texts(owner) == expected
    assert texts(stranger) == []
    found = Notification.objects.filter(recipient_id=owner.id).first()
    assert found is not None
    assert (found.type, found.target_service, found.target_kind) == (
        "habit_streak_milestone",
        "habits",
        "habit",
    )
    assert found.actor_id is None


@pytest.mark.parametrize(
    ("language", "length", "text"),
    [
        ("en", 2, "Your streak on “Read” ended after 2 days"),
        ("en", 21, "Your streak on “Read” ended after 21 days"),
        ("ru", 2, "Серия «Read» прервалась: было 2 дня подряд"),
        ("ru", 21, "Серия «Read» прервалась: было 21 день подряд"),
        ("ru", 12, "Серия «Read» прервалась: было 12 дней подряд"),
        ("uk", 3, "Серія «Read» перервалася: було 3 дні поспіль"),
        ("uk", 11, "Серія «Read» перервалася: було 11 днів поспіль"),
    ],
)
def test_a_broken_streak_counts_with_each_languages_plurals(
    announce, habits_event, language, length, text
) -> None:
    owner = announce(language=language)
    habits_event("habits.streak.broken", owner, length=length, streak_unit="day", day="2026-12-01")
    assert texts(owner) == [text]


@pytest.mark.parametrize(
    ("language", "left", "text"),
    [
        ("en", 1, "A freeze kept your streak on “Read” (8 days). 1 freeze left"),
        ("en", 0, "A freeze kept your streak on “Read” (8 days). 0 freezes left"),
        ("ru", 1, "Заморозка сохранила серию «Read» (8 дней). Осталась 1 заморозка"),
        ("ru", 0, "Заморозка сохранила серию «Read» (8 дней). Осталось 0 заморозок"),
        ("uk", 1, "Заморозка зберегла серію «Read» (8 днів). Залишилася 1 заморозка"),
    ],
)
def test_a_spent_freeze_says_how_many_are_left(
    announce, habits_event, language, left, text
) -> None:
    owner = announce(language=language)
    habits_event(
        "habits.freeze.used", owner, freezes_left=left, current_streak=8, streak_unit="day"
    )
    assert texts(owner) == [text]


def test_a_freeze_of_a_weekly_streak_counts_weeks(announce, habits_event) -> None:
    owner = announce(language="ru")
    habits_event("habits.freeze.used", owner, freezes_left=1, current_streak=5, streak_unit="week")
    [text] = texts(owner)
    assert "(5 недель)" in text


def test_a_reminder_is_told_once_and_emailed_per_preference(
    announce, habits_event, deliver, habit, django_capture_on_commit_callbacks
) -> None:
    owner = announce(language="uk")
    with django_capture_on_commit_callbacks(execute=True):
        event = reminder_event(owner, [(habit, "Read")])
        assert deliver(event) is True
        assert deliver(event) is False  # redelivered: nothing more
        # milestones are not emailed unless asked
        habits_event("habits.streak.milestone", owner, length=7, streak_unit="day")
    assert texts(owner) == ["Час для «Read» (07:30)", "«Read»: 7 днів поспіль!"]
    [message] = mail.outbox
    assert message.to == [f"{owner.username}@example.com"]
    assert message.subject == "Час для «Read» (07:30)"
    mail.outbox.clear()
    services.update_preferences(
        user_id=owner.id,
        types={"habit_reminder": {"email": False}, "habit_streak_milestone": {"email": True}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(reminder_event(owner, [(habit, "Read")], day="2026-12-04"))
        habits_event("habits.streak.milestone", owner, length=30, streak_unit="day")
    assert [m.subject for m in mail.outbox] == ["«Read»: 30 днів поспіль!"]
    services.update_preferences(
        user_id=owner.id, types={"habit_reminder": {"in_app": False, "email": False}}
    )
    deliver(reminder_event(owner, [(habit, "Read")], day="2026-12-05"))
    assert Notification.objects.filter(recipient_id=owner.id, type="habit_reminder").count() == 2


def test_a_deleted_habit_takes_its_notices_back_and_hears_nothing_more(
    announce, habits_event, habit, deliver
) -> None:
    owner = announce()
    habits_event("habits.streak.milestone", owner, length=7, streak_unit="day")
    deliver(reminder_event(owner, [(habit, "Read")]))
    # a reminder of version 1 (published before the lists; still in the logs): one habit
    other = example_event(
        "habits.reminder.due",
        1,
        habit_id=str(uuid.uuid4()),
        owner_id=str(owner.id),
        habit_name="Run",
        day="2026-12-03",
        local_time="08:00",
    )
    from cotask_common.events.testing import handle_event

    handle_event(other)
    assert len(texts(owner)) == 3
    habits_event("habits.habit.deleted", owner)
    assert texts(owner) == ["Time for “Run” (08:00)"]
    assert DeletedHabit.objects.filter(habit_id=habit).exists()
    # a late event about it (another topic) tells nothing
    habits_event("habits.streak.broken", owner, length=9, streak_unit="day", day="2026-12-02")
    assert texts(owner) == ["Time for “Run” (08:00)"]


def test_a_bad_event_tells_nobody(announce, deliver) -> None:
    owner = announce()
    deliver(type="habits.reminder.due", key="x", data={"owner_id": "nope", "habit_name": "Read"})
    for habits in (None, [], [{"habit_id": "nope"}], "x"):
        deliver(
            type="habits.reminder.due",
            version=2,
            key=str(owner.id),
            data={"owner_id": str(owner.id), "habits": habits},
        )
    deliver(type="habits.streak.milestone", key="x", data={"habit_id": str(uuid.uuid4())})
    assert texts(owner) == []


@pytest.mark.parametrize(
    ("language", "count", "text"),
    [
        ("en", 3, "3 habits to check in (07:30): H0, H1, H2"),
        ("en", 7, "7 habits to check in (07:30): H0, H1, H2, H3, H4, …"),
        ("ru", 2, "Пора отметить 2 привычки (07:30): H0, H1"),
        ("ru", 5, "Пора отметить 5 привычек (07:30): H0, H1, H2, H3, H4"),
        ("ru", 21, "Пора отметить 21 привычку (07:30): H0, H1, H2, H3, H4, …"),
        ("uk", 3, "Час відмітити 3 звички (07:30): H0, H1, H2"),
        ("uk", 11, "Час відмітити 11 звичок (07:30): H0, H1, H2, H3, H4, …"),
        ("uk", 21, "Час відмітити 21 звичку (07:30): H0, H1, H2, H3, H4, …"),
    ],
)
def test_the_habits_due_at_one_time_are_told_once_in_one_notification(
    announce, deliver, language, count, text
) -> None:
    owner, stranger = announce(language=language), announce()
    habits = [(str(uuid.uuid4()), f"H{n}") for n in range(count)]
    event = reminder_event(owner, habits)
    assert deliver(event) is True
    assert deliver(event) is False  # redelivered: nothing more
    assert texts(owner) == [text]
    assert texts(stranger) == []
    found = Notification.objects.get(recipient_id=owner.id)
    assert (found.type, found.target_service, found.target_kind, found.target_id) == (
        "habit_reminder",
        "habits",
        "habits",
        str(owner.id),
    )
    assert found.data["habit_ids"] == [habit for habit, _name in habits]
    assert (found.data["day"], found.data["local_time"]) == ("2026-12-03", "07:30")


def test_a_reminder_leaves_out_deleted_habits(announce, habits_event, habit, deliver) -> None:
    owner = announce()
    kept = str(uuid.uuid4())
    habits_event("habits.habit.deleted", owner)  # `habit` is gone
    deliver(reminder_event(owner, [(habit, "Gone"), (kept, "Run")]))
    assert texts(owner) == ["Time for “Run” (07:30)"]  # one habit left: that habit's reminder
    found = Notification.objects.get(recipient_id=owner.id)
    assert (found.target_kind, found.target_id) == ("habit", kept)
    deliver(reminder_event(owner, [(habit, "Gone")], day="2026-12-04"))
    assert len(texts(owner)) == 1


def test_the_preferences_list_the_habit_kinds(announce, client_for) -> None:
    person = announce()
    kinds = {
        t["type"] for t in client_for(person).get("/api/notifications/preferences/").json()["types"]
    }
    assert set(TYPES.values()) <= kinds


@pytest.mark.django_db(transaction=True)
def test_a_milestone_reaches_the_owners_socket(announce, habits_event) -> None:
    from config.asgi import application

    owner = announce()
    ticket, _ = services.issue_ws_ticket(user_id=owner.id, username=owner.username, role="user")

    async def receive(socket):
        return json.loads(await socket.receive_from(timeout=5))

    async def scenario():
        from channels.db import database_sync_to_async

        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert (await receive(socket))["type"] == "hello"
        await database_sync_to_async(habits_event)(
            "habits.streak.milestone", owner, length=7, streak_unit="day"
        )
        frame = await receive(socket)
        assert frame["type"] == "notification"
        assert frame["notification"]["type"] == "habit_streak_milestone"
        assert frame["notification"]["text"] == "“Read”: 7 days in a row!"
        await database_sync_to_async(habits_event)("habits.habit.deleted", owner)
        gone = await receive(socket)
        assert gone["type"] == "deleted" and gone["ids"] == [frame["notification"]["id"]]
        await socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    ("language", "counts", "text"),
    [
        ("en", (3, 0, 18), "21 cards to review today"),
        ("en", (0, 1, 0), "1 card to review today"),
        ("ru", (1, 1, 0), "Сегодня на повторение: 2 карточки"),
        ("ru", (5, 0, 6), "Сегодня на повторение: 11 карточек"),
        ("uk", (0, 0, 21), "Сьогодні на повторення: 21 картка"),
    ],
)
def test_cards_due_tells_the_owner_once_with_each_languages_plurals(
    announce, deliver, language, counts, text
) -> None:
    owner, stranger = announce(language=language), announce()
    new, learning, review = counts
    event = example_event(
        "habits.cards.due",
        owner_id=str(owner.id),
        day="2026-12-03",
        local_time="19:00",
        new=new,
        learning=learning,
        review=review,
    )
    deliver(event)
    assert deliver(event) is False  # redelivered: nothing more
    assert texts(owner) == [text]
    assert texts(stranger) == []
    found = Notification.objects.get(recipient_id=owner.id)
    assert (found.type, found.target_service, found.target_kind) == ("cards_due", "habits", "cards")
    figures = {key: found.data.get(key) for key in ("day", "new", "learning", "review")}
    assert figures == {"day": "2026-12-03", "new": new, "learning": learning, "review": review}


def test_cards_due_with_nothing_due_or_a_bad_owner_tells_nobody(announce, deliver) -> None:
    owner = announce()
    deliver(
        example_event(
            "habits.cards.due",
            owner_id=str(owner.id),
            day="2026-12-03",
            local_time="19:00",
            new=0,
            learning=0,
            review=0,
        )
    )
    deliver(type="habits.cards.due", key="x", data={"owner_id": "nope", "review": 4})
    assert texts(owner) == []


@pytest.mark.django_db(transaction=True)
def test_a_card_imports_progress_reaches_only_the_owners_socket_and_is_not_stored(
    announce, deliver
) -> None:
    from config.asgi import application

    owner, other = announce(), announce()
    tickets = [
        services.issue_ws_ticket(user_id=p.id, username=p.username, role="user")[0]
        for p in (owner, other)
    ]
    job_id = str(uuid.uuid4())

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
        for status, percent in (("running", 60), ("done", 100)):
            await database_sync_to_async(deliver)(
                example_event(
                    "habits.card_import.progressed",
                    job_id=job_id,
                    owner_id=str(owner.id),
                    kind="apkg",
                    status=status,
                    percent=percent,
                    counts={"notes": 7, "cards": 9},
                    error_code="",
                )
            )
            frame = await receive(sockets[0])
            assert frame["type"] == "card_import"
            assert frame["job"] == {
                "id": job_id,
                "kind": "apkg",
                "status": status,
                "percent": percent,
                "counts": {"notes": 7, "cards": 9},
                "error_code": "",
            }
        assert await sockets[1].receive_nothing(timeout=0.5)
        for socket in sockets:
            await socket.disconnect()

    async_to_sync(scenario)()
    assert not Notification.objects.filter(recipient_id=owner.id).exists()
