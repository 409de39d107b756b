"""The check-in's hand-written statements (`habits.tracking.hot_sql`) give what their ORM twins
give and leave the same rows, on the same data; and a sequence of check-ins, updates and undos
answers the same JSON and stores the same rows either way (PostgreSQL: on SQLite the services
run the twins)."""

from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from cotask_common.testing.parity import same, statements_on_postgresql
from habits.tracking import hot_sql, services
from habits.tracking.models import Checkin, Habit, Pause
from habits.tracking.tests.conftest import ZONE, Cast, days_ago

pytestmark = pytest.mark.django_db

URL = "/api/habits/habits/"


_statements = statements_on_postgresql(hot_sql)


@pytest.fixture
def habit(make_user: Any) -> Habit:
    user = make_user(time_zone=ZONE)
    habit = services.habit_create(user=user, name="Run", start_date=days_ago(40))
    for n in range(1, 41):
        if n % 4:
            Checkin.objects.create(
                habit=habit, day=days_ago(n), value=Decimal(n % 3), note=f"n{n}" if n % 5 else ""
            )
    Pause.objects.create(habit=habit, start_date=days_ago(30), end_date=days_ago(28))
    Pause.objects.create(habit=habit, start_date=days_ago(5), end_date=days_ago(3))
    Pause.objects.create(habit=habit, start_date=days_ago(-3), end_date=days_ago(-6))
    with transaction.atomic():
        services.refresh_figures(
            Habit.objects.select_for_update().get(id=habit.id), today=days_ago(0)
        )
    return Habit.objects.get(id=habit.id)


def _fields(habit: Habit | None) -> Any:
    if habit is None:
        return None
    values = {f.attname: getattr(habit, f.attname) for f in Habit._meta.concrete_fields}
    return values, habit.owner.id, habit.owner.time_zone


def _checkins(habit: Habit) -> list[tuple]:
    return list(
        Checkin.objects.filter(habit=habit)
        .order_by("day")
        .values_list("day", "value", "note", "created_at")
    )


def test_the_locked_habit(habit: Habit, make_user: Any) -> None:
    stranger = make_user()
    with transaction.atomic():
        mine = hot_sql.locked_habit(habit_id=habit.id, owner_id=habit.owner_id)
        assert _fields(mine) == _fields(
            hot_sql.locked_habit_orm(habit_id=habit.id, owner_id=habit.owner_id)
        )
        assert mine is not None and mine.engine_state is not None
        for owner in (stranger.id,):
            assert hot_sql.locked_habit(habit_id=habit.id, owner_id=owner) is None
            assert hot_sql.locked_habit_orm(habit_id=habit.id, owner_id=owner) is None


@pytest.mark.parametrize("after_days", [None, 8, 29, 2])
@pytest.mark.parametrize("day_back", [0, 6, 45])
def test_the_history(habit: Habit, after_days: int | None, day_back: int) -> None:
    after = None if after_days is None else days_ago(after_days)
    first = habit.start_date if after is None else after + timedelta(days=1)
    kwargs: dict[str, Any] = {
        "habit_id": habit.id,
        "first": first,
        "through": days_ago(0),
        "day": days_ago(day_back),
        "after": after,
    }
    if day_back == 45:  # a day before the start (a start moved later): found all the same
        Checkin.objects.create(habit=habit, day=days_ago(45), value=1, note="early")
    rows = sorted(hot_sql.history(**kwargs), key=repr)
    assert rows == sorted(hot_sql.history_orm(**kwargs), key=repr)
    assert rows and any(end is not None for _d, _v, end, *_rest in rows)


def test_the_figures_write(habit: Habit) -> None:
    def state() -> Any:
        row = Habit.objects.get(id=habit.id)
        return (
            _checkins(habit)[:-1],
            [
                (c.day, c.value, c.note)
                for c in Checkin.objects.filter(habit=habit, day=days_ago(0))
            ],
            {name: getattr(row, name) for name in hot_sql.FIGURE_FIELDS},
        )

    def figures(write: Any) -> Any:
        row = Habit.objects.get(id=habit.id)
        row.current_streak, row.best_streak, row.freezes_held = 3, 9, 1
        row.strength, row.streak_started_on, row.milestone_published = 0.25, days_ago(2), 7
        row.engine_state = {"walk": None, "year": {"x": [1, "2"]}}
        write(row)
        return row.updated_at == Habit.objects.get(id=habit.id).updated_at

    same(lambda: figures(hot_sql.save_figures), lambda: figures(hot_sql.save_figures_orm), state)


def test_the_check_in_written_with_the_figures(habit: Habit) -> None:
    """One statement (the figures' UPDATE with the check-in's INSERT or UPDATE under it) leaves
    what the twins' two leave: the check-in (its times as the object says), the figures."""

    def state() -> Any:
        row = Habit.objects.get(id=habit.id)
        return (
            [(c.day, c.value, c.note) for c in Checkin.objects.filter(habit=habit)],
            {name: getattr(row, name) for name in hot_sql.FIGURE_FIELDS},
        )

    def figures_of() -> Habit:
        row = Habit.objects.get(id=habit.id)
        row.current_streak, row.best_streak, row.freezes_held = 4, 9, 2
        row.strength, row.streak_started_on, row.milestone_published = 0.5, days_ago(3), 3
        row.engine_state = {"walk": None, "year": {"y": [2]}}
        return row

    def insert(write: Any, note: str | None) -> Any:
        row = figures_of()
        checkin = hot_sql.checkin_new(habit=habit, day=days_ago(0), value=Decimal("2.5"), note=note)
        write(row, checkin, note_changed=note is not None)
        stored = Checkin.objects.get(id=checkin.id)
        assert (stored.created_at, stored.updated_at) == (checkin.created_at, checkin.updated_at)
        assert row.updated_at == Habit.objects.get(id=habit.id).updated_at
        return checkin.day, checkin.value, checkin.note, checkin._state.adding

    for note in (None, "fresh"):
        same(
            functools.partial(insert, hot_sql.save_figures_with_checkin, note),
            functools.partial(insert, hot_sql.save_figures_with_checkin_orm, note),
            state,
        )

    old = Checkin.objects.get(habit=habit, day=days_ago(1))

    def update(write: Any, note_changed: bool) -> Any:
        row = figures_of()
        checkin = Checkin(
            id=old.id, habit=habit, day=old.day, value=Decimal(7), created_at=old.created_at,
            note="changed" if note_changed else "not stored",
        )  # fmt: skip
        checkin._state.adding = False
        write(row, checkin, note_changed=note_changed)
        stored = Checkin.objects.get(id=old.id)
        assert stored.updated_at == checkin.updated_at > old.updated_at
        assert row.updated_at == Habit.objects.get(id=habit.id).updated_at
        return stored.value, stored.note

    for changed in (False, True):
        same(
            functools.partial(update, hot_sql.save_figures_with_checkin, changed),
            functools.partial(update, hot_sql.save_figures_with_checkin_orm, changed),
            state,
        )


def _without_times(body: Any) -> Any:
    if isinstance(body, dict):
        return {
            k: _without_times(v)
            for k, v in body.items()
            if k not in ("created_at", "updated_at", "id", "position")
        }
    return body


def test_check_ins_answer_and_store_the_same_either_way(make_habit: Any, cast: Cast) -> None:
    """The same steps on two habits alike, one by the statements, one by the twins."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("put", {}),
        ("put", {"value": "2", "note": "twice"}),
        ("put", {"day": str(days_ago(3))}),
        ("put", {"day": str(days_ago(3)), "value": "0"}),
        ("delete", {"day": str(days_ago(3))}),
        ("put", {"day": str(days_ago(7)), "note": "late"}),
        ("put", {}),
        ("delete", {"day": str(days_ago(0))}),
    ]
    runs = []
    for enabled in (True, False):
        hot_sql.ENABLED = enabled
        habit = make_habit(schedule_kind="times_per_week", times=2, start_date=str(days_ago(20)))
        answers = []
        for method, body in steps:
            if method == "put":
                response = cast.owner.put(f"{URL}{habit['id']}/checkins/", body, format="json")
            else:
                response = cast.owner.delete(f"{URL}{habit['id']}/checkins/{body['day']}/")
            assert response.status_code < 300, response.content
            answers.append(
                (
                    response.status_code,
                    _without_times(response.json()) if response.content else None,
                )
            )
        row = Habit.objects.get(id=habit["id"])
        stored = (
            {name: getattr(row, name) for name in hot_sql.FIGURE_FIELDS},
            [c[:3] for c in _checkins(row)],
        )
        runs.append((answers, stored))
    assert runs[0] == runs[1]
