"""The habits API: creating, reading, editing, archiving, ordering and deleting habits; the
validation of each field (4xx naming it); pauses; and who may do what (the owner; anyone else
404; banned 403; anonymous 401)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from habits.tracking.models import Habit, Pause
from habits.tracking.tests.conftest import WHO, Cast, days_ago, today

pytestmark = pytest.mark.django_db

URL = "/api/habits/habits/"


def _error_field(response: Any) -> str:
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, body
    return next(iter(body["fields"]))


# ---------------------------------------------------------------------------------------------
# Creating and reading


def test_create_defaults_and_read(cast: Cast, published_events: Any) -> None:
    habit = cast.owner.post(URL, {"name": "  Read  "}, format="json").json()
    assert habit["name"] == "Read"
    assert habit["schedule_kind"] == "daily"
    assert habit["kind"] == "yes_no"
    assert habit["start_date"] == today().isoformat()  # today in the token's zone
    assert habit["streak"] == {
        "current": 0,
        "best": 0,
        "unit": "day",
        "started_on": None,
        "freezes_held": 0,
    }
    assert habit["today"]["state"] == "pending"
    assert habit["today"]["progress"]["ratio"] == 0
    read = cast.owner.get(f"{URL}{habit['id']}/").json()
    assert read["id"] == habit["id"]
    # The beat first closes one of its days at the next midnight in the owner's zone.
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    closes = Habit.objects.get().next_evaluation_at
    assert closes is not None
    assert closes.astimezone(ZoneInfo("Europe/Kyiv")) == datetime.combine(
        today() + timedelta(days=1), time(0), tzinfo=ZoneInfo("Europe/Kyiv")
    )
    saved = published_events("habits.habit.saved")
    assert len(saved) == 1
    assert saved[0].data["schedule"] == {
        "kind": "daily",
        "weekdays": [],
        "times": 1,
        "interval_days": 1,
    }
    assert saved[0].data["time_zone"] == "Europe/Kyiv"
    assert saved[0].data["owner_id"] == str(cast.users["owner"].id)


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        ({"schedule_kind": "weekdays", "weekdays": [0, 2, 4, 2]}, {"weekdays": [0, 2, 4]}),
        ({"schedule_kind": "times_per_week", "times": 3}, {"times": 3}),
        ({"schedule_kind": "every_n_days", "interval_days": 3}, {"interval_days": 3}),
        ({"schedule_kind": "times_per_day", "times": 8}, {"times": 8}),
        (
            {
                "kind": "measurable",
                "target_value": "2.5",
                "unit": "km",
                "target_direction": "at_most",
            },
            {"target_value": 2.5, "unit": "km", "target_direction": "at_most"},
        ),
        ({"color": "#AABBCC", "icon": "book"}, {"color": "#aabbcc", "icon": "book"}),
        # Fields the schedule kind does not use are reset, never kept.
        ({"schedule_kind": "daily", "times": 5, "weekdays": [1]}, {"times": 1, "weekdays": []}),
    ],
)
def test_every_schedule_and_target_kind(
    make_habit: Any, fields: dict[str, Any], check: dict[str, Any]
) -> None:
    habit = make_habit(**fields)
    for name, value in check.items():
        assert habit[name] == value


def test_times_per_week_streak_counts_weeks(make_habit: Any) -> None:
    habit = make_habit(schedule_kind="times_per_week", times=2)
    assert habit["streak"]["unit"] == "week"
    assert habit["today"]["progress"] == {
        "done": 0.0,
        "target": 2.0,
        "unit": "days_this_week",
        "ratio": 0.0,
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"color": "green"}, "color"),
        ({"color": "#12345g"}, "color"),
        ({"schedule_kind": "times_per_week", "times": 8}, "times"),
        ({"schedule_kind": "times_per_week", "times": 0}, "times"),
        ({"schedule_kind": "times_per_day", "times": 25}, "times"),
        ({"schedule_kind": "weekdays", "weekdays": []}, "weekdays"),
        ({"schedule_kind": "weekdays"}, "weekdays"),
        ({"schedule_kind": "weekdays", "weekdays": [7]}, "weekdays.0"),
        ({"schedule_kind": "every_n_days", "interval_days": 0}, "interval_days"),
        ({"schedule_kind": "every_n_days", "interval_days": 366}, "interval_days"),
        ({"kind": "measurable", "target_value": "-5"}, "target_value"),
        ({"kind": "measurable", "target_value": "0"}, "target_value"),
        ({"kind": "measurable"}, "target_value"),
        ({"kind": "measurable", "target_value": "1e13"}, "target_value"),
        ({"kind": "measurable", "target_value": "1", "unit": "u" * 25}, "unit"),
        (
            {"kind": "measurable", "target_value": "1", "schedule_kind": "times_per_day"},
            "schedule_kind",
        ),
        ({"schedule_kind": "hourly"}, "schedule_kind"),
        ({"kind": "maybe"}, "kind"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"icon": "i" * 33}, "icon"),
    ],
)
def test_bad_input_names_the_field(cast: Cast, fields: dict[str, Any], field: str) -> None:
    response = cast.owner.post(URL, {"name": "Read", **fields}, format="json")
    assert response.status_code == 400, response.json()
    assert _error_field(response) == field
    assert not Habit.objects.exists()


def test_texts_count_once_trimmed_as_the_document_states(cast: Cast) -> None:
    """The document states each text as the pattern the service checks the written value
    with (a raw maxLength would refuse what the service accepts once trimmed)."""
    unit = "u" * 24
    response = cast.owner.post(
        URL,
        {"name": "  Run  ", "kind": "measurable", "target_value": "5", "unit": f"  {unit}\n"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == unit
    habit_id = response.json()["id"]
    # A character one side counts as space and the other does not is refused at the ends.
    for written in ("\ufeffkm", "km\x85", "\x1ckm"):
        response = cast.owner.patch(f"{URL}{habit_id}/", {"unit": written}, format="json")
        assert response.status_code == 400, written
        assert response.json()["fields"]["unit"][0]["code"] == "invalid"
    assert (
        cast.owner.patch(f"{URL}{habit_id}/", {"unit": "k\x85m"}, format="json").json()["unit"]
        == "k\x85m"
    )
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = document["components"]["schemas"]
    for name, field in (("HabitInputRequest", "unit"), ("CheckinInputRequest", "note")):
        pattern = re.compile(schema[name]["properties"][field]["pattern"])
        assert pattern.fullmatch(f"  {unit}\n") and not pattern.fullmatch("\ufeffkm")
        assert "maxLength" not in schema[name]["properties"][field]


def test_a_rule_across_fields_has_its_own_code_and_types_are_strict(cast: Cast) -> None:
    response = cast.owner.post(URL, {"name": "Read", "schedule_kind": "weekdays"}, format="json")
    assert response.json()["fields"]["weekdays"][0]["code"] == "weekdays_needed"
    response = cast.owner.post(URL, {"name": "Read", "kind": "measurable"}, format="json")
    assert response.json()["fields"]["target_value"][0]["code"] == "target_needed"
    response = cast.owner.post(
        URL, {"name": "Read", "kind": "measurable", "target_value": "0"}, format="json"
    )
    assert response.json()["fields"]["target_value"][0]["code"] == "target_positive"
    response = cast.owner.post(
        URL,
        {
            "name": "Read",
            "kind": "measurable",
            "target_value": "2",
            "schedule_kind": "times_per_day",
        },
        format="json",
    )
    assert response.json()["fields"]["schedule_kind"][0]["code"] == "measurable_times"
    # JSON takes the documented types: "3" is not an integer, 1 is not a boolean text.
    for wrong in ({"times": "3"}, {"name": 7}, {"weekdays": ["1"]}):
        response = cast.owner.post(URL, {"name": "Read", **wrong}, format="json")
        assert response.status_code == 400 and _error_field(response).startswith(next(iter(wrong)))


def test_a_decimal_is_sent_as_its_documented_string(make_habit: Any, cast: Cast) -> None:
    """A JSON number for `target_value` is a 400 naming it (the document says a decimal
    string), on create and on edit; the string is taken."""
    for target in (2.5, 3, "1e2", " 2"):
        response = cast.owner.post(
            URL, {"name": "Run", "kind": "measurable", "target_value": target}, format="json"
        )
        assert response.status_code == 400, target
        assert response.json()["fields"]["target_value"][0]["code"] == "invalid"
    said = cast.owner.post(
        URL,
        {"name": "Run", "kind": "measurable", "target_value": 2.5},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert said.json()["fields"]["target_value"][0]["message"] == (
        'Send the decimal as a string, e.g. "2.5".'
    )
    assert not Habit.objects.exists()
    habit = make_habit(kind="measurable", target_value="2.5", unit="km")
    refused = cast.owner.patch(f"{URL}{habit['id']}/", {"target_value": 5}, format="json")
    assert (refused.status_code, _error_field(refused)) == (400, "target_value")
    taken = cast.owner.patch(f"{URL}{habit['id']}/", {"target_value": "5"}, format="json")
    assert taken.status_code == 200 and taken.json()["target_value"] == 5.0


def test_a_missing_name_is_named(cast: Cast) -> None:
    response = cast.owner.post(URL, {}, format="json")
    assert response.status_code == 400
    assert _error_field(response) == "name"


def test_patch_checks_the_merged_habit(make_habit: Any, cast: Cast, published_events: Any) -> None:
    habit = make_habit(schedule_kind="times_per_week", times=3)
    url = f"{URL}{habit['id']}/"
    # Only `times` is sent; the stored kind makes 8 wrong.
    bad = cast.owner.patch(url, {"times": 8}, format="json")
    assert bad.status_code == 400
    assert _error_field(bad) == "times"
    ok = cast.owner.patch(url, {"name": "Run", "times": 5}, format="json")
    assert ok.status_code == 200
    assert (ok.json()["name"], ok.json()["times"]) == ("Run", 5)
    assert len(published_events("habits.habit.saved")) == 2
    # Nothing changed: nothing published.
    cast.owner.patch(url, {"name": "Run"}, format="json")
    assert len(published_events("habits.habit.saved")) == 2


def test_delete_publishes_and_removes(make_habit: Any, cast: Cast, published_events: Any) -> None:
    habit = make_habit()
    cast.owner.put(f"{URL}{habit['id']}/checkins/", {}, format="json")
    assert cast.owner.delete(f"{URL}{habit['id']}/").status_code == 204
    assert not Habit.objects.exists()
    deleted = published_events("habits.habit.deleted")
    assert [e.data["habit_id"] for e in deleted] == [habit["id"]]
    assert cast.owner.get(f"{URL}{habit['id']}/").status_code == 404


# ---------------------------------------------------------------------------------------------
# Archive and order


def test_archive_hides_and_blocks_checkins(make_habit: Any, cast: Cast) -> None:
    habit = make_habit()
    other = make_habit(name="Walk")
    url = f"{URL}{habit['id']}/archive/"
    archived = cast.owner.post(url)
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert [h["id"] for h in cast.owner.get(URL).json()["results"]] == [other["id"]]
    listed = cast.owner.get(URL, {"archived": "true"}).json()["results"]
    assert [h["id"] for h in listed] == [habit["id"]]
    refused = cast.owner.put(f"{URL}{habit['id']}/checkins/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "habit_archived")
    back = cast.owner.delete(url)
    assert back.json()["archived"] is False
    # Back at the bottom of the active list.
    assert [h["id"] for h in cast.owner.get(URL).json()["results"]] == [other["id"], habit["id"]]
    assert cast.owner.get(URL, {"archived": "maybe"}).status_code == 400


def test_order(make_habit: Any, cast: Cast) -> None:
    a, b, c = (make_habit(name=n)["id"] for n in "abc")
    response = cast.owner.put(f"{URL}order/", {"ids": [c, a]}, format="json")
    assert response.status_code == 200
    assert response.json()["ids"] == [c, a, b]
    assert [h["id"] for h in cast.owner.get(URL).json()["results"]] == [c, a, b]


def test_order_refuses_others_habits_and_duplicates(make_habit: Any, cast: Cast) -> None:
    mine = make_habit()["id"]
    theirs = make_habit(client=cast.clients["stranger"])["id"]
    for ids in ([mine, theirs], [mine, mine], ["not-a-uuid"]):
        response = cast.owner.put(f"{URL}order/", {"ids": ids}, format="json")
        assert response.status_code == 400
        assert _error_field(response).startswith("ids")


# ---------------------------------------------------------------------------------------------
# Pauses


def test_pauses(make_habit: Any, cast: Cast) -> None:
    habit = make_habit(start_date=days_ago(7).isoformat())
    url = f"{URL}{habit['id']}/pauses/"
    created = cast.owner.post(
        url, {"start_date": days_ago(3).isoformat(), "end_date": days_ago(1).isoformat()}
    )
    assert created.status_code == 201
    assert cast.owner.get(url).json()["results"][0]["id"] == created.json()["id"]
    overlap = cast.owner.post(
        url, {"start_date": days_ago(1).isoformat(), "end_date": today().isoformat()}
    )
    assert (overlap.status_code, _error_field(overlap)) == (400, "start_date")
    backwards = cast.owner.post(
        url, {"start_date": today().isoformat(), "end_date": days_ago(1).isoformat()}
    )
    assert (backwards.status_code, _error_field(backwards)) == (400, "end_date")
    too_old = cast.owner.post(
        url, {"start_date": days_ago(8).isoformat(), "end_date": days_ago(8).isoformat()}
    )
    assert (too_old.status_code, _error_field(too_old)) == (400, "start_date")
    missing = cast.owner.post(url, {"start_date": today().isoformat()})
    assert (missing.status_code, _error_field(missing)) == (400, "end_date")
    assert cast.owner.delete(f"{url}{created.json()['id']}/").status_code == 204
    assert cast.owner.delete(f"{url}{created.json()['id']}/").status_code == 404
    assert cast.owner.delete(f"{url}abc/").status_code == 404
    assert not Pause.objects.exists()


def test_a_pause_publishes_the_habit_with_its_current_and_future_pauses(
    make_habit: Any, cast: Cast, published_events: Any
) -> None:
    habit = make_habit(start_date=days_ago(7).isoformat())
    url = f"{URL}{habit['id']}/pauses/"
    assert [e.data.get("pauses") for e in published_events("habits.habit.saved")] == [[]]
    past = cast.owner.post(
        url, {"start_date": days_ago(3).isoformat(), "end_date": days_ago(1).isoformat()}
    )
    later = {"start_date": str(today()), "end_date": str(today() + timedelta(days=2))}
    created = cast.owner.post(url, later)
    assert (past.status_code, created.status_code) == (201, 201)
    saved = published_events("habits.habit.saved")
    # An ended pause no longer matters to the agenda: only today's and later ones travel.
    assert [e.data["pauses"] for e in saved[1:]] == [[], [later]]
    assert saved[-1].data["habit_id"] == habit["id"]
    assert cast.owner.delete(f"{url}{created.json()['id']}/").status_code == 204
    assert published_events("habits.habit.saved")[-1].data["pauses"] == []


def test_a_pause_today_makes_today_paused(make_habit: Any, cast: Cast) -> None:
    habit = make_habit()
    cast.owner.post(
        f"{URL}{habit['id']}/pauses/",
        {"start_date": today().isoformat(), "end_date": today().isoformat()},
    )
    assert cast.owner.get(f"{URL}{habit['id']}/").json()["today"]["state"] == "paused"


# ---------------------------------------------------------------------------------------------
# Who may


def _requests(habit_id: str, pause_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    h = f"{URL}{habit_id}/"
    return [
        ("get", h, None),
        ("patch", h, {"name": "Mine now"}),
        ("post", f"{h}archive/", None),
        ("delete", f"{h}archive/", None),
        ("get", f"{h}pauses/", None),
        ("post", f"{h}pauses/", {"start_date": str(today()), "end_date": str(today())}),
        ("delete", f"{h}pauses/{pause_id}/", None),
        ("get", f"{h}checkins/", None),
        ("put", f"{h}checkins/", {}),
        ("delete", f"{h}checkins/{today()}/", None),
        ("get", f"{h}heatmap/", None),
        ("get", f"{h}stats/", None),
        ("delete", h, None),
    ]


@pytest.mark.parametrize("who", WHO)
def test_only_the_owner_reaches_a_habit(make_habit: Any, cast: Cast, who: str) -> None:
    habit = make_habit()
    pause = Pause.objects.create(habit_id=habit["id"], start_date=days_ago(5), end_date=days_ago(5))
    client = cast.clients[who]
    for method, url, body in _requests(habit["id"], pause.id):
        response = getattr(client, method)(url, body, format="json")
        if who == "owner":
            assert response.status_code < 300, (method, url, response.json())
        else:
            want = {"stranger": 404, "banned": 403, "anonymous": 401}[who]
            assert response.status_code == want, (method, url, response.content)
            if who == "stranger":
                assert response.json()["code"] == "habit_not_found"
            if who == "banned":
                assert response.json()["code"] == "user_banned"
    if who != "owner":
        assert Habit.objects.filter(id=habit["id"], name="Read").exists()


@pytest.mark.parametrize("who", WHO)
def test_lists_and_creates_are_ones_own(make_habit: Any, cast: Cast, who: str) -> None:
    owners = make_habit()["id"]
    client = cast.clients[who]
    listed = client.get(URL)
    created = client.post(URL, {"name": "Mine"}, format="json")
    ordered = client.put(f"{URL}order/", {"ids": [owners]}, format="json")
    if who in ("owner", "stranger"):
        assert listed.status_code == 200
        names = [h["name"] for h in listed.json()["results"]]
        assert names == (["Read"] if who == "owner" else [])
        assert created.status_code == 201
        assert ordered.status_code == (200 if who == "owner" else 400)
    else:
        want = 403 if who == "banned" else 401
        assert {listed.status_code, created.status_code, ordered.status_code} == {want}


def test_malformed_ids_are_404(cast: Cast) -> None:
    for url in (f"{URL}nope/", f"{URL}00000000-0000-0000-0000-000000000000/checkins/"):
        response = cast.owner.get(url)
        assert (response.status_code, response.json()["code"]) == (404, "habit_not_found")


# ---------------------------------------------------------------------------------------------
# Query counts


def test_list_query_count_does_not_grow(
    make_habit: Any, cast: Cast, django_assert_max_num_queries: Any, warm: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name in ("a", "b", "c"):
        habit = make_habit(name=name)
        cast.owner.put(f"{URL}{habit['id']}/checkins/", {}, format="json")
    warm()
    with CaptureQueriesContext(connection) as few:
        assert len(cast.owner.get(URL).json()["results"]) == 3
    few_count = len(few.captured_queries)  # now: the property reads the live query log
    assert few_count <= 3  # the page, its week's check-ins, its pauses: nothing per habit
    for name in ("d", "e", "f", "g", "h", "i"):
        habit = make_habit(name=name, schedule_kind="times_per_week", times=2)
        cast.owner.put(f"{URL}{habit['id']}/checkins/", {}, format="json")
        cast.owner.post(
            f"{URL}{habit['id']}/pauses/",
            {"start_date": str(days_ago(1)), "end_date": str(days_ago(1))},
        )
    warm()
    with django_assert_max_num_queries(few_count):
        assert len(cast.owner.get(URL).json()["results"]) == 9
