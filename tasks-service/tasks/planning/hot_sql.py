"""The hand-written SQL of tasks-service: a board move by drag and drop (`before_id`/`after_id`),
each statement beside its ORM twin.

A statement is here only because a benchmark showed it pays (`bench/tasks_board.py
--in-process`, the figures in docs/decisions.md): a move's ORM queries cost more CPU to compile
than PostgreSQL spent running them, and each was a round trip under the room's lock. PostgreSQL
only (`enabled()`); SQLite, the embedded default, runs the twins. The twins are what
`services.move_task` ran before, and `tasks/planning/tests/test_hot_sql.py` runs both on the same
data and requires the same answer, rows, history and events. Only the models' own quoted table
and column names are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F, OuterRef, Subquery

from cotask_common.statements import Columns, Statement
from cotask_common.users.models import UserRef
from tasks.planning.models import Assignment, Dependency, Status, Task, TaskChange
from tasks.rooms.models import Label, Membership, Room

# Switched off by the parity tests to run the ORM twins on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


# ---------------------------------------------------------------------------------------------
# The room's lock, by the task's id


def lock_room_of_task(*, task_id: UUID) -> bool:
    """Lock the task's room (raising its version: its cached pages are not served again).
    False: no such task. Its own statement: the reads after it must see what the writers
    before us committed, and a statement's snapshot is taken before it waits for a lock."""
    return _lock_statement().execute(task_id) > 0


@functools.cache
def _lock_statement() -> Statement:
    r, t = Columns(Room), Columns(Task)
    sql = (
        f"UPDATE {r.table} SET {r.name('version')} = {r.name('version')} + 1 "
        f"WHERE {r.name('id')} = (SELECT {t.name('room')} FROM {t.table} "
        f"WHERE {t.name('id')} = %s)"
    )
    return Statement(sql, [t.field("id")])


def lock_room_of_task_orm(*, task_id: UUID) -> bool:
    room_of_task = Task.objects.filter(id=task_id).values("room_id")[:1]
    return bool(Room.objects.filter(id=Subquery(room_of_task)).update(version=F("version") + 1))


# ---------------------------------------------------------------------------------------------
# The moved task, the mover's role, the anchor with its neighbour, the answer's related lists


def move_read(
    *, task_id: UUID, actor_id: UUID, status: str, anchor_id: UUID, before: bool
) -> Task | None:
    """The task as its JSON shows it (room, creator and completer names, subtask counts,
    `is_blocked`, and its assignees, labels and blockers as `shown_*` values, sorted as
    `selectors.attach_related_values` sorts them), with `actor_role` (None: not a member) and
    `slot`: the anchor and the task next to it on the `before` side, by (position, id), as
    [(id, position)] — at most two, the anchor first when it is in the column. One query."""
    rows = _read_statement(before).fetch(
        Task, actor_id, status, anchor_id, status, anchor_id, task_id
    )  # the role's user; the column, the anchor (in the column), the anchor's id; the task
    if not rows:
        return None
    task = rows[0]
    extra: Any = task
    task.room = Room(
        id=task.room_id,
        name=extra.room_name,
        kind=extra.room_kind,
        share_progress=extra.room_share_progress,
        private=extra.room_private,
    )
    if task.creator_id is not None:
        task.creator = UserRef(id=task.creator_id, username=extra.creator_username)
    if task.completed_by_id is not None:
        task.completed_by = UserRef(id=task.completed_by_id, username=extra.completer_username)
    extra.slot = [(UUID(i), p) for i, p in extra.slot_rows or []]
    extra.shown_assignees = sorted(
        ({"id": str(i), "username": name} for i, name in extra.assignee_rows or []),
        key=lambda a: a["username"],
    )
    extra.shown_labels = sorted(
        ({"id": str(i), "name": name, "color": color} for i, name, color in extra.label_rows or []),
        key=lambda label: label["name"].lower(),
    )
    extra.shown_blockers = [
        {"id": str(i), "title": title, "status": status}
        for i, title, status in extra.blocker_rows or []
    ]
    return task


@functools.cache
def _read_statement(before: bool) -> Statement:
    t, s, n, a = Columns(Task, "t"), Columns(Task, "s"), Columns(Task, "n"), Columns(Task, "a")
    b = Columns(Task, "b")
    r, m, d = Columns(Room, "r"), Columns(Membership, "m"), Columns(Dependency, "d")
    asg, lab = Columns(Assignment, "x"), Columns(Label, "l")
    tl = Task.labels.through
    tl_table = connection.ops.quote_name(tl._meta.db_table)
    tl_task = connection.ops.quote_name(tl._meta.get_field("task").column)
    tl_label = connection.ops.quote_name(tl._meta.get_field("label").column)
    u = Columns(UserRef, "u")
    users = Columns(UserRef).table
    done = Status.COMPLETED.value
    # The anchor's side: the same bounds as the ORM twin (a plain <=/>= lets the board index
    # start at the anchor).
    cmp, order = ("<", "DESC") if before else (">", "ASC")
    sql = (
        f"SELECT {t.all()}, {r('name')} AS room_name, {r('kind')} AS room_kind, "
        f"{r('share_progress')} AS room_share_progress, {r('private')} AS room_private, "
        f"(SELECT {m('role')} FROM {m.table} m WHERE {m('room')} = {t('room')} "
        f"AND {m('user')} = %s) AS actor_role, "
        f"cu.{u.name('username')} AS creator_username, "
        f"ku.{u.name('username')} AS completer_username, "
        f"(SELECT count(*) FROM {s.table} s WHERE {s('parent')} = {t('id')}) AS subtasks_total, "
        f"(SELECT count(*) FROM {s.table} s WHERE {s('parent')} = {t('id')} "
        f"AND {s('status')} = '{done}') AS subtasks_done, "
        f"COALESCE((SELECT true FROM {d.table} d JOIN {b.table} b ON {b('id')} = {d('blocked_by')}"
        f" WHERE {d('task')} = {t('id')} AND NOT {b('status')} = '{done}' LIMIT 1), false)"
        " AS is_blocked, "
        f"(SELECT json_agg(json_build_array(p.id, p.position) "
        f"ORDER BY p.position {order}, p.id {order}) FROM ("
        f"SELECT {n('id')} AS id, {n('position')} AS position FROM {n.table} n "
        f"WHERE {n('room')} = {t('room')} AND {n('status')} = %s AND {n('id')} <> {t('id')} "
        f"AND ({n('position')}, {n('id')}) {cmp}= ((SELECT {a('position')} FROM {a.table} a "
        f"WHERE {a('id')} = %s AND {a('room')} = {t('room')} AND {a('status')} = %s "
        f"AND {a('id')} <> {t('id')}), %s) "
        f"ORDER BY {n('position')} {order}, {n('id')} {order} LIMIT 2) p) AS slot_rows, "
        f"(SELECT json_agg(json_build_array({asg('user')}, {u('username')})) "
        f"FROM {asg.table} x JOIN {users} u ON {u('id')} = {asg('user')} "
        f"WHERE {asg('task')} = {t('id')}) AS assignee_rows, "
        f"(SELECT json_agg(json_build_array({lab('id')}, {lab('name')}, {lab('color')})) "
        f"FROM {tl_table} tl JOIN {lab.table} l ON {lab('id')} = tl.{tl_label} "
        f"WHERE tl.{tl_task} = {t('id')}) AS label_rows, "
        f"(SELECT json_agg(json_build_array({d('blocked_by')}, {b('title')}, {b('status')})) "
        f"FROM {d.table} d JOIN {b.table} b ON {b('id')} = {d('blocked_by')} "
        f"WHERE {d('task')} = {t('id')}) AS blocker_rows "
        f"FROM {t.table} t JOIN {r.table} r ON {r('id')} = {t('room')} "
        f"LEFT JOIN {users} cu ON cu.{u.name('id')} = {t('creator')} "
        f"LEFT JOIN {users} ku ON ku.{u.name('id')} = {t('completed_by')} "
        f"WHERE {t('id')} = %s"
    )
    uuid_field = t.field("id")
    status_field = t.field("status")
    fields = [uuid_field, status_field, uuid_field, status_field, uuid_field, uuid_field]
    # (the role's user; the column; the anchor, in the column; the anchor's id; the task)
    return Statement(sql, fields)


def move_read_orm(
    *, task_id: UUID, actor_id: UUID, status: str, anchor_id: UUID, before: bool
) -> Task | None:
    """The twin: the task as `selectors.task_queryset` reads it with the role as a subquery,
    the anchor's neighbourhood as `services` read it, the related lists as the lists attach
    them."""
    from tasks.planning import selectors

    role = Membership.objects.filter(room_id=OuterRef("room_id"), user_id=actor_id).values("role")
    task = (
        selectors.task_queryset()
        .prefetch_related(None)
        .annotate(actor_role=Subquery(role[:1]))
        .filter(id=task_id)
        .first()
    )
    if task is None:
        return None
    extra: Any = task
    column = Task.objects.filter(room_id=task.room_id, status=status).exclude(id=task.id)
    at = Subquery(column.filter(id=anchor_id).values("position")[:1])
    if before:
        rows = column.filter(position__lte=at).exclude(position=at, id__gt=anchor_id)
        rows = rows.order_by("-position", "-id")
    else:
        rows = column.filter(position__gte=at).exclude(position=at, id__lt=anchor_id)
        rows = rows.order_by("position", "id")
    extra.slot = list(rows.values_list("id", "position")[:2])
    selectors.attach_related_values([task])
    return task


# ---------------------------------------------------------------------------------------------
# The write: the moved row and its history lines


def move_write(*, task: Task, rows: list[TaskChange]) -> None:
    """Write the task's status, position, completion and `updated_at`, and its history `rows`
    (0-2: status, position) in one statement."""
    values: list[Any] = [
        task.status,
        task.position,
        task.completed_at,
        task.completed_by_id,
        task.updated_at,
        task.id,
    ]
    for row in rows:
        values += [
            row.id,
            row.task_id,
            row.actor_id,
            row.field,
            row.before,
            row.after,
            row.created_at,
        ]
    _write_statement(len(rows)).execute(*values)


@functools.cache
def _write_statement(lines: int) -> Statement:
    t, c = Columns(Task), Columns(TaskChange)
    names = ("status", "position", "completed_at", "completed_by", "updated_at")
    update = (
        f"UPDATE {t.table} SET "
        + ", ".join(f"{t.name(name)} = %s" for name in names)
        + f" WHERE {t.name('id')} = %s"
    )
    fields = [t.field(name) for name in (*names, "id")]
    if not lines:
        return Statement(update, fields)
    history = ("id", "task", "actor", "field", "before", "after", "created_at")
    row = "(" + ", ".join(["%s"] * len(history)) + ")"
    sql = (
        f"WITH moved AS ({update} RETURNING 1) "
        f"INSERT INTO {c.table} ({', '.join(c.name(name) for name in history)}) "
        f"VALUES {', '.join([row] * lines)}"
    )
    return Statement(sql, fields + [c.field(name) for name in history] * lines)


def move_write_orm(*, task: Task, rows: list[TaskChange]) -> None:
    Task.objects.filter(id=task.id).update(
        status=task.status,
        position=task.position,
        completed_at=task.completed_at,
        completed_by=task.completed_by_id,
        updated_at=task.updated_at,
    )
    TaskChange.objects.bulk_create(rows)
