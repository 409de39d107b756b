"""The hand-written SQL of a check-in, each statement beside its ORM twin.

Here because `bench/habits.py --in-process --profile` showed it pays (figures in
docs/decisions.md, "habits check-in and heatmap speed"): PostgreSQL runs a check-in's
statements in well under a millisecond, but compiling the ORM's querysets for them (the locked
habit with its owner, the history `UNION`, the two `save()`s) was more than half the request's
CPU. Each statement is written once (`cotask_common.statements`: names from the models, values
converted by their fields) and returns what its twin returns. PostgreSQL only (`enabled()`);
SQLite, the embedded default, runs the twins, which are what the services ran before.
`habits/tracking/tests/test_hot_sql.py` runs both on the same data and requires the same
results and the same rows afterwards. Only the models' own quoted names are interpolated;
every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from datetime import date
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Q
from django.utils import timezone

from cotask_common.statements import Columns, Statement
from cotask_common.users.models import UserRef
from habits.tracking.models import Checkin, Habit, Pause

# Switched off by the parity tests to run the ORM twins on PostgreSQL.
ENABLED = True

# (day, value, pause end (None for a check-in), check-in id, note, created_at)
HistoryRow = tuple[date, Any, date | None, Any, Any, Any]

# The figures a check-in, an undo or a recount stores on the habit (`services._apply`).
FIGURE_FIELDS = (
    "engine_state",
    "current_streak",
    "best_streak",
    "freezes_held",
    "strength",
    "streak_started_on",
    "milestone_published",
)


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


# ---------------------------------------------------------------------------------------------
# The habit, locked


def locked_habit(*, habit_id: UUID, owner_id: Any) -> Habit | None:
    """`owner_id`'s habit `habit_id` with its row lock (None when there is no such habit of
    theirs), its `owner` loaded with the time zone only (the rest of the account is deferred:
    nothing a write of the habit does reads it). One query."""
    rows = _habit_statement().fetch(Habit, habit_id, owner_id)
    if not rows:
        return None
    habit = rows[0]
    zone = habit.__dict__.pop("owner_time_zone")
    owner = UserRef.from_db(DEFAULT_DB_ALIAS, ["id", "time_zone"], [habit.owner_id, zone])
    Habit.owner.field.set_cached_value(habit, owner)
    return habit


@functools.cache
def _habit_statement() -> Statement:
    h, u = Columns(Habit, "h"), Columns(UserRef, "u")
    sql = f"""
    SELECT {h.all()}, {u("time_zone")} AS owner_time_zone
    FROM {h.table} h JOIN {u.table} u ON {u("id")} = {h("owner")}
    WHERE {h("id")} = %s AND {h("owner")} = %s
    FOR UPDATE OF h
    """
    hf = Columns(Habit)
    return Statement(sql, [hf.field("id"), hf.field("owner")])


def locked_habit_orm(*, habit_id: UUID, owner_id: Any) -> Habit | None:
    """`locked_habit` by the ORM (what `selectors.habit_of(lock=True)` ran before)."""
    return (
        Habit.objects.select_related("owner")
        .filter(id=habit_id, owner_id=owner_id)
        .select_for_update(of=("self",))
        .first()
    )


# ---------------------------------------------------------------------------------------------
# A check-in's history


def history(
    *, habit_id: UUID, first: date, through: date, day: date, after: date | None
) -> list[HistoryRow]:
    """The habit's check-ins from `first` to `through` and on `day`, and its pauses (those
    ending after `after`; all with None), as rows: see `HistoryRow`. One query."""
    statement = _history_statement()
    with connection.cursor() as cursor:
        cursor.execute(
            statement.sql,
            statement.params(habit_id, first, through, day, habit_id, after is None, after),
        )
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


@functools.cache
def _history_statement() -> Statement:
    c, p = Columns(Checkin, "c"), Columns(Pause, "p")
    sql = f"""
    SELECT {c("day")}, {c("value")}, NULL::date, {c("id")}, {c("note")}, {c("created_at")}
    FROM {c.table} c
    WHERE {c("habit")} = %s AND (({c("day")} >= %s AND {c("day")} <= %s) OR {c("day")} = %s)
    UNION ALL
    SELECT {p("start_date")}, NULL, {p("end_date")}, NULL, NULL, NULL
    FROM {p.table} p
    WHERE {p("habit")} = %s AND (%s OR {p("end_date")} > %s)
    """
    cf, pf = Columns(Checkin), Columns(Pause)
    return Statement(
        sql,
        [
            cf.field("habit"),
            cf.field("day"),
            cf.field("day"),
            cf.field("day"),
            pf.field("habit"),
            None,
            pf.field("end_date"),
        ],
    )


def history_orm(
    *, habit_id: UUID, first: date, through: date, day: date, after: date | None
) -> list[HistoryRow]:
    """`history` by the ORM (the `UNION ALL` `selectors.recent_history` ran before)."""
    from django.db.models import (
        BigIntegerField,
        DateField,
        DateTimeField,
        DecimalField,
        TextField,
        Value,
    )

    checkins = (
        Checkin.objects.filter(habit_id=habit_id)
        .filter(Q(day__gte=first, day__lte=through) | Q(day=day))
        .order_by()
        .values_list(
            "day", "value", Value(None, output_field=DateField()), "id", "note", "created_at"
        )
    )
    pauses = Pause.objects.filter(habit_id=habit_id)
    if after is not None:
        pauses = pauses.filter(end_date__gt=after)
    pause_rows = pauses.order_by().values_list(
        "start_date",
        Value(None, output_field=DecimalField(max_digits=12, decimal_places=3)),
        "end_date",
        Value(None, output_field=BigIntegerField()),
        Value(None, output_field=TextField()),
        Value(None, output_field=DateTimeField()),
    )
    return list(checkins.union(pause_rows, all=True))


# ---------------------------------------------------------------------------------------------
# Writes


@functools.cache
def _insert_statement() -> Statement:
    c = Columns(Checkin)
    names = ("habit", "day", "value", "note", "created_at", "updated_at")
    sql = (
        f"INSERT INTO {c.table} ({', '.join(c(n) for n in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))}) RETURNING {c('id')}"
    )
    return Statement(sql, [c.field(n) for n in names])


@functools.cache
def _update_statement() -> Statement:
    c = Columns(Checkin)
    sql = (
        f"UPDATE {c.table} SET {c('value')} = %s, "
        f"{c('note')} = CASE WHEN %s THEN %s ELSE {c('note')} END, {c('updated_at')} = %s "
        f"WHERE {c('id')} = %s"
    )
    return Statement(
        sql, [c.field("value"), None, c.field("note"), c.field("updated_at"), c.field("id")]
    )


def checkin_update_orm(*, checkin: Checkin, note_changed: bool) -> None:
    checkin.save(update_fields=["value", *(["note"] if note_changed else []), "updated_at"])


def save_figures(habit: Habit) -> None:
    """Store the habit's figures (`FIGURE_FIELDS`) with `updated_at` now
    (`habit.save(update_fields=…)`). One query."""
    habit.updated_at = timezone.now()
    # The JSON as a save writes it (`get_db_prep_save`: None is SQL NULL, not JSON null).
    state = Habit._meta.get_field("engine_state").get_db_prep_save(habit.engine_state, connection)
    _figures_statement().execute(
        state, *(getattr(habit, name) for name in FIGURE_FIELDS[1:]), habit.updated_at, habit.id
    )


@functools.cache
def _figures_statement() -> Statement:
    h = Columns(Habit)
    names = (*FIGURE_FIELDS, "updated_at")
    sets = ", ".join(f"{h.name(n)} = %s" for n in names)
    sql = f"UPDATE {h.table} SET {sets} WHERE {h('id')} = %s"
    return Statement(sql, [None, *(h.field(n) for n in names[1:]), h.field("id")])


def save_figures_orm(habit: Habit) -> None:
    habit.save(update_fields=[*FIGURE_FIELDS, "updated_at"])


# ---------------------------------------------------------------------------------------------
# A check-in's write and the habit's figures in one statement


def checkin_new(*, habit: Habit, day: date, value: Any, note: str | None) -> Checkin:
    """A check-in not stored yet (`save_figures_with_checkin` inserts it), with the times the
    insert gives it."""
    now = timezone.now()
    return Checkin(
        habit=habit, day=day, value=value, created_at=now, updated_at=now,
        **({} if note is None else {"note": note}),
    )  # fmt: skip


def save_figures_with_checkin(habit: Habit, checkin: Checkin, *, note_changed: bool) -> None:
    """`save_figures` and the check-in's write in one statement (the check-in's `UPDATE` or
    `INSERT` under `WITH figures AS (UPDATE …)`): a check-in with `_state.adding` is inserted
    (its id read back), any other updated. One
    query where `save_figures_with_checkin_orm` takes two."""
    habit.updated_at = timezone.now()
    state = Habit._meta.get_field("engine_state").get_db_prep_save(habit.engine_state, connection)
    figures = (state, *(getattr(habit, name) for name in FIGURE_FIELDS[1:]), habit.updated_at)
    if checkin._state.adding:
        statement = _figures_and_insert_statement()
        with connection.cursor() as cursor:
            cursor.execute(
                statement.sql,
                statement.params(
                    *figures, habit.id,
                    habit.id, checkin.day, checkin.value, checkin.note, checkin.created_at,
                    checkin.updated_at,
                ),
            )  # fmt: skip
            (checkin.id,) = cursor.fetchone()
        checkin._state.adding = False
        checkin._state.db = DEFAULT_DB_ALIAS
        return
    checkin.updated_at = timezone.now()
    _figures_and_update_statement().execute(
        *figures, habit.id,
        checkin.value, note_changed, checkin.note, checkin.updated_at, checkin.id,
    )  # fmt: skip


def _with_figures(statement: Statement) -> Statement:
    figures = _figures_statement()
    return Statement(
        f"WITH figures AS ({figures.sql}) {statement.sql}", [*figures.fields, *statement.fields]
    )


@functools.cache
def _figures_and_insert_statement() -> Statement:
    return _with_figures(_insert_statement())


@functools.cache
def _figures_and_update_statement() -> Statement:
    return _with_figures(_update_statement())


def save_figures_with_checkin_orm(habit: Habit, checkin: Checkin, *, note_changed: bool) -> None:
    if checkin._state.adding:
        checkin.save(force_insert=True)
    else:
        checkin_update_orm(checkin=checkin, note_changed=note_changed)
    save_figures_orm(habit)
