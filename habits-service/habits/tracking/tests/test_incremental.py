"""A check-in and an undo walk on from the engine state stored on the habit instead of
re-reading its whole history; after any sequence of check-ins, undos, pauses and schedule
changes the stored figures equal a recount from the raw rows, and a check-in reads only the
days after the stored state."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from habits.tracking import evaluation, services
from habits.tracking.models import Checkin, Habit
from habits.tracking.selectors import history_rows
from habits.tracking.tests.conftest import ZONE, days_ago, today

pytestmark = pytest.mark.django_db

SCHEDULES: list[dict[str, Any]] = [
    {"schedule_kind": "daily"},
    {"schedule_kind": "weekdays", "weekdays": [0, 2, 4, 5]},
    {"schedule_kind": "times_per_week", "times": 3},
    {"schedule_kind": "every_n_days", "interval_days": 3},
    {"schedule_kind": "times_per_day", "times": 2},
    {"kind": "measurable", "target_value": "2", "unit": "km"},
]


def recount(habit: Habit) -> tuple:
    values, pauses = history_rows(habit=habit, through=today())
    result = evaluation.evaluate(habit, values=values, pauses=pauses, today=today())
    return (
        result.current_streak,
        result.best_streak,
        result.freezes_held,
        result.strength,
        result.streak_started_on,
    )


def stored(habit_id: Any) -> tuple:
    habit = Habit.objects.get(id=habit_id)
    started = habit.streak_started_on if habit.current_streak else None
    return (
        habit.current_streak,
        habit.best_streak,
        habit.freezes_held,
        habit.strength,
        started,
    )


@pytest.mark.parametrize("seed", range(6))
def test_figures_equal_a_recount_after_random_checkins_and_undos(make_user: Any, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sequence, not a secret
    user = make_user(time_zone=ZONE)
    spec = SCHEDULES[seed % len(SCHEDULES)]
    habit = services.habit_create(
        user=user, name="Run", start_date=days_ago(rng.randint(20, 120)), **spec
    )
    # An old history written straight to the table, then one recount stores the state.
    day = habit.start_date
    while day < days_ago(7):
        if rng.random() < 0.8:
            Checkin.objects.create(habit=habit, day=day, value=Decimal(rng.choice([1, 2, 3])))
        day += timedelta(days=1)
    with transaction.atomic():
        services.refresh_figures(Habit.objects.select_for_update().get(id=habit.id), today=today())
    assert Habit.objects.get(id=habit.id).engine_state is not None

    for step in range(40):
        day = days_ago(rng.randint(0, 7))
        if rng.random() < 0.65:
            services.checkin_record(
                user=user, habit_id=habit.id, day=day, value=rng.choice([0, 1, 2, 3])
            )
        elif Checkin.objects.filter(habit=habit, day=day).exists():
            services.checkin_undo(user=user, habit_id=habit.id, day=day)
        if step == 20:
            services.pause_create(
                user=user, habit_id=habit.id, start_date=days_ago(3), end_date=days_ago(2)
            )
        row = Habit.objects.get(id=habit.id)
        assert stored(habit.id) == recount(row), (seed, step)
    state = evaluation.resume_state(Habit.objects.get(id=habit.id), changed=days_ago(7))
    assert state is not None  # the check-ins did walk on from a stored state


def test_a_checkin_reads_only_the_days_after_the_stored_state(make_user: Any) -> None:
    user = make_user(time_zone=ZONE)
    habit = services.habit_create(user=user, name="Read", start_date=days_ago(400))
    Checkin.objects.bulk_create(
        Checkin(habit=habit, day=days_ago(n), value=1) for n in range(8, 401)
    )
    with transaction.atomic():
        services.refresh_figures(Habit.objects.select_for_update().get(id=habit.id), today=today())
    with CaptureQueriesContext(connection) as queries:
        services.checkin_record(user=user, habit_id=habit.id)
    history = [q["sql"] for q in queries.captured_queries if "UNION" in q["sql"].upper()]
    assert len(history) == 1
    # Bounded by the stored state's day, not the habit's start.
    assert str(days_ago(8)) in history[0] and str(habit.start_date) not in history[0]
    row = Habit.objects.get(id=habit.id)
    assert (row.current_streak, row.best_streak) == (1, 393)  # days 7..1 missed
    assert stored(habit.id) == recount(row)


def test_a_change_on_or_before_the_stored_state_recounts(make_user: Any) -> None:
    """A zone move west makes "today" earlier: a check-in can then fall on the stored state's
    own day, and is recounted from the whole history instead."""
    user = make_user(time_zone=ZONE)
    habit = services.habit_create(user=user, name="Read", start_date=days_ago(30))
    row = Habit.objects.get(id=habit.id)
    state = evaluation.resume_state(row, changed=days_ago(7))
    assert state is not None and state.through == days_ago(8)
    assert evaluation.resume_state(row, changed=days_ago(8)) is None
    # A state saved later than a change (as after that zone move) is not used either.
    stored_state: dict[str, Any] = dict(row.engine_state or {})
    row.engine_state = {
        **stored_state,
        "walk": {**stored_state["walk"], "through": str(days_ago(3))},
    }
    assert evaluation.resume_state(row, changed=days_ago(3)) is None
    row.engine_state = {"walk": {"through": "not a day"}}
    assert evaluation.resume_state(row, changed=days_ago(3)) is None


def test_the_checkin_is_seven_queries(make_user: Any, warm: Any) -> None:
    """BEGIN, the habit's lock, the history with the day's row (one UNION), the write, the
    figures, the outbox, COMMIT (a reached milestone adds its outbox row)."""
    user = make_user(time_zone=ZONE)
    habit = services.habit_create(user=user, name="Read", start_date=days_ago(30))
    for value in (1, 2):  # create, then the same day again updates
        warm()
        with CaptureQueriesContext(connection) as queries:
            services.checkin_record(user=user, habit_id=habit.id, value=value)
        sql = [q["sql"] for q in queries.captured_queries if "pg_notify" not in q["sql"]]
        assert len(sql) <= 7, sql
    assert Checkin.objects.filter(habit=habit).get().value == 2


@pytest.mark.parametrize("spec", SCHEDULES[:4])
def test_the_heatmap_starts_from_the_stored_state_before_the_year(
    make_user: Any, spec: dict
) -> None:
    """This year's heatmap reads and walks this year only, from the state stored before its
    first period, and shows exactly what a walk from the habit's start shows."""
    from habits.tracking import stats

    rng = random.Random(len(str(spec)))  # noqa: S311 - reproducible, not a secret
    user = make_user(time_zone=ZONE)
    habit = services.habit_create(user=user, name="Read", start_date=days_ago(800), **spec)
    Checkin.objects.bulk_create(
        Checkin(habit=habit, day=days_ago(n), value=1) for n in range(1, 801) if rng.random() < 0.85
    )
    with transaction.atomic():
        services.refresh_figures(Habit.objects.select_for_update().get(id=habit.id), today=today())
    services.checkin_record(user=user, habit_id=habit.id)  # the check-in keeps it
    row = Habit.objects.get(id=habit.id)
    year = today().year
    keep = evaluation.year_start_keep(row, year=year)
    assert evaluation.year_state(row, year=year, today=today()).through == keep
    with CaptureQueriesContext(connection) as queries:
        got = stats.heatmap(row, year=year, today=today())
    assert len(queries.captured_queries) == 1
    assert str(keep + timedelta(days=1)) in queries.captured_queries[0]["sql"]
    row.engine_state = None  # from the habit's start
    assert got == stats.heatmap(row, year=year, today=today())
    # Another year has no stored state: walked from the start, as before.
    assert (
        evaluation.year_state(Habit.objects.get(id=habit.id), year=year - 1, today=today()) is None
    )


@pytest.mark.parametrize(
    "spec",
    [
        *SCHEDULES,
        {"kind": "measurable", "target_value": "1.5", "target_direction": "at_most", "unit": "h"},
    ],
)
def test_the_checkin_answer_is_what_the_serializers_give(
    make_user: Any, spec: dict, cast: Any
) -> None:
    """The check-in's answer is built without serializers (`habit_payload`, `checkin_payload`)
    and says exactly what HabitOutput and CheckinOutput say, through the API too."""
    from habits.tracking.selectors import with_today
    from habits.tracking.serializers import (
        CheckinOutput,
        HabitOutput,
        checkin_payload,
        habit_payload,
    )

    user = cast.users["owner"]
    habit = services.habit_create(user=user, name="Swim", start_date=days_ago(10), **spec)
    services.pause_create(user=user, habit_id=habit.id, start_date=days_ago(1), end_date=today())
    services.checkin_record(user=user, habit_id=habit.id, day=days_ago(2), value="2", note="ok")
    checkin, _created = services.checkin_record(
        user=user, habit_id=habit.id, day=days_ago(3), value="1.5"
    )
    fresh = with_today(Habit.objects.select_related("owner").get(id=habit.id), today=today())
    assert (
        habit_payload(checkin.habit, today=today())
        == HabitOutput(fresh, context={"today": today()}).data
    )
    assert checkin_payload(checkin) == CheckinOutput(Checkin.objects.get(id=checkin.id)).data
    body = cast.owner.put(
        f"/api/habits/habits/{habit.id}/checkins/", {"value": "2", "note": "x"}, format="json"
    ).json()
    fresh = with_today(Habit.objects.select_related("owner").get(id=habit.id), today=today())
    assert body["habit"] == HabitOutput(fresh, context={"today": today()}).data
    stored_checkin = Checkin.objects.get(habit=habit, day=today())
    assert body["checkin"] == CheckinOutput(stored_checkin).data
