"""Keeping the aggregates: one task event at a time (the consumer, tasks/analytics/events.py),
or all of them again from the tasks tables (`rebuild`, the `tasks_analytics_rebuild` command).

Both go through `figures.contributions`: an event changes the task's fact row and adds the
difference between the task's contribution after and before; the rebuild adds every task's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cotask_common.events.envelope import Event
from tasks.analytics.figures import (
    Fact,
    contributions,
    deadline_of,
    difference,
    lead_buckets,
    lead_pairs,
)
from tasks.analytics.models import CurrentCount, DayTotals, FiguresVersion, MonthTotals, TaskFact

TASK_EVENTS = (
    "tasks.task.created",
    "tasks.task.assigned",
    "tasks.task.unassigned",
    "tasks.task.status_changed",
    "tasks.task.completed",
    "tasks.task.updated",
    "tasks.task.deleted",
)
# Rows per statement when writing many (the rebuild).
CHUNK = 500
# The additive columns of `DayTotals` and of `MonthTotals` (hot_sql and the twin read them).
DAY_COLUMNS = (
    "created", "completed", "s_pending", "s_in_progress", "s_completed", "overdue", "due",
)  # fmt: skip
MONTH_COLUMNS = ("s_pending", "s_in_progress", "s_completed", "overdue", "due")
DUE = DAY_COLUMNS.index("due")


# ---------------------------------------------------------------------------------------------
# Facts <-> rows


def _uuid(value: Any) -> UUID | None:
    return None if value in (None, "") else UUID(str(value))


def _moment(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime) else parse_datetime(str(value))


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:  # not the `YYYY-MM-DD` the contract names: as if there were none
        return None


def fact_of(row: TaskFact) -> Fact:
    return Fact(
        task_id=row.task_id,
        room_id=row.room_id,
        creator_id=row.creator_id,
        status=row.status,
        priority=row.priority,
        assignee_ids=[UUID(i) for i in row.assignee_ids],
        created_at=row.created_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
        deadline=row.deadline,
        statuses=[(_moment(at), status) for at, status in row.statuses],  # type: ignore[misc]
    )


def row_of(fact: Fact, *, as_of: datetime | None = None) -> TaskFact:
    return TaskFact(
        task_id=fact.task_id,
        room_id=fact.room_id,
        creator_id=fact.creator_id,
        status=fact.status,
        priority=fact.priority,
        assignee_ids=sorted(str(i) for i in fact.assignee_ids),
        created_at=fact.created_at,
        completed_at=fact.completed_at,
        completed_by=fact.completed_by,
        deadline=fact.deadline,
        open_deadline=fact.deadline if fact.is_open else None,
        statuses=[[at.isoformat(), status] for at, status in fact.statuses],
        as_of=as_of,
    )


# ---------------------------------------------------------------------------------------------
# Writing counts


def _add(
    model: type[DayTotals | CurrentCount | MonthTotals | FiguresVersion],
    keys: list[str],
    values: list[str],
    rows: list[tuple],
    *,
    inserted: tuple[str, ...] = (),
) -> None:
    """`INSERT … ON CONFLICT (keys) DO UPDATE SET v = v + excluded.v` (each of `values`) for
    many rows at once (PostgreSQL and SQLite alike), in key order so two consumers lock rows in
    the same order. `inserted` columns (last in each row) are written by an insert only."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = [*keys, *values, *inserted]
    fields: list[Any] = [meta.get_field(name) for name in names]  # concrete columns only
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(f.column) for f in fields[: len(keys)])
    sums = ", ".join(
        f"{quote(f.column)} = {table}.{quote(f.column)} + excluded.{quote(f.column)}"
        for f in fields[len(keys) : len(keys) + len(values)]
    )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = [
            f.get_db_prep_save(value, connection)
            for row in chunk
            for f, value in zip(fields, row, strict=True)
        ]
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))} "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sums}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def column_of(metric: str) -> str:
    """The `DayTotals`/`MonthTotals` column of a daily metric of `figures` (`s:pending` →
    `s_pending`)."""
    return metric.replace("s:", "s_")


def apply_amounts(amounts: dict[Any, int], *, fresh: bool = False) -> None:
    """Add `figures.contributions`-shaped amounts to the count tables: a daily metric to its
    column of the day's `DayTotals` row (`lt:<bucket>` to its `lead_pairs`), `due:<day>` to that
    day's `due`, the running columns and `due` to their month's `MonthTotals` row too, and
    `p:<priority>` to `CurrentCount`. `fresh`: the tables are empty (the rebuild), so the lead
    times go in with the insert; otherwise they are merged into the locked row afterwards."""
    days: dict[tuple, list[int]] = {}
    lead: dict[tuple, Counter[int]] = defaultdict(Counter)
    current: list[tuple] = []
    for (kind, room, user, *rest), n in amounts.items():
        if kind == "d":
            day, metric = rest
            row = days.setdefault((room, user, day), [0] * len(DAY_COLUMNS))
            if metric.startswith("lt:"):
                lead[room, user, day][int(metric[3:])] += n
            else:
                row[DAY_COLUMNS.index(column_of(metric))] += n
        elif rest[0].startswith("due:"):
            day = date.fromisoformat(rest[0][4:])
            days.setdefault((room, user, day), [0] * len(DAY_COLUMNS))[DUE] += n
        else:
            current.append((room, user, rest[0], n))
    months: dict[tuple, list[int]] = {}
    for (room, user, day), values in days.items():
        month = months.setdefault((room, user, day.replace(day=1)), [0] * len(MONTH_COLUMNS))
        for index, column in enumerate(MONTH_COLUMNS):
            month[index] += values[DAY_COLUMNS.index(column)]

    def lead_of(key: tuple) -> str:
        return lead_pairs(lead.get(key, {}))

    _add(
        DayTotals,
        ["room_id", "user_id", "day"],
        list(DAY_COLUMNS),
        [(*key, *values, lead_of(key) if fresh else "") for key, values in sorted(days.items())],
        inserted=("lead_pairs",),
    )
    _add(CurrentCount, ["room_id", "user_id", "metric"], ["n"], sorted(current))
    _add(
        MonthTotals,
        ["room_id", "user_id", "month"],
        list(MONTH_COLUMNS),
        [(*key, *values) for key, values in sorted(months.items()) if any(values)],
    )
    if fresh:
        return
    for (room, user, day), change in sorted(lead.items()):
        if not any(change.values()):
            continue
        # The upsert above locked the row (PostgreSQL; SQLite has one writer at a time).
        totals = DayTotals.objects.select_for_update().get(room_id=room, user_id=user, day=day)
        merged: Counter[int] = Counter(lead_buckets(totals.lead_pairs))
        merged.update(change)  # adds, negative amounts too
        totals.lead_pairs = lead_pairs(merged)
        totals.save(update_fields=["lead_pairs"])


def touch(room_ids: Iterable[UUID]) -> None:
    """Raise the rooms' `FiguresVersion` in the writer's transaction: their cached answers
    (`answers`) are not served again. Last of a write's locks (after the totals' rows), so
    every writer takes them in the same order."""
    _add(FiguresVersion, ["room_id"], ["version"], [(room, 1) for room in sorted(set(room_ids))])


# ---------------------------------------------------------------------------------------------
# Live: one event


def _new_fact(event: Event) -> Fact:
    data = event.data
    status = data["status"]
    creator = _uuid(data["creator_id"])
    done = status == "completed"
    return Fact(
        task_id=UUID(str(data["task_id"])),
        room_id=UUID(str(data["room_id"])),
        creator_id=creator,
        status=status,
        priority=data["priority"],
        assignee_ids=sorted({UUID(str(i)) for i in data.get("assignee_ids") or ()}),
        created_at=event.occurred_at,
        completed_at=event.occurred_at if done else None,
        completed_by=creator if done else None,
        deadline=deadline_of(
            due_date=_date(data.get("due_date")), due_at=_moment(data.get("due_at"))
        ),
        statuses=[(event.occurred_at, status)],
    )


def _change(fact: Fact, event: Event) -> None:
    """Apply a task event (but created and deleted) to the fact."""
    data = event.data
    if event.type == "tasks.task.assigned":
        fact.assignee_ids = sorted(
            set(fact.assignee_ids) | {UUID(str(i)) for i in data["assignee_ids"]}
        )
    elif event.type == "tasks.task.unassigned":
        gone = {UUID(str(i)) for i in data["assignee_ids"]}
        fact.assignee_ids = [i for i in fact.assignee_ids if i not in gone]
    elif event.type == "tasks.task.status_changed":
        status = data["status"]
        if status == fact.status:
            return
        fact.statuses.append((event.occurred_at, status))
        fact.status = status
        if status == "completed":
            # `tasks.task.completed` follows with the exact moment and person.
            fact.completed_at, fact.completed_by = event.occurred_at, _uuid(data["actor_id"])
        else:
            fact.completed_at, fact.completed_by = None, None
    elif event.type == "tasks.task.completed":
        if fact.status == "completed":
            fact.completed_at = _moment(data["completed_at"])
            fact.completed_by = _uuid(data["completed_by"])
    elif event.type == "tasks.task.updated":
        fact.priority = data["priority"]
        fact.deadline = deadline_of(
            due_date=_date(data.get("due_date")), due_at=_moment(data.get("due_at"))
        )


def apply_task_event(event: Event) -> None:
    """Keep the task's fact row and the counts up to date with one of its events. Idempotence
    is the consumer's (one ProcessedEvent per event id); events of a task come in order (the
    task id is the key). An event of a task not known here (created before the rebuild
    caught up, or already deleted) changes nothing; nor does one older than the rebuild that
    wrote the task's row (the tables already had its change)."""
    task_id = _uuid(event.data.get("task_id")) or _uuid(event.key)
    if task_id is None:
        return
    row = TaskFact.objects.select_for_update().filter(task_id=task_id).first()
    if row is not None and row.as_of is not None and event.occurred_at <= row.as_of:
        return
    if event.type == "tasks.task.created":
        if row is not None:
            return
        fact = _new_fact(event)
        TaskFact.objects.bulk_create([row_of(fact)])
        apply_amounts(dict(contributions(fact)))
        touch([fact.room_id])
        return
    if row is None:
        return
    fact = fact_of(row)
    before = contributions(fact)
    if event.type == "tasks.task.deleted":
        row.delete()
        apply_amounts({key: -n for key, n in before.items()})
        touch([fact.room_id])
        return
    _change(fact, event)
    after = contributions(fact)
    row_of(fact, as_of=row.as_of).save()
    apply_amounts(difference(before, after))
    # Even without a changed amount: the fact row is what "overdue now" reads today.
    touch([fact.room_id])


def forget_room(*, room_id: UUID) -> None:
    """A deleted room takes its figures with it (its tasks publish no `deleted` of their own)."""
    for model in (TaskFact, DayTotals, CurrentCount, MonthTotals):
        model.objects.filter(room_id=room_id).delete()
    touch([room_id])


# ---------------------------------------------------------------------------------------------
# Rebuild from the tasks tables


def facts_from_tasks() -> Iterator[Fact]:
    """Every task as a fact, read from the tasks tables: the task row, its assignments and
    its history (`created` gives the first status, each `status` line a change)."""
    from tasks.planning.models import Assignment, Task, TaskChange
    from tasks.planning.services import priority_name

    tasks = Task.objects.order_by("id").values_list(
        "id", "room_id", "creator_id", "status", "priority", "created_at", "completed_at",
        "completed_by_id", "due_date", "due_at",
    )  # fmt: skip
    last: UUID | None = None
    while True:
        page = list(tasks.filter(id__gt=last)[:2000] if last else tasks[:2000])
        if not page:
            return
        last = page[-1][0]
        ids = [row[0] for row in page]
        assignees: dict[UUID, list[UUID]] = defaultdict(list)
        for task_id, user_id in Assignment.objects.filter(task_id__in=ids).values_list(
            "task_id", "user_id"
        ):
            assignees[task_id].append(user_id)
        history: dict[UUID, list[tuple[datetime, str]]] = defaultdict(list)
        changes = (
            TaskChange.objects.filter(task_id__in=ids, field__in=("created", "status"))
            .order_by("task_id", "created_at", "id")
            .values_list("task_id", "field", "before", "after", "created_at")
        )
        first: dict[UUID, Any] = {}
        for task_id, field_name, before, after, at in changes:
            if field_name == "created":
                first[task_id] = (after or {}).get("status")
            else:
                first.setdefault(task_id, before)
                history[task_id].append((at, str(after)))
        for task_id, room_id, creator, status, priority, created, completed, by, dd, da in page:
            # Without a `created` line (older data): the first change's `before`, else the
            # current status.
            statuses = [(created, first.get(task_id) or status)]
            for at, value in history[task_id]:
                if value != statuses[-1][1]:
                    statuses.append((at, value))
            yield Fact(
                task_id=task_id,
                room_id=room_id,
                creator_id=creator,
                status=status,
                priority=priority_name(priority),
                assignee_ids=sorted(assignees[task_id]),
                created_at=created,
                completed_at=completed if status == "completed" else None,
                completed_by=by if status == "completed" else None,
                deadline=deadline_of(due_date=dd, due_at=da),
                statuses=statuses,
            )


def rebuild(*, facts: Iterable[Fact] | None = None) -> dict[str, int]:
    """Drop the aggregates and compute them again from the tasks tables, in one transaction
    (readers see the old figures until it commits). Returns how many rows each table got."""
    as_of = timezone.now()
    with transaction.atomic():
        for model in (TaskFact, DayTotals, CurrentCount, MonthTotals):
            model.objects.all().delete()
        totals: Counter[Any] = Counter()
        rows: list[TaskFact] = []
        count = 0
        for fact in facts if facts is not None else facts_from_tasks():
            totals.update(contributions(fact))
            rows.append(row_of(fact, as_of=as_of))
            count += 1
            if len(rows) >= CHUNK:
                TaskFact.objects.bulk_create(rows)
                rows = []
        TaskFact.objects.bulk_create(rows)
        apply_amounts({key: n for key, n in totals.items() if n}, fresh=True)
        # Every room's cached answers go, those of rooms now without tasks too.
        touch({*FiguresVersion.objects.values_list("room_id", flat=True),
               *TaskFact.objects.values_list("room_id", flat=True).distinct()})  # fmt: skip
    return {
        "tasks": count,
        "daily_rows": DayTotals.objects.count(),
        "current_rows": CurrentCount.objects.count(),
    }
