"""The hand-written SQL of the agenda: the person's task rows in one statement, beside its ORM
twin.

Here because `bench/agenda.py` showed it pays (the figures in docs/decisions.md): PostgreSQL
ran the tasks query in about 2 ms, but compiling the three ORM querysets (the rooms, the planned
days, the tasks with their `union` of candidates) cost the request more CPU than that. One
prepared statement reads the rooms, the planned days and the tasks, and returns plain tuples.
PostgreSQL only (`enabled()`); SQLite, the embedded default, runs the twin, which is what
`selectors` ran before. `tasks/agenda/tests/test_hot_sql.py` runs both on the same data and
requires the same rows. Only the models' own quoted table and column names are interpolated;
every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from datetime import date, datetime
from uuid import UUID

import orjson
from django.db import connection
from django.db.models import Q

from cotask_common.statements import Columns, Statement
from tasks.agenda.models import CardsOutlook, CheckinEntry, HabitEntry, PlannedDay
from tasks.planning.models import Assignment, Status, Task
from tasks.rooms.models import Membership, Room, RoomKind

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True

# The tasks an agenda shows at most (the nearest deadlines first).
MAX_TASKS = 1000

# (id, title, status, priority, due_date, due_at, estimate_minutes, room_id, room_kind,
#  room_name, planned_day)
TaskRow = tuple[
    UUID, str, str, int, date | None, datetime | None, int | None, UUID, str, str, date | None
]


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


def task_rows(
    *, user_id: UUID, last: date, end: datetime, since: tuple[date, datetime] | None
) -> list[TaskRow]:
    """The person's open tasks with a deadline up to `last` (a `due_at` before `end`) — from
    `since` (its day, its instant) when given — or none but a planned day up to `last`; by
    `due_sort`, priority (highest first), id; at most MAX_TASKS. Each with its room's id, kind
    and name and its planned day. One query."""
    statement = _task_statement()
    ignore_since = since is None
    first, first_at = since if since is not None else (last, end)
    with connection.cursor() as cursor:
        cursor.execute(
            statement.sql,
            statement.params(
                user_id, user_id, user_id, last, user_id, user_id,
                last, end, ignore_since, first, first_at, MAX_TASKS,
            ),
        )  # fmt: skip
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


@functools.cache
def _task_statement() -> Statement:
    r, m = Columns(Room, "r"), Columns(Membership, "m")
    t, a = Columns(Task, "t"), Columns(Assignment, "a")
    p = Columns(PlannedDay, "p")
    sql = f"""
    WITH rooms AS (
        SELECT {r("id")} AS id, {r("kind")} AS kind, {r("owner")} AS owner_id, {r("name")} AS name
        FROM {r.table} r JOIN {m.table} m ON {m("room")} = {r("id")}
        WHERE {m("user")} = %s
    ), space AS (
        SELECT id FROM rooms WHERE kind = '{RoomKind.PERSONAL.value}' AND owner_id = %s LIMIT 1
    ), planned AS (
        SELECT {p("task")} AS task_id, {p("day")} AS day FROM {p.table} p
        WHERE {p("user")} = %s AND {p("day")} <= %s
    ), ids AS (
        SELECT {a("task")} AS id FROM {a.table} a WHERE {a("user")} = %s
        UNION
        SELECT {t("id")} FROM {t.table} t
        WHERE {t("creator")} = %s AND {t("room")} IN (SELECT id FROM rooms)
          AND NOT EXISTS (SELECT 1 FROM {a.table} a WHERE {a("task")} = {t("id")})
        UNION
        SELECT {t("id")} FROM {t.table} t WHERE {t("room")} IN (SELECT id FROM space)
    )
    SELECT {t("id")}, {t("title")}, {t("status")}, {t("priority")}, {t("due_date")},
           {t("due_at")}, {t("estimate_minutes")}, rooms.id, rooms.kind, rooms.name, planned.day
    FROM {t.table} t
    JOIN rooms ON rooms.id = {t("room")}
    LEFT JOIN planned ON planned.task_id = {t("id")}
    WHERE {t("id")} IN (SELECT id FROM ids) AND NOT ({t("status")} = '{Status.COMPLETED.value}')
      AND (
        (({t("due_date")} <= %s OR {t("due_at")} < %s)
         AND (%s OR {t("due_date")} >= %s OR {t("due_at")} >= %s))
        OR ({t("due_date")} IS NULL AND {t("due_at")} IS NULL AND planned.task_id IS NOT NULL)
      )
    ORDER BY {t("due_sort")} ASC, {t("priority")} DESC, {t("id")} ASC
    LIMIT %s
    """
    pf, tf = Columns(PlannedDay), Columns(Task)
    return Statement(
        sql,
        [
            Columns(Membership).field("user"),
            Columns(Room).field("owner"),
            pf.field("user"),
            pf.field("day"),
            Columns(Assignment).field("user"),
            tf.field("creator"),
            tf.field("due_date"),
            tf.field("due_at"),
            None,
            tf.field("due_date"),
            tf.field("due_at"),
            None,
        ],
    )


def task_rows_orm(
    *, user_id: UUID, last: date, end: datetime, since: tuple[date, datetime] | None
) -> list[TaskRow]:
    """`task_rows` by the ORM: three queries (the rooms, the planned days, the tasks)."""
    rooms = {
        i: (kind, owner, name)
        for i, kind, owner, name in Room.objects.filter(memberships__user_id=user_id).values_list(
            "id", "kind", "owner_id", "name"
        )
    }
    if not rooms:
        return []
    space = next(
        (
            i
            for i, (kind, owner, _n) in rooms.items()
            if kind == RoomKind.PERSONAL and owner == user_id
        ),
        None,
    )
    planned = dict(
        PlannedDay.objects.filter(user_id=user_id, day__lte=last).values_list("task_id", "day")
    )
    window = Q(due_date__lte=last) | Q(due_at__lt=end)
    if since is not None:
        window &= Q(due_date__gte=since[0]) | Q(due_at__gte=since[1])
    undated = Q(due_date__isnull=True, due_at__isnull=True, id__in=list(planned))
    # The selectors' own definition of "my tasks" (imported here: the selectors import this).
    from tasks.agenda.selectors import my_tasks

    rows = (
        my_tasks(user_id=user_id, rooms=list(rooms), space=space)
        .filter(window | undated)
        .order_by("due_sort", "-priority", "id")
        .values_list(
            "id", "title", "status", "priority", "due_date", "due_at", "estimate_minutes", "room_id"
        )[:MAX_TASKS]
    )
    return [
        (*row, rooms[row[7]][0], rooms[row[7]][2], planned.get(row[0]))  # type: ignore[misc]
        for row in rows
    ]


def habits(*, user_id: UUID, first: date, last: date) -> list[HabitEntry]:
    """The person's live habits started by `last` (by name, id), each with `done_days`: the
    days from `first` to `last` it was done on, in order. One query."""
    return _habit_statement().fetch(HabitEntry, first, last, user_id, last)


@functools.cache
def _habit_statement() -> Statement:
    h, c = Columns(HabitEntry, "h"), Columns(CheckinEntry, "c")
    sql = f"""
    SELECT {h.all()}, ARRAY(
        SELECT {c("day")} FROM {c.table} c
        WHERE {c("owner_id")} = {h("owner_id")} AND {c("habit_id")} = {h("habit_id")}
          AND {c("day")} >= %s AND {c("day")} <= %s AND {c("done")}
        ORDER BY {c("day")}
    ) AS done_days
    FROM {h.table} h
    WHERE {h("owner_id")} = %s AND NOT {h("deleted")} AND NOT {h("archived")}
      AND {h("start_date")} <= %s
    ORDER BY {h("name")} ASC, {h("habit_id")} ASC
    """
    cf, hf = Columns(CheckinEntry), Columns(HabitEntry)
    return Statement(
        sql, [cf.field("day"), cf.field("day"), hf.field("owner_id"), hf.field("start_date")]
    )


def habits_orm(*, user_id: UUID, first: date, last: date) -> list[HabitEntry]:
    """`habits` by the ORM: two queries (the habits, the check-ins)."""
    rows = list(
        HabitEntry.objects.filter(
            owner_id=user_id, deleted=False, archived=False, start_date__lte=last
        ).order_by("name", "habit_id")
    )
    done: dict[UUID, list[date]] = {}
    for habit_id, day in (
        CheckinEntry.objects.filter(owner_id=user_id, day__gte=first, day__lte=last, done=True)
        .order_by("day")
        .values_list("habit_id", "day")
    ):
        done.setdefault(habit_id, []).append(day)
    for row in rows:
        row.done_days = done.get(row.habit_id, [])  # type: ignore[attr-defined]
    return rows


def cards_outlook(*, user_id: UUID) -> tuple[dict[str, int], int | None] | None:
    """The person's cards forecast (`{"YYYY-MM-DD": cards}`) and answer pace (ms per answer,
    None: no answers yet); None without a forecast. One query."""
    statement = _outlook_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(user_id))
        row = cursor.fetchone()
    if row is None:
        return None
    days, answer_ms = row
    # The driver hands jsonb over as text (Django leaves decoding to the field).
    return (orjson.loads(days) if isinstance(days, str | bytes) else days), answer_ms


@functools.cache
def _outlook_statement() -> Statement:
    o = Columns(CardsOutlook)
    sql = f"SELECT {o('days')}, {o('answer_ms')} FROM {o.table} WHERE {o('owner_id')} = %s"
    return Statement(sql, [o.field("owner_id")])


def cards_outlook_orm(*, user_id: UUID) -> tuple[dict[str, int], int | None] | None:
    """`cards_outlook` by the ORM."""
    return CardsOutlook.objects.filter(owner_id=user_id).values_list("days", "answer_ms").first()
