"""The reminders API: add (HH:MM, at most 5, one per time), list, replace all, remove; each
change keeps `next_fire_at` at the owner's local time on the next scheduled day; a schedule,
pause, archive or zone change moves it; only the owner reaches them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cotask_common.events.testing import handle_event, make_event
from habits.tracking.models import Habit, Reminder
from habits.tracking.tests.conftest import WHO, ZONE, Cast

pytestmark = pytest.mark.django_db

KYIV = ZoneInfo(ZONE)


def url(habit: dict[str, Any], rest: str = "") -> str:
    return f"/api/habits/habits/{habit['id']}/reminders/{rest}"


def local(at: str, zone: ZoneInfo = KYIV) -> datetime:
    return datetime.fromisoformat(at).astimezone(zone)


def test_a_reminder_fires_next_at_the_local_time(make_habit, cast: Cast) -> None:
    habit = make_habit()
    response = cast.owner.post(url(habit), {"local_time": "07:30"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["local_time"] == "07:30" and body["last_fired_day"] is None
    at = local(body["next_fire_at"])
    assert (at.hour, at.minute) == (7, 30)
    assert timedelta(0) < at - datetime.now(UTC) <= timedelta(days=1)
    listed = cast.owner.get(url(habit)).json()["results"]
    assert [r["local_time"] for r in listed] == ["07:30"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"local_time": "7:30pm"}, "invalid"),
        ({"local_time": "24:00"}, "invalid"),
        ({"local_time": "07:30:15"}, "invalid"),
        ({}, "required"),
    ],
)
def test_bad_times_are_refused_naming_the_field(make_habit, cast: Cast, body, code) -> None:
    response = cast.owner.post(url(make_habit()), body, format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["fields"]["local_time"]] == [code]


def test_at_most_five_one_per_time(make_habit, cast: Cast) -> None:
    habit = make_habit()
    for t in ("06:00", "08:00", "10:00", "12:00", "14:00"):
        assert cast.owner.post(url(habit), {"local_time": t}, format="json").status_code == 201
    again = cast.owner.post(url(habit), {"local_time": "08:00"}, format="json")
    assert again.status_code == 400 and again.json()["fields"]["local_time"][0]["code"] == (
        "duplicate"
    )
    sixth = cast.owner.post(url(habit), {"local_time": "16:00"}, format="json")
    assert sixth.status_code == 400
    assert sixth.json()["fields"]["local_time"][0]["code"] == "too_many_reminders"
    assert "at most 5 reminders" in sixth.json()["fields"]["local_time"][0]["message"]
    too_many = {"local_times": ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00"]}
    assert cast.owner.put(url(habit), too_many, format="json").status_code == 400
    assert Reminder.objects.filter(habit_id=habit["id"]).count() == 5


def test_the_limit_message_is_translated(make_habit, cast: Cast) -> None:
    habit = make_habit()
    five = {"local_times": ["01:00", "02:00", "03:00", "04:00", "05:00"]}
    cast.owner.put(url(habit), five, format="json")
    response = cast.owner.post(
        url(habit), {"local_time": "16:00"}, format="json", HTTP_ACCEPT_LANGUAGE="uk"
    )
    [error] = response.json()["fields"]["local_time"]
    assert error["message"] == "Звичка має щонайбільше 5 нагадувань."
    assert error["code"] == "too_many_reminders"


def test_replace_and_remove(make_habit, cast: Cast) -> None:
    habit = make_habit()
    cast.owner.post(url(habit), {"local_time": "07:30"}, format="json")
    kept = Reminder.objects.get(habit_id=habit["id"])
    response = cast.owner.put(url(habit), {"local_times": ["21:00", "07:30"]}, format="json")
    assert response.status_code == 200
    assert [r["local_time"] for r in response.json()["results"]] == ["07:30", "21:00"]
    assert Reminder.objects.filter(habit_id=habit["id"], local_time="07:30").get().id == kept.id
    assert cast.owner.delete(url(habit, "21:00/")).status_code == 204
    gone = cast.owner.delete(url(habit, "21:00/"))
    assert gone.status_code == 404 and gone.json()["code"] == "reminder_not_found"
    assert cast.owner.delete(url(habit, "nonsense/")).status_code == 404
    assert cast.owner.put(url(habit), {"local_times": []}, format="json").json()["results"] == []


def test_schedule_pause_and_archive_changes_move_the_next_firing(make_habit, cast: Cast) -> None:
    habit = make_habit()
    cast.owner.post(url(habit), {"local_time": "07:30"}, format="json")
    first = local(cast.owner.get(url(habit)).json()["results"][0]["next_fire_at"])
    # Only the weekday two days after that one.
    target = (first + timedelta(days=2)).weekday()
    response = cast.owner.patch(
        f"/api/habits/habits/{habit['id']}/",
        {"schedule_kind": "weekdays", "weekdays": [target]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    moved = local(cast.owner.get(url(habit)).json()["results"][0]["next_fire_at"])
    assert moved.weekday() == target and moved > first
    # Archived: never; back: again.
    cast.owner.post(f"/api/habits/habits/{habit['id']}/archive/")
    assert cast.owner.get(url(habit)).json()["results"][0]["next_fire_at"] is None
    assert Habit.objects.get(id=habit["id"]).next_evaluation_at is None
    cast.owner.delete(f"/api/habits/habits/{habit['id']}/archive/")
    assert local(cast.owner.get(url(habit)).json()["results"][0]["next_fire_at"]) == moved
    # A pause over that day: the next scheduled day after it.
    day = moved.date().isoformat()
    response = cast.owner.post(
        f"/api/habits/habits/{habit['id']}/pauses/",
        {"start_date": day, "end_date": day},
        format="json",
    )
    assert response.status_code == 201, response.json()
    after = local(cast.owner.get(url(habit)).json()["results"][0]["next_fire_at"])
    assert after.date() == moved.date() + timedelta(days=7)


def test_a_zone_move_announced_by_auth_moves_the_reminders(make_habit, cast: Cast) -> None:
    habit = make_habit()
    cast.owner.post(url(habit), {"local_time": "07:30"}, format="json")
    owner = cast.users["owner"]
    handle_event(
        make_event(
            type="auth.user.updated",
            key=owner.id,
            data={"time_zone": "America/New_York"},
        )
    )
    owner.refresh_from_db()
    assert owner.time_zone == "America/New_York"
    at = local(
        cast.owner.get(url(habit)).json()["results"][0]["next_fire_at"], ZoneInfo(owner.time_zone)
    )
    assert (at.hour, at.minute) == (7, 30)
    closing = Habit.objects.get(id=habit["id"]).next_evaluation_at
    assert closing is not None
    closes = closing.astimezone(ZoneInfo("America/New_York"))
    assert (closes.hour, closes.minute) == (0, 0)


def test_the_list_is_read_in_a_fixed_number_of_queries(make_habit, cast: Cast, warm) -> None:
    habit = make_habit()
    cast.owner.put(url(habit), {"local_times": ["06:00", "07:00", "08:00", "09:00"]}, format="json")
    warm()
    with CaptureQueriesContext(connection) as queries:
        response = cast.owner.get(url(habit))
    assert len(response.json()["results"]) == 4
    assert len(queries) <= 3, [q["sql"] for q in queries]


@pytest.mark.parametrize("who", WHO)
def test_only_the_owner_reaches_the_reminders(make_habit, cast: Cast, who: str) -> None:
    habit = make_habit()
    cast.owner.post(url(habit), {"local_time": "07:30"}, format="json")
    client = cast.clients[who]
    answers = [
        client.get(url(habit)),
        client.post(url(habit), {"local_time": "09:00"}, format="json"),
        client.put(url(habit), {"local_times": ["10:00"]}, format="json"),
        client.delete(url(habit, "07:30/")),
    ]
    if who == "owner":
        assert [a.status_code for a in answers] == [200, 201, 200, 404]  # 07:30 replaced
        return
    want = {"stranger": 404, "banned": 403, "anonymous": 401}[who]
    assert {a.status_code for a in answers} == {want}
    if who == "stranger":
        assert {a.json()["code"] for a in answers} == {"habit_not_found"}
    assert list(
        Reminder.objects.filter(habit_id=habit["id"]).values_list("local_time", flat=True)
    ) == [datetime.strptime("07:30", "%H:%M").time()]
