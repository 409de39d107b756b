"""The hand-written SQL of the analytics reads: every figure of a set of people (or the whole
room) over a period in one statement, beside its ORM twin (`selectors._read_orm`).

Here because `bench/task_analytics.py` showed it pays (the figures in docs/decisions.md): the
twin fetched every daily, monthly and current row of the scope into Python (17,000 rows for a
room's 20 members over 30 days, a year's days for a room), building a UUID and a date per row,
and summed, carried and shaped them there: 15 to 40 ms of CPU per read, while PostgreSQL spent
2 to 5 ms. Here PostgreSQL sums
the rows, carries the running counts with a window, and builds each person's series of days as
JSON; Python parses that one text and shapes the totals. PostgreSQL only (`enabled()`); SQLite,
the embedded default, runs the twin. `tasks/analytics/tests/test_hot_sql.py` runs both on the
same data and requires the same figures. Only the models' own quoted table and column names and
the metric names of `figures` (code constants) are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from cotask_common.statements import Columns
from tasks.analytics.figures import PRIORITIES, RUNNING, STATUSES
from tasks.analytics.models import ROOM, CurrentCount, DayTotals, MonthTotals, TaskFact
from tasks.analytics.services import column_of

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


# One row per wanted person: (user_id, the days' JSON text, created, completed, open at the
# period's start, the days' lead times as JSON objects or None, open by priority…, overdue now).
Row = tuple[Any, ...]


def figure_rows(*, rooms: Collection[UUID], users: Collection[UUID], period: Any) -> list[Row]:
    """The figures' raw values of each of `users` (ROOM: the whole room) summed over `rooms`,
    for `period` (`selectors.Period`): one statement, a row for every wanted person whether or
    not they have rows."""
    now = timezone.now()
    today = now.astimezone(UTC).date()
    params = {
        "rooms": list(rooms),
        "users": list(users),
        "room_user": ROOM,
        "month": period.start.replace(day=1),
        "start": period.start,
        "end": period.end,
        "today": today,
        "this_month": today.replace(day=1),
        "start_of_today": datetime.combine(today, time(0), tzinfo=UTC),
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(), params)
        return cursor.fetchall()


def decode(row: Row) -> tuple[UUID, dict[str, Any]]:
    """A row of `figure_rows`: the person, and the values `selectors._shape` takes."""
    user_id, days, created, completed, open_at_start, lead, *rest = row
    *by_priority, overdue = rest
    return user_id, {
        "series": json.loads(days),
        "created": created,
        "completed": completed,
        "open_at_start": open_at_start,
        "lead": _lead(lead),
        "by_priority": dict(zip(PRIORITIES, by_priority, strict=True)),
        "overdue_today": overdue,
    }


def _lead(days: str | None) -> dict[int, int]:
    """The histogram of the days' lead times (`{"<bucket>": n},…` as the statement joins them)."""
    buckets: dict[str, int] = defaultdict(int)
    for day in json.loads(f"[{days}]") if days else ():
        for bucket, n in day.items():
            buckets[bucket] += n
    return {int(bucket): n for bucket, n in buckets.items()}


@functools.cache
def _statement() -> str:
    d, mo = Columns(DayTotals, "d"), Columns(MonthTotals, "mo")
    c, f = Columns(CurrentCount, "c"), Columns(TaskFact, "f")
    # The running columns (`s_<status>`, `overdue`), summed and carried by name.
    running = [column_of(metric) for metric in RUNNING]
    in_scope = {
        alias: f"{cols('room_id')} = ANY(%(rooms)s::uuid[]) "
        f"AND {cols('user_id')} = ANY(%(users)s::uuid[])"
        for alias, cols in (("d", d), ("mo", mo), ("c", c))
    }
    day_sums = ",\n        ".join(
        f"sum({d(column)})::bigint AS {column}" for column in ("created", "completed", *running)
    )
    base_columns = ", ".join(d(column) for column in running)
    month_columns = ", ".join(mo(column) for column in running)
    base_sums = ",\n        ".join(
        f"coalesce(sum(b.{column}), 0)::bigint AS {column}" for column in running
    )
    carried = ",\n        ".join(
        f"(b.{column} + coalesce(sum(ds.{column}) OVER run, 0))::bigint AS {column}"
        for column in running
    )
    by_status = ", ".join(f"'{status}', s_{status}" for status in STATUSES)
    open_now = ", ".join(
        f"coalesce(sum({c('n')}) FILTER (WHERE {c('metric')} = 'p:{priority}'), 0)::bigint"
        f" AS p{index}"
        for index, priority in enumerate(PRIORITIES)
    )
    priorities = ", ".join(f"'p:{priority}'" for priority in PRIORITIES)
    open_columns = ", ".join(f"coalesce(o.p{index}, 0)" for index in range(len(PRIORITIES)))
    return f"""
    WITH wanted AS (
        SELECT DISTINCT unnest(%(users)s::uuid[]) AS user_id
    ), days AS (
        -- One row per room, person and day, every figure a column.
        SELECT {d("user_id")} AS user_id, {d("day")} AS day,
        {day_sums}
        FROM {d.table} d
        WHERE {in_scope["d"]} AND {d("day")} >= %(start)s AND {d("day")} <= %(end)s
        GROUP BY {d("user_id")}, {d("day")}
    ), base AS (
        -- The running counts before the period: whole months, then the start's month's days.
        SELECT w.user_id,
        {base_sums}
        FROM wanted w LEFT JOIN (
            SELECT {mo("user_id")} AS user_id, {month_columns}
            FROM {mo.table} mo
            WHERE {in_scope["mo"]} AND {mo("month")} < %(month)s
            UNION ALL
            SELECT {d("user_id")}, {base_columns}
            FROM {d.table} d
            WHERE {in_scope["d"]} AND {d("day")} >= %(month)s AND {d("day")} < %(start)s
        ) b ON b.user_id = w.user_id
        GROUP BY w.user_id
    ), series AS (
        SELECT w.user_id, g.day,
        coalesce(ds.created, 0) AS created, coalesce(ds.completed, 0) AS completed,
        {carried}
        FROM wanted w
        CROSS JOIN (
            SELECT generate_series(%(start)s::date, %(end)s::date, interval '1 day')::date AS day
        ) g
        JOIN base b ON b.user_id = w.user_id
        LEFT JOIN days ds ON ds.user_id = w.user_id AND ds.day = g.day
        WINDOW run AS (PARTITION BY w.user_id ORDER BY g.day)
    ), shaped AS (
        SELECT user_id,
               json_agg(json_build_object(
                   'day', day, 'created', created, 'completed', completed,
                   'open', s_pending + s_in_progress, 'overdue', overdue,
                   'by_status', json_build_object({by_status})
               ) ORDER BY day)::text AS days,
               sum(created)::bigint AS created, sum(completed)::bigint AS completed
        FROM series GROUP BY user_id
    ), lead AS (
        -- The days' lead-time objects joined by commas: Python sums them, which costs it
        -- less than expanding and grouping them costs PostgreSQL.
        SELECT {d("user_id")} AS user_id, string_agg({d("lead_times")}::text, ',') AS buckets
        FROM {d.table} d
        WHERE {in_scope["d"]} AND {d("day")} >= %(start)s AND {d("day")} <= %(end)s
          AND {d("lead_times")} <> '{{}}'::jsonb
        GROUP BY {d("user_id")}
    ), now_open AS (
        SELECT {c("user_id")} AS user_id, {open_now}
        FROM {c.table} c
        WHERE {in_scope["c"]} AND {c("metric")} IN ({priorities})
        GROUP BY {c("user_id")}
    ), due AS (
        -- Deadlines of open tasks that passed before today: months, then today's month's days.
        SELECT user_id, sum(due)::bigint AS n FROM (
            SELECT {mo("user_id")} AS user_id, {mo("due")} AS due FROM {mo.table} mo
            WHERE {in_scope["mo"]} AND {mo("month")} < %(this_month)s
            UNION ALL
            SELECT {d("user_id")}, {d("due")} FROM {d.table} d
            WHERE {in_scope["d"]} AND {d("day")} >= %(this_month)s AND {d("day")} < %(today)s
        ) x
        GROUP BY user_id
    ), late AS (
        -- Open tasks whose deadline passed today before now (an index on room, open deadline).
        SELECT {f("assignee_ids")} AS assignee_ids FROM {f.table} f
        WHERE {f("room_id")} = ANY(%(rooms)s::uuid[])
          AND {f("open_deadline")} >= %(start_of_today)s AND {f("open_deadline")} < %(now)s
    ), late_counts AS (
        SELECT user_id, count(*) AS n FROM (
            SELECT a.value::uuid AS user_id
            FROM late CROSS JOIN LATERAL jsonb_array_elements_text(late.assignee_ids) a
            UNION ALL
            SELECT %(room_user)s::uuid FROM late
        ) l
        GROUP BY user_id
    )
    SELECT w.user_id, s.days, s.created, s.completed,
           (b.s_pending + b.s_in_progress)::bigint, l.buckets,
           {open_columns},
           (coalesce(du.n, 0) + coalesce(lc.n, 0))::bigint
    FROM wanted w
    JOIN shaped s ON s.user_id = w.user_id
    JOIN base b ON b.user_id = w.user_id
    LEFT JOIN lead l ON l.user_id = w.user_id
    LEFT JOIN now_open o ON o.user_id = w.user_id
    LEFT JOIN due du ON du.user_id = w.user_id
    LEFT JOIN late_counts lc ON lc.user_id = w.user_id
    """
