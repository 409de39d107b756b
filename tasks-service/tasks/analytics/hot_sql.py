"""The hand-written SQL of the analytics reads: every figure of a set of people (or the whole
room) over a period in one statement, beside its ORM twin (`selectors._read_orm`).

Here because `bench/task_analytics.py` showed it pays (the figures in docs/decisions.md): the
twin fetched every daily, monthly and current row of the scope into Python (17,000 rows for a
room's 20 members over 30 days, a year's days for a room), building a UUID and a date per row,
and summed, carried and shaped them there: 15 to 40 ms of CPU per read, while PostgreSQL spent
2 to 5 ms. Here PostgreSQL sums
the rows, carries the running counts with a window, and writes each person's series of days as
the JSON text `pages.render` would write (the cached answers splice it in as it is, the other
reads parse it); Python shapes the totals. With `stamp_room` it also reads that room's figures
version and next open deadline in the same snapshot (`answers`). PostgreSQL only
(`enabled()`); SQLite,
the embedded default, runs the twin. `tasks/analytics/tests/test_hot_sql.py` runs both on the
same data and requires the same figures. Only the models' own quoted table and column names and
the metric names of `figures` (code constants) are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import orjson
from django.db import connection
from django.utils import timezone

from cotask_common.statements import Columns
from tasks.analytics.figures import PRIORITIES, RUNNING, STATUSES
from tasks.analytics.models import (
    ROOM,
    CurrentCount,
    DayTotals,
    FiguresVersion,
    MonthTotals,
    TaskFact,
)
from tasks.analytics.services import column_of

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


# One row per wanted person: (user_id, the days' JSON text, created, completed, open at the
# period's start, the days' lead times as `bucket,n,…` text or None, open by priority…, overdue now
# [, the room's figures version, its next open deadline before midnight, when `stamp_room`]).
Row = tuple[Any, ...]


class DaysJSON(str):
    """A person's series of days as the JSON text `pages.render` would write for it (compact,
    ASCII): the statement writes it, the answers splice it in as it is (`answers.render`)."""

    __slots__ = ()


@dataclass(frozen=True)
class Stamp:
    """What the statement read in its own snapshot besides the figures: the room's figures
    version, and until when the figures stay exact (`answers.fresh_until`, from its `now`)."""

    version: int
    fresh_until: datetime


def figure_rows(
    *, rooms: Collection[UUID], users: Collection[UUID], period: Any,
    stamp_room: UUID | None = None,
) -> tuple[list[Row], Stamp | None]:  # fmt: skip
    """The figures' raw values of each of `users` (ROOM: the whole room) summed over `rooms`,
    for `period` (`selectors.Period`): one statement, a row for every wanted person whether or
    not they have rows; with `stamp_room`, that room's `Stamp` read in the same snapshot."""
    now = timezone.now()
    today = now.astimezone(UTC).date()
    month, this_month = period.start.replace(day=1), today.replace(day=1)
    midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
    params = {
        "rooms": list(rooms),
        "users": list(users),
        "room_user": ROOM,
        "month": month,
        "start": period.start,
        "end": period.end,
        "today": today,
        "this_month": this_month,
        # The day rows read: the start's month's to the end, and this month's before today.
        "scan_from": min(month, this_month),
        "scan_to": max(period.end, today - timedelta(days=1)),
        "months_to": max(month, this_month),
        "start_of_today": datetime.combine(today, time(0), tzinfo=UTC),
        "now": now,
        "stamp_room": stamp_room,
        "midnight": midnight,
    }
    statement = _statement(
        one_room=len(params["rooms"]) == 1,
        people=set(users) != {ROOM},
        stamped=stamp_room is not None,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    if stamp_room is None or not rows:
        return rows, None
    version, nearest = rows[0][-2:]
    return [row[:-2] for row in rows], Stamp(version, nearest or midnight)


def decode(row: Row, *, raw: bool = False) -> tuple[UUID, dict[str, Any]]:
    """A row of `figure_rows`: the person, and the values `selectors._shape` takes (the days
    as `DaysJSON` when `raw`, else parsed)."""
    user_id, days, created, completed, open_at_start, lead, *rest = row
    *by_priority, overdue = rest
    return user_id, {
        "series": DaysJSON(days) if raw else orjson.loads(days),
        "created": created,
        "completed": completed,
        "open_at_start": open_at_start,
        "lead": _lead(lead),
        "by_priority": dict(zip(PRIORITIES, by_priority, strict=True)),
        "overdue_today": overdue,
    }


def _lead(days: str | None) -> list[int]:
    """The histogram of the days' lead times, dense (`counts[bucket]`), from the days'
    `lead_pairs` as the statement joins them (`bucket,n,bucket,n,…`: one JSON list of
    integers to orjson; a month of 20 members' days is some 5,000 pairs). Summed into a list
    by index, and `figures.quantiles` bisects its running totals: no dict, no `int()` of a
    key, no sort."""
    if not days:
        return []
    values = orjson.loads(f"[{days}]")
    counts = [0] * (max(values[0::2]) + 1)
    pairs = iter(values)
    for bucket, n in zip(pairs, pairs, strict=True):
        counts[bucket] += n
    return counts


@functools.cache
def _statement(*, one_room: bool, people: bool, stamped: bool) -> str:
    """The statement: `one_room` when `rooms` is one (a person's day is then one row),
    `people` when `users` may hold others than ROOM (their "overdue now" needs each late
    task's assignees; the room's is a count), `stamped` with the room's version and next
    deadline."""
    d, mo = Columns(DayTotals, "d"), Columns(MonthTotals, "mo")
    c, f = Columns(CurrentCount, "c"), Columns(TaskFact, "f")
    v = Columns(FiguresVersion, "v")
    # The running columns (`s_<status>`, `overdue`), summed and carried by name.
    running = [column_of(metric) for metric in RUNNING]
    in_scope = {
        alias: f"{cols('room_id')} = ANY(%(rooms)s::uuid[]) "
        f"AND {cols('user_id')} = ANY(%(users)s::uuid[])"
        for alias, cols in (("d", d), ("mo", mo), ("c", c))
    }
    in_period = f"{d('day')} >= %(start)s AND {d('day')} <= %(end)s"
    if one_room:
        # (room, person, day) is unique: a person's day is one row.
        day_columns = ", ".join(
            f"{d(column)} AS {column}" for column in ("created", "completed", *running, "due")
        )
        lead = f"CASE WHEN {in_period} AND {d('lead_pairs')} <> '' THEN {d('lead_pairs')} END"
        group = ""
    else:
        day_columns = ", ".join(
            f"sum({d(column)})::bigint AS {column}"
            for column in ("created", "completed", *running, "due")
        )
        lead = (
            f"string_agg({d('lead_pairs')}, ',')"
            f" FILTER (WHERE {in_period} AND {d('lead_pairs')} <> '')"
        )
        group = f"GROUP BY {d('user_id')}, {d('day')}"
    month_sums = ", ".join(
        f"coalesce(sum({mo(column)}) FILTER (WHERE {mo('month')} < %(month)s), 0)::bigint"
        f" AS {column}"
        for column in running
    )
    early_sums = ", ".join(
        f"sum({column}) FILTER (WHERE day >= %(month)s AND day < %(start)s) AS {column}"
        for column in running
    )
    base_columns = ", ".join(
        f"(m.{column} + coalesce(p.{column}, 0))::bigint AS {column}" for column in running
    )
    # A day's change fits an integer, and `sum(integer)` is a bigint, where `sum(bigint)` is
    # a numeric: the window over 20 people's 30 days cost ~0.4 ms less this way.
    carried = ", ".join(
        f"(b.{column} + coalesce(sum(ds.{column}::integer) OVER run, 0))::bigint AS {column}"
        for column in running
    )
    # A day as `pages.render` writes it (compact, in `selectors._figures`' order): the
    # answers splice the text as it is. `to_json` writes a date in ISO whatever DateStyle.
    by_status = ", ".join(
        f"""'{"," if index else ""}"{status}":', s_{status}"""
        for index, status in enumerate(STATUSES)
    )
    day = (
        """concat('{"day":', to_json(day), ',"created":', created, ',"completed":', completed,"""
        """ ',"open":', s_pending + s_in_progress, ',"overdue":', overdue, ',"by_status":{', """
        + by_status
        + ", '}}')"
    )
    open_now = ", ".join(
        f"coalesce(sum({c('n')}) FILTER (WHERE {c('metric')} = 'p:{priority}'), 0)::bigint"
        f" AS p{index}"
        for index, priority in enumerate(PRIORITIES)
    )
    priorities = ", ".join(f"'p:{priority}'" for priority in PRIORITIES)
    open_columns = ", ".join(f"coalesce(o.p{index}, 0)" for index in range(len(PRIORITIES)))
    late = (
        f"FROM {f.table} f WHERE {f('room_id')} = ANY(%(rooms)s::uuid[]) "
        f"AND {f('open_deadline')} >= %(start_of_today)s AND {f('open_deadline')} < %(now)s"
    )
    if people:
        # Open tasks whose deadline passed today before now (an index on room, open
        # deadline): the room's count, and each assignee's (grouped by the ids' text, as
        # the consumer writes them, then cast: cheaper than casting each).
        late_counts = f"""
    ), late AS (
        SELECT {f("assignee_ids")} AS assignee_ids {late}
    ), late_counts AS (
        SELECT user_id::uuid AS user_id, n FROM (
            SELECT a.value AS user_id, count(*) AS n
            FROM late CROSS JOIN LATERAL jsonb_array_elements_text(late.assignee_ids) a
            GROUP BY a.value
        ) l
        UNION ALL
        SELECT %(room_user)s::uuid, count(*) FROM late"""
    else:
        late_counts = f"""
    ), late_counts AS (
        SELECT %(room_user)s::uuid AS user_id, count(*) AS n {late}"""
    stamp = (
        f""",
           coalesce((SELECT {v("version")} FROM {v.table} v
                     WHERE {v("room_id")} = %(stamp_room)s), 0),
           (SELECT min({f("open_deadline")}) FROM {f.table} f
            WHERE {f("room_id")} = %(stamp_room)s
              AND {f("open_deadline")} >= %(now)s AND {f("open_deadline")} < %(midnight)s)"""
        if stamped
        else ""
    )
    return f"""
    WITH wanted AS (
        SELECT DISTINCT unnest(%(users)s::uuid[]) AS user_id
    ), days AS (
        -- One row per person and day from the start's month on (and the days before today,
        -- for "overdue now"), every figure a column; the period's lead times as text.
        SELECT {d("user_id")} AS user_id, {d("day")} AS day, {day_columns}, {lead} AS lead
        FROM {d.table} d
        WHERE {in_scope["d"]} AND {d("day")} >= %(scan_from)s AND {d("day")} <= %(scan_to)s
        {group}
    ), months AS (
        -- The running counts before the start's month, and the deadlines of the months
        -- before today's: a row per wanted person.
        SELECT w.user_id, {month_sums},
               coalesce(sum({mo("due")}) FILTER (WHERE {mo("month")} < %(this_month)s), 0)
                   ::bigint AS due
        FROM wanted w LEFT JOIN {mo.table} mo
          ON {mo("user_id")} = w.user_id AND {in_scope["mo"]}
         AND {mo("month")} < %(months_to)s
        GROUP BY w.user_id
    ), per_person AS (
        -- The running counts' changes from the start's month's first day to the start, the
        -- period's lead times (joined by commas: Python sums them, which costs it less than
        -- expanding and grouping them costs PostgreSQL; kept as text, they are copied, not
        -- written out of JSON), the due days before today.
        SELECT user_id, {early_sums}, string_agg(lead, ',') AS lead,
               sum(due) FILTER (WHERE day >= %(this_month)s AND day < %(today)s) AS due
        FROM days GROUP BY user_id
    ), base AS (
        -- A row per wanted person: the running counts at the start, "overdue now" but today's.
        SELECT m.user_id, {base_columns}, p.lead, m.due + coalesce(p.due, 0) AS due
        FROM months m LEFT JOIN per_person p ON p.user_id = m.user_id
    ), series AS (
        -- Every day of the period, the running counts carried.
        SELECT b.user_id, g.day,
               coalesce(ds.created, 0) AS created, coalesce(ds.completed, 0) AS completed,
               {carried}
        FROM base b
        CROSS JOIN (
            SELECT generate_series(%(start)s::date, %(end)s::date, interval '1 day')::date AS day
        ) g
        LEFT JOIN days ds ON ds.user_id = b.user_id AND ds.day = g.day
        WINDOW run AS (PARTITION BY b.user_id ORDER BY g.day ROWS UNBOUNDED PRECEDING)
    ), shaped AS (
        SELECT user_id, '[' || string_agg({day}, ',' ORDER BY day) || ']' AS days,
               sum(created)::bigint AS created, sum(completed)::bigint AS completed
        FROM series GROUP BY user_id
    ), now_open AS (
        SELECT {c("user_id")} AS user_id, {open_now}
        FROM {c.table} c
        WHERE {in_scope["c"]} AND {c("metric")} IN ({priorities})
        GROUP BY {c("user_id")}{late_counts}
    )
    SELECT b.user_id, s.days, s.created, s.completed,
           (b.s_pending + b.s_in_progress)::bigint, b.lead,
           {open_columns},
           (b.due + coalesce(lc.n, 0))::bigint{stamp}
    FROM base b
    JOIN shaped s ON s.user_id = b.user_id
    LEFT JOIN now_open o ON o.user_id = b.user_id
    LEFT JOIN late_counts lc ON lc.user_id = b.user_id
    """
