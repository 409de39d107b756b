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
from collections.abc import Collection
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from cotask_common.statements import Columns
from tasks.analytics.figures import PRIORITIES, RUNNING, STATUSES
from tasks.analytics.models import ROOM, CurrentCount, DailyCount, MonthlyCount, TaskFact

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


# One row per wanted person: (user_id, the days' JSON text, created, completed, open at the
# period's start, lead-time histogram JSON text or None, open by priority…, overdue now).
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
        "today": today.isoformat(),
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
        "lead": {bucket: n for bucket, n in json.loads(lead)} if lead else {},
        "by_priority": dict(zip(PRIORITIES, by_priority, strict=True)),
        "overdue_today": overdue,
    }


def _sum_of(metric: str, alias: str, *, column: str = "metric", value: str = "n") -> str:
    return f"coalesce(sum({value}) FILTER (WHERE {column} = '{metric}'), 0)::bigint AS {alias}"


@functools.cache
def _statement() -> str:
    d, mo = Columns(DailyCount, "d"), Columns(MonthlyCount, "mo")
    c, f = Columns(CurrentCount, "c"), Columns(TaskFact, "f")
    # The running metrics (`s:<status>`, `overdue`) as columns, named s_<status> and overdue.
    running = [(metric, metric.replace("s:", "s_")) for metric in RUNNING]
    day_sums = ",\n        ".join(
        _sum_of(metric, alias) for metric, alias in [("created", "created"),
                                                     ("completed", "completed"), *running]
    )  # fmt: skip
    day_metrics = ", ".join(f"'{metric}'" for metric in ("created", "completed", *RUNNING))
    running_metrics = ", ".join(f"'{metric}'" for metric in RUNNING)
    base_sums = ",\n        ".join(_sum_of(metric, alias) for metric, alias in running)
    carried = ",\n        ".join(
        f"(b.{alias} + coalesce(sum(ds.{alias}) OVER run, 0))::bigint AS {alias}"
        for _metric, alias in running
    )
    by_status = ", ".join(f"'{status}', s_{status}" for status in STATUSES)
    open_now = ", ".join(
        _sum_of(f"p:{priority}", f"p{index}", column=c("metric"), value=c("n"))
        for index, priority in enumerate(PRIORITIES)
    )
    open_columns = ", ".join(f"coalesce(o.p{index}, 0)" for index in range(len(PRIORITIES)))
    return f"""
    WITH wanted AS (
        SELECT DISTINCT unnest(%(users)s::uuid[]) AS user_id
    ), daily AS NOT MATERIALIZED (
        -- Not materialised: each use below scans the index with its own days and metrics.
        SELECT {d("user_id")} AS user_id, {d("day")} AS day, {d("metric")} AS metric,
               {d("n")} AS n
        FROM {d.table} d
        WHERE {d("room_id")} = ANY(%(rooms)s::uuid[]) AND {d("user_id")} = ANY(%(users)s::uuid[])
          AND {d("day")} >= %(month)s AND {d("day")} <= %(end)s
    ), days AS (
        SELECT user_id, day,
        {day_sums}
        FROM daily WHERE day >= %(start)s AND metric IN ({day_metrics})
        GROUP BY user_id, day
    ), base AS (
        -- The running counts before the period: whole months, then the start's month's days.
        SELECT w.user_id,
        {base_sums}
        FROM wanted w LEFT JOIN (
            SELECT {mo("user_id")} AS user_id, {mo("metric")} AS metric, {mo("n")} AS n
            FROM {mo.table} mo
            WHERE {mo("room_id")} = ANY(%(rooms)s::uuid[])
              AND {mo("user_id")} = ANY(%(users)s::uuid[]) AND {mo("month")} < %(month)s
            UNION ALL
            SELECT user_id, metric, n FROM daily
            WHERE day < %(start)s AND metric IN ({running_metrics})
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
        SELECT user_id, json_agg(json_build_array(bucket, n) ORDER BY bucket)::text AS buckets
        FROM (
            SELECT user_id, substr(metric, 4)::int AS bucket, sum(n)::bigint AS n
            FROM daily WHERE day >= %(start)s AND left(metric, 3) = 'lt:'
            GROUP BY user_id, bucket
        ) l
        GROUP BY user_id
    ), now_open AS (
        SELECT {c("user_id")} AS user_id, {open_now},
               coalesce(sum({c("n")}) FILTER (
                   WHERE left({c("metric")}, 4) = 'due:'
                     AND substr({c("metric")}, 5) COLLATE "C" < %(today)s
               ), 0)::bigint AS due_before
        FROM {c.table} c
        WHERE {c("room_id")} = ANY(%(rooms)s::uuid[]) AND {c("user_id")} = ANY(%(users)s::uuid[])
        GROUP BY {c("user_id")}
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
           (coalesce(o.due_before, 0) + coalesce(lc.n, 0))::bigint
    FROM wanted w
    JOIN shaped s ON s.user_id = w.user_id
    JOIN base b ON b.user_id = w.user_id
    LEFT JOIN lead l ON l.user_id = w.user_id
    LEFT JOIN now_open o ON o.user_id = w.user_id
    LEFT JOIN late_counts lc ON lc.user_id = w.user_id
    """
