"""Check-ins through the API: today by default, up to 7 days back, never ahead; the same day
again updates; undo; the streak and its milestone; the events; the heatmap and statistics."""

from __future__ import annotations

from typing import Any

import pytest

from habits.tracking.models import Checkin
from habits.tracking.tests.conftest import Cast, days_ago, today

pytestmark = pytest.mark.django_db

URL = "/api/habits/habits/"


def _field(response: Any) -> str:
    return next(iter(response.json()["fields"]))


def _checkin(cast: Cast, habit: dict[str, Any], **body: Any) -> Any:
    return cast.owner.put(f"{URL}{habit['id']}/checkins/", body, format="json")


def test_today_by_default_then_update(make_habit: Any, cast: Cast, published_events: Any) -> None:
    habit = make_habit()
    first = _checkin(cast, habit, note="good")
    assert first.status_code == 201
    body = first.json()
    assert body["checkin"]["day"] == today().isoformat()
    assert body["habit"]["streak"]["current"] == 1
    assert body["habit"]["today"]["state"] == "done"
    again = _checkin(cast, habit, value="2", note="better")
    assert again.status_code == 200
    assert (again.json()["checkin"]["value"], again.json()["checkin"]["note"]) == (2.0, "better")
    assert Checkin.objects.count() == 1
    recorded = published_events("habits.checkin.recorded")
    assert len(recorded) == 2
    assert recorded[0].data["day"] == today().isoformat()
    assert recorded[0].data["done"] is True
    assert (recorded[0].data["current_streak"], recorded[0].data["streak_unit"]) == (1, "day")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"day": "DAY8"}, "day", "too_far_back"),
        ({"day": "TOMORROW"}, "day", "future_day"),
        ({"day": "2026-02-30"}, "day", "invalid"),
        ({"value": "-1"}, "value", "min_value"),
        ({"value": "abc"}, "value", "invalid"),
        # A decimal in JSON is the documented string: a number or another spelling is refused.
        ({"value": 2}, "value", "invalid"),
        ({"value": 2.5}, "value", "invalid"),
        ({"value": "1e2"}, "value", "invalid"),
        ({"note": "n" * 1001}, "note", "max_length"),
    ],
)
def test_bad_checkins_name_the_field(
    make_habit: Any, cast: Cast, body: dict[str, Any], field: str, code: str
) -> None:
    habit = make_habit(start_date=days_ago(30).isoformat())
    if body.get("day") == "DAY8":
        body = {"day": days_ago(8).isoformat()}
    if body.get("day") == "TOMORROW":
        body = {"day": days_ago(-1).isoformat()}
    response = _checkin(cast, habit, **body)
    assert response.status_code == 400, response.json()
    assert _field(response) == field
    assert response.json()["fields"][field][0]["code"] == code
    assert not Checkin.objects.exists()


def test_a_range_bound_given_empty_is_a_400(make_habit: Any, cast: Cast) -> None:
    habit = make_habit()
    for query in ("from=", "to="):
        response = cast.owner.get(f"{URL}{habit['id']}/checkins/?{query}")
        assert response.status_code == 400, query


def test_seven_days_back_is_allowed_but_not_before_the_start(make_habit: Any, cast: Cast) -> None:
    habit = make_habit(start_date=days_ago(3).isoformat())
    refused = _checkin(cast, habit, day=days_ago(4).isoformat())
    assert (refused.status_code, _field(refused)) == (400, "day")
    old = make_habit(start_date=days_ago(30).isoformat())
    assert _checkin(cast, old, day=days_ago(7).isoformat()).status_code == 201


def test_measurable_needs_a_value_and_progress_shows(make_habit: Any, cast: Cast) -> None:
    habit = make_habit(kind="measurable", target_value="10", unit="pages")
    missing = _checkin(cast, habit)
    assert (missing.status_code, _field(missing)) == (400, "value")
    half = _checkin(cast, habit, value="5").json()["habit"]
    assert half["today"]["progress"] == {"done": 5.0, "target": 10.0, "unit": "pages", "ratio": 0.5}
    assert half["today"]["state"] == "pending"
    assert half["streak"]["current"] == 0
    full = _checkin(cast, habit, value="12.5").json()["habit"]
    assert full["today"]["progress"]["ratio"] == 1.0
    assert full["streak"]["current"] == 1


def test_times_per_day_counts_towards_times(make_habit: Any, cast: Cast) -> None:
    habit = make_habit(schedule_kind="times_per_day", times=3)
    two = _checkin(cast, habit, value="2").json()["habit"]
    assert (two["today"]["done"], two["today"]["progress"]["ratio"]) == (False, 0.6667)
    three = _checkin(cast, habit, value="3").json()["habit"]
    assert (three["today"]["done"], three["streak"]["current"]) == (True, 1)


def test_undo(make_habit: Any, cast: Cast, published_events: Any) -> None:
    habit = make_habit(start_date=days_ago(2).isoformat())
    for n in (2, 1, 0):
        _checkin(cast, habit, day=days_ago(n).isoformat())
    url = f"{URL}{habit['id']}/checkins/"
    assert cast.owner.get(f"{URL}{habit['id']}/").json()["streak"]["current"] == 3
    assert cast.owner.delete(f"{url}{days_ago(1)}/").status_code == 204
    assert cast.owner.get(f"{URL}{habit['id']}/").json()["streak"]["current"] == 1
    again = cast.owner.delete(f"{url}{days_ago(1)}/")
    assert (again.status_code, again.json()["code"]) == (404, "checkin_not_found")
    bad = cast.owner.delete(f"{url}yesterday/")
    assert (bad.status_code, _field(bad)) == (400, "day")
    old = cast.owner.delete(f"{url}{days_ago(8)}/")
    assert (old.status_code, _field(old)) == (400, "day")
    undone = published_events("habits.checkin.undone")
    assert [e.data["day"] for e in undone] == [days_ago(1).isoformat()]
    assert undone[0].data["current_streak"] == 1


def test_list_with_a_range(make_habit: Any, cast: Cast) -> None:
    habit = make_habit(start_date=days_ago(7).isoformat())
    for n in range(8):
        _checkin(cast, habit, day=days_ago(n).isoformat())
    url = f"{URL}{habit['id']}/checkins/"
    listed = cast.owner.get(url, {"from": days_ago(5).isoformat(), "to": days_ago(2).isoformat()})
    assert [c["day"] for c in listed.json()["results"]] == [
        days_ago(n).isoformat() for n in (2, 3, 4, 5)
    ]
    assert len(cast.owner.get(url).json()["results"]) == 8
    bad = cast.owner.get(url, {"from": "soon"})
    assert bad.status_code == 400


def test_seven_days_reach_the_milestone_once(
    make_habit: Any, cast: Cast, published_events: Any
) -> None:
    """A daily habit started 6 days ago, checked in for all 7 days: a 7-day streak, told once;
    undoing the streak's first day and redoing it tells nothing again."""
    habit = make_habit(start_date=days_ago(6).isoformat())
    for n in range(6, -1, -1):
        body = _checkin(cast, habit, day=days_ago(n).isoformat()).json()
    assert body["habit"]["streak"]["current"] == 7
    assert body["habit"]["streak"]["best"] == 7
    assert body["habit"]["streak"]["started_on"] == days_ago(6).isoformat()
    milestones = published_events("habits.streak.milestone")
    assert [(e.data["length"], e.data["streak_unit"]) for e in milestones] == [(7, "day")]
    assert milestones[0].data["habit_id"] == habit["id"]
    url = f"{URL}{habit['id']}/checkins/"
    cast.owner.delete(f"{url}{days_ago(6)}/")
    _checkin(cast, habit, day=days_ago(6).isoformat())
    assert len(published_events("habits.streak.milestone")) == 1


def test_heatmap_of_a_year_in_one_query(
    make_habit: Any, cast: Cast, django_assert_max_num_queries: Any, warm: Any
) -> None:
    habit = make_habit(start_date=days_ago(7).isoformat())
    for n in (7, 6, 4, 0):
        _checkin(cast, habit, day=days_ago(n).isoformat(), value="1")
    cast.owner.post(
        f"{URL}{habit['id']}/pauses/",
        {"start_date": days_ago(5).isoformat(), "end_date": days_ago(5).isoformat()},
    )
    url = f"{URL}{habit['id']}/heatmap/"
    warm()
    # The habit (the owner check), then check-ins and pauses in one UNION query.
    with django_assert_max_num_queries(2):
        response = cast.owner.get(url, {"year": today().year})
    body = response.json()
    assert body["year"] == today().year
    days = {d["day"]: d for d in body["days"]}
    assert len(days) in (365, 366)
    if days_ago(7).year == today().year:
        assert days[days_ago(7).isoformat()]["state"] == "done"
        assert days[days_ago(5).isoformat()]["state"] == "paused"
        assert days[days_ago(3).isoformat()]["state"] in ("missed", "frozen")
        assert days[days_ago(8).isoformat()]["state"] == "before_start"
    assert days[today().isoformat()] == {"day": today().isoformat(), "value": 1.0, "state": "done"}
    for bad in ("1999", "20x6"):
        refused = cast.owner.get(url, {"year": bad})
        assert (refused.status_code, _field(refused)) == (400, "year")


@pytest.mark.parametrize("period", ["week", "month", "year"])
def test_stats(make_habit: Any, cast: Cast, period: str) -> None:
    habit = make_habit(start_date=days_ago(7).isoformat())
    for n in (7, 6, 5, 3):
        _checkin(cast, habit, day=days_ago(n).isoformat())
    body = cast.owner.get(f"{URL}{habit['id']}/stats/", {"period": period}).json()
    assert body["period"] == period
    scheduled = sum(r["scheduled"] for r in body["rates"])
    done = sum(r["done"] for r in body["rates"])
    # 7 closed days (today is still open): 4 done.
    assert (scheduled, done) == (7, 4)
    assert sum(r["scheduled"] for r in body["weekdays"]) == 7
    assert all(0 <= r["rate"] <= 1 for r in body["rates"])


def test_stats_period_is_checked(make_habit: Any, cast: Cast) -> None:
    habit = make_habit()
    response = cast.owner.get(f"{URL}{habit['id']}/stats/", {"period": "decade"})
    assert (response.status_code, _field(response)) == (400, "period")


def test_the_zone_of_the_token_decides_today(make_habit: Any, cast: Cast, client_for: Any) -> None:
    """Far east and far west of UTC, "today" differs for part of every day: a check-in with no
    day is dated in the token's zone."""
    from habits.tracking import evaluation

    user = cast.users["owner"]
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        client = client_for(user, tz=zone)
        habit = client.post(
            URL, {"name": zone, "start_date": days_ago(2).isoformat()}, format="json"
        ).json()
        body = client.put(f"{URL}{habit['id']}/checkins/", {}, format="json").json()
        local = evaluation.today_in(evaluation.zone_named(zone))
        assert body["checkin"]["day"] == local.isoformat()


def test_query_counts_stay_fixed(
    make_habit: Any, cast: Cast, django_assert_max_num_queries: Any, warm: Any
) -> None:
    """A check-in, the check-ins list and the pauses list cost the same with 2 rows as with 8."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    habit = make_habit(start_date=days_ago(7).isoformat())
    url = f"{URL}{habit['id']}/"
    for n in (7, 6):
        _checkin(cast, habit, day=days_ago(n).isoformat())
    cast.owner.post(f"{url}pauses/", {"start_date": str(days_ago(5)), "end_date": str(days_ago(5))})

    def counts() -> list[int]:
        found = []
        for request in (
            lambda: _checkin(cast, habit, value="1"),
            lambda: cast.owner.get(f"{url}checkins/"),
            lambda: cast.owner.get(f"{url}pauses/"),
        ):
            warm()
            with CaptureQueriesContext(connection) as queries:
                assert request().status_code in (200, 201)
            found.append(len(queries.captured_queries))
        return found

    few = counts()
    # The check-in: lock the habit, read and write the day, read the history (one query),
    # store the figures, the outbox row (+ its wakeup), then today's week for the answer.
    assert few[0] <= 10, few
    assert few[1:] == [2, 2]  # the habit (owner check), the page
    for n in (4, 3, 2, 1):
        _checkin(cast, habit, day=days_ago(n).isoformat())
    cast.owner.post(f"{url}pauses/", {"start_date": str(days_ago(1)), "end_date": str(days_ago(1))})
    assert counts() == few


def test_a_new_streak_tells_its_milestone_again(
    make_habit: Any, cast: Cast, published_events: Any
) -> None:
    """A 7-day streak ended by a week of misses (its one freeze spent), then a new 7-day
    streak: each is told."""
    from django.db import transaction

    from habits.tracking import services
    from habits.tracking.models import Habit

    habit = make_habit(start_date=days_ago(20).isoformat())
    for n in range(20, 13, -1):
        Checkin.objects.create(habit_id=habit["id"], day=days_ago(n))
    with transaction.atomic():
        row = Habit.objects.select_for_update().get(id=habit["id"])
        services.refresh_figures(row, today=days_ago(13))
    assert (row.current_streak, row.streak_started_on) == (7, days_ago(20))
    for n in range(6, 0, -1):
        Checkin.objects.create(habit_id=habit["id"], day=days_ago(n))
    body = _checkin(cast, habit).json()["habit"]
    assert (body["streak"]["current"], body["streak"]["started_on"]) == (
        7,
        days_ago(6).isoformat(),
    )
    assert body["streak"]["best"] == 7
    lengths = [e.data["length"] for e in published_events("habits.streak.milestone")]
    assert lengths == [7, 7]


def test_without_a_zone_in_the_token_the_accounts_zone_counts(
    make_user: Any, client_for: Any
) -> None:
    """An older token without `tz`: today is the saved zone's (UserRef.time_zone)."""
    from habits.tracking import evaluation

    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        user = make_user(time_zone=zone)
        client = client_for(user)  # the test tokens carry no `tz` unless asked
        habit = client.post(
            URL, {"name": zone, "start_date": days_ago(2).isoformat()}, format="json"
        ).json()
        body = client.put(f"{URL}{habit['id']}/checkins/", {}, format="json").json()
        local = evaluation.today_in(evaluation.zone_named(zone))
        assert body["checkin"]["day"] == local.isoformat()
