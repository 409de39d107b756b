"""The reminders API: my defaults, a task's override, my upcoming reminders (cursor pages in a
bounded number of queries), snooze; every endpoint tried by owner, admin, member, viewer,
stranger, banned and anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.planning import services as planning
from tasks.planning.tests.teamkit import EVERYONE, expected, make_team
from tasks.reminders.models import Kind, Reminder
from tasks.reminders.tests.conftest import utc

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 8)


@pytest.fixture
def squad(make_user, client_for, clock):
    clock.set(NOW)
    return make_team(make_user, client_for)


def _task(squad, **fields):
    fields.setdefault("due", NOW + timedelta(days=3))
    fields.setdefault("assignee_ids", [squad.users["member"].id])
    return planning.create_task(
        actor=squad.users["owner"], room_id=squad.room.id, title="Ship", **fields
    )


def test_my_defaults_read_and_change_reschedules_my_reminders(squad):
    client = squad.clients["member"]
    assert client.get("/api/tasks/reminder-settings/").json() == {
        "offsets_minutes": [1440, 60],
        "all_day_time": "09:00",
    }
    task = _task(squad)
    answer = client.patch(
        "/api/tasks/reminder-settings/",
        {"offsets_minutes": [30, 2880], "all_day_time": "07:30"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"offsets_minutes": [2880, 30], "all_day_time": "07:30"}
    assert set(
        Reminder.objects.filter(task=task, kind=Kind.REMINDER).values_list(
            "minutes_before", flat=True
        )
    ) == {2880, 30}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"offsets_minutes": [1, 2, 3, 4, 5, 6]}, "offsets_minutes"),
        ({"offsets_minutes": [60, 60]}, "offsets_minutes"),
        ({"offsets_minutes": [-1]}, "offsets_minutes"),
        ({"offsets_minutes": [43201]}, "offsets_minutes"),
        ({"offsets_minutes": "60"}, "offsets_minutes"),
        ({"all_day_time": "9am"}, "all_day_time"),
        ({"all_day_time": "25:00"}, "all_day_time"),
    ],
)
def test_bad_defaults_are_refused_naming_the_field(squad, body, field):
    answer = squad.clients["member"].patch("/api/tasks/reminder-settings/", body, format="json")
    assert answer.status_code == 400
    assert field in str(answer.json()), answer.json()


@pytest.mark.parametrize("who", EVERYONE)
def test_defaults_are_each_persons_own(squad, who):
    answer = squad.clients[who].get("/api/tasks/reminder-settings/")
    assert answer.status_code == {"anonymous": 401, "banned": 403}.get(who, 200)


@pytest.mark.parametrize("who", EVERYONE)
def test_a_tasks_override_needs_a_member_and_reading_it_a_viewer(squad, who):
    task = _task(squad)
    url = f"/api/tasks/tasks/{task.id}/reminders/"
    client = squad.clients[who]
    readers = ("owner", "admin", "member", "viewer")
    assert client.get(url).status_code == expected(who, allowed=readers, ok=200)
    answer = client.put(url, {"offsets_minutes": [30]}, format="json")
    assert answer.status_code == expected(who, allowed=("owner", "admin", "member"), ok=200)
    overridden = Reminder.objects.filter(task=task, kind=Kind.REMINDER)
    minutes = set(overridden.values_list("minutes_before", flat=True))
    assert minutes == ({30} if who in ("owner", "admin", "member") else {1440, 60})


def test_an_override_applies_to_everyone_and_null_restores_defaults(squad):
    task = _task(squad, assignee_ids=[squad.users["member"].id, squad.users["admin"].id])
    url = f"/api/tasks/tasks/{task.id}/reminders/"
    answer = squad.clients["admin"].put(url, {"offsets_minutes": [30, 5]}, format="json")
    body = answer.json()
    assert body["offsets_minutes"] == body["my_offsets_minutes"] == [30, 5]
    assert [r["minutes_before"] for r in body["reminders"]] == [30, 5]
    assert Reminder.objects.filter(task=task, kind=Kind.REMINDER).count() == 4
    answer = squad.clients["member"].put(url, {"offsets_minutes": None}, format="json")
    assert answer.json()["offsets_minutes"] is None
    assert answer.json()["my_offsets_minutes"] == [1440, 60]
    bad = squad.clients["member"].put(url, {"offsets_minutes": [1, 2, 3, 4, 5, 6]}, format="json")
    assert bad.status_code == 400 and "offsets_minutes" in bad.json()["fields"]


def test_a_task_that_does_not_exist_and_a_bad_id_are_404(squad):
    client = squad.clients["member"]
    assert client.get("/api/tasks/tasks/nope/reminders/").status_code == 404
    missing = "/api/tasks/tasks/0190f0f0-0000-7000-8000-000000000000/reminders/"
    assert client.put(missing, {"offsets_minutes": []}, format="json").status_code == 404


def test_my_upcoming_reminders_are_mine_only_in_order_and_paged_in_few_queries(squad, warm):
    for n in range(8):
        _task(squad, due=NOW + timedelta(days=2, hours=n))
    client = squad.clients["member"]
    warm()
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/tasks/reminders/?page_size=5")
    assert first.status_code == 200
    assert len(queries) <= 4, [q["sql"][:90] for q in queries]
    rows = first.json()["results"]
    assert len(rows) == 5
    assert [r["remind_at"] for r in rows] == sorted(r["remind_at"] for r in rows)
    seen = [r["id"] for r in rows]
    url = first.json()["next"]
    while url:
        page = client.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 16
    for who in ("owner", "viewer", "stranger"):
        assert squad.clients[who].get("/api/tasks/reminders/").json()["results"] == []
    assert squad.clients["anonymous"].get("/api/tasks/reminders/").status_code == 401
    assert squad.clients["banned"].get("/api/tasks/reminders/").status_code == 403


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_person_a_reminder_is_for_may_snooze_it(squad, clock, who):
    task = _task(squad)
    reminder = Reminder.objects.get(task=task, minutes_before=1440)
    url = f"/api/tasks/reminders/{reminder.id}/snooze/"
    answer = squad.clients[who].post(url, {"minutes": 10}, format="json")
    # Only the member it is for; everyone else the same 404 as a missing reminder.
    expected_status = {"member": 200, "anonymous": 401, "banned": 403}.get(who, 404)
    assert answer.status_code == expected_status


def test_a_snoozed_reminder_comes_again_once(squad, clock):
    from tasks.reminders import sending

    task = _task(squad)
    reminder = Reminder.objects.get(task=task, minutes_before=1440)
    clock.set(reminder.remind_at)
    assert sending.send_due_reminders(now=reminder.remind_at).sent == 1
    clock.set(reminder.remind_at + timedelta(minutes=1))
    answer = squad.clients["member"].post(
        f"/api/tasks/reminders/{reminder.id}/snooze/", {"minutes": 10}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["snoozed"] is True
    later = reminder.remind_at + timedelta(minutes=11)
    assert answer.json()["remind_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert sending.send_due_reminders(now=later - timedelta(minutes=1)).sent == 0
    assert sending.send_due_reminders(now=later).sent == 1
    assert sending.send_due_reminders(now=later + timedelta(minutes=5)).sent == 0
    # A title edit (no deadline change) keeps the snooze's time.
    planning.update_task(actor=squad.users["owner"], task_id=task.id, title="Renamed")
    assert Reminder.objects.get(id=reminder.id).sent_at is not None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"minutes": 0}, 400),
        ({"minutes": 1441}, 400),
        ({"minutes": "ten"}, 400),
        ({}, 400),
        ({"minutes": 60 * 24}, 400),  # past the deadline (due in 3 days, a day-before one)
    ],
)
def test_bad_snoozes_are_refused_naming_minutes(squad, clock, body, status):
    task = _task(squad, due=NOW + timedelta(days=1, minutes=30))
    reminder = Reminder.objects.get(task=task, minutes_before=60)
    clock.set(reminder.remind_at)
    answer = squad.clients["member"].post(
        f"/api/tasks/reminders/{reminder.id}/snooze/", body, format="json"
    )
    assert answer.status_code == status
    assert "minutes" in str(answer.json())


def test_a_snooze_of_a_missing_or_malformed_reminder_is_404(squad):
    client = squad.clients["member"]
    assert client.post("/api/tasks/reminders/x/snooze/", {"minutes": 5}).status_code == 404
    url = "/api/tasks/reminders/0190f0f0-0000-7000-8000-000000000000/snooze/"
    assert client.post(url, {"minutes": 5}).status_code == 404


def test_messages_are_translated(squad):
    answer = squad.clients["member"].patch(
        "/api/tasks/reminder-settings/",
        {"offsets_minutes": [5, 5]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="uk",
    )
    assert answer.status_code == 400
    assert "Each offset may be given only once." not in str(answer.json())
