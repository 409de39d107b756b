"""Reading the figures: a bounded number of queries on the aggregate tables (and the room's
memberships for who may read), never the tasks tables.

For a period [start, end] (UTC days) and a set of (room, person) rows:
1. the `DayTotals` rows (one per room, person and day, every figure a column) from the first of
   the start's month to `end`;
2. the running sums of `s_<status>` and `overdue` before `start`: whole months from
   `MonthTotals`, the start's month's days with 1.;
3. open tasks now by priority (`CurrentCount`);
4. "overdue now": the `due` of the months and days before today (`MonthTotals`, `DayTotals`),
   and the fact rows of open tasks whose deadline passes today before now (by an index).
On PostgreSQL the four are one statement that also sums and shapes them (`hot_sql`); the ORM
reads below (`_read_orm`) are SQLite's path and that statement's twin.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import ServiceError
from cotask_common.localtime import zone_named
from tasks.analytics import hot_sql
from tasks.analytics.figures import PRIORITIES, RUNNING, STATUSES, lead_buckets, quantiles
from tasks.analytics.models import ROOM, CurrentCount, DayTotals, MonthTotals, TaskFact
from tasks.analytics.services import DAY_COLUMNS, MONTH_COLUMNS, column_of
from tasks.rooms.access import membership_in
from tasks.rooms.models import Membership, RoomRole

# The longest period one read may ask for (days, both ends included).
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def period_of(*, start: Any, end: Any, time_zone: str | None) -> Period:
    """`start` ≤ `end` ≤ today in the person's zone, at most MAX_PERIOD_DAYS long; a 400
    naming the field otherwise."""
    days: dict[str, date] = {}
    for name, value in (("start", start), ("end", end)):
        if value in (None, ""):
            raise ServiceError.for_field(
                name, _("This query parameter is required."), code="required"
            )
        try:
            days[name] = date.fromisoformat(str(value))
        except ValueError:
            raise ServiceError.for_field(
                name, _("Give a date as YYYY-MM-DD."), code="invalid"
            ) from None
    today = timezone.now().astimezone(zone_named(time_zone)).date()
    if days["end"] > today:
        raise ServiceError.for_field("end", _("The period cannot end after today."), code="future")
    if days["start"] > days["end"]:
        raise ServiceError.for_field(
            "start", _("The period cannot start after it ends."), code="after_end"
        )
    if (days["end"] - days["start"]).days + 1 > MAX_PERIOD_DAYS:
        raise ServiceError.for_field(
            "start",
            _("A period may be at most %(days)d days long.") % {"days": MAX_PERIOD_DAYS},
            code="too_long",
        )
    return Period(days["start"], days["end"])


def _empty_day() -> dict[str, int]:
    return defaultdict(int)


def _figures(
    *, days: dict[date, dict[str, int]], base: dict[str, int], current: dict[str, int],
    overdue_today: int, period: Period,
) -> dict[str, Any]:  # fmt: skip
    """One scope's figures from its rows (all amounts already summed over its rooms)."""
    running = {metric: base.get(metric, 0) for metric in RUNNING}
    open_at_start = running["s:pending"] + running["s:in_progress"]
    series = []
    lead: dict[int, int] = defaultdict(int)
    created = completed = 0
    day = period.start
    while day <= period.end:
        row = days.get(day, {})
        for metric in RUNNING:
            running[metric] += row.get(metric, 0)
        for metric, n in row.items():
            if metric.startswith("lt:"):
                lead[int(metric[3:])] += n
        created += row.get("created", 0)
        completed += row.get("completed", 0)
        series.append(
            {
                "day": day.isoformat(),
                "created": row.get("created", 0),
                "completed": row.get("completed", 0),
                "open": running["s:pending"] + running["s:in_progress"],
                "overdue": running["overdue"],
                "by_status": {status: running[f"s:{status}"] for status in STATUSES},
            }
        )
        day += timedelta(days=1)
    return _shape(
        series=series, created=created, completed=completed, open_at_start=open_at_start,
        lead=lead, by_priority={p: current.get(f"p:{p}", 0) for p in PRIORITIES},
        overdue_today=overdue_today, period=period,
    )  # fmt: skip


def _shape(
    *, series: list[dict[str, Any]], created: int, completed: int, open_at_start: int,
    lead: dict[int, int] | list[int], by_priority: dict[str, int], overdue_today: int,
    period: Period,
) -> dict[str, Any]:  # fmt: skip
    """The figures' JSON from a scope's series of days and totals (both reads end here);
    `lead`, the lead-time histogram, as {bucket: n} or dense (`hot_sql`: `lead[bucket]`)."""
    available = open_at_start + created
    median, p90 = quantiles(lead, (0.5, 0.9))
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "created": created,
        "completed": completed,
        "completion_rate": round(completed / available, 4) if available else None,
        "lead_time": {
            "count": sum(lead.values() if isinstance(lead, dict) else lead),
            "median_seconds": median,
            "p90_seconds": p90,
        },
        "now": {
            "open": sum(by_priority.values()),
            "overdue": overdue_today,
            "open_by_priority": by_priority,
        },
        "days": series,
    }


def _read(
    *, rooms: set[UUID], users: set[UUID], period: Period, raw: bool = False,
    stamp_room: UUID | None = None,
) -> tuple[dict[UUID, dict[str, Any]], hot_sql.Stamp | None]:  # fmt: skip
    """The figures of each person (`user_id`; ROOM: the whole room) in `users`, summed over
    `rooms`: one statement on PostgreSQL (`hot_sql`), else its ORM twin. A person missing from
    the answer has no rows: their figures are all zeros. On PostgreSQL, `raw` leaves each
    series of days as the statement's JSON text (`hot_sql.DaysJSON`), and `stamp_room` has the
    statement read that room's version and next deadline with the figures (None otherwise)."""
    if not hot_sql.enabled():
        return _read_orm(rooms=rooms, users=users, period=period), None
    out = {}
    rows, stamp = hot_sql.figure_rows(
        rooms=rooms, users=users, period=period, stamp_room=stamp_room
    )
    for row in rows:
        user_id, values = hot_sql.decode(row, raw=raw)
        out[user_id] = _shape(**values, period=period)
    return out, stamp


def _read_orm(
    *, rooms: set[UUID], users: set[UUID] | None, period: Period
) -> dict[UUID, dict[str, Any]]:
    """`_read` with the ORM (SQLite, and the twin of `hot_sql` in its tests): the figures of
    each person in `users` (None: all) who has rows; four queries whatever the number of
    tasks."""
    scope = Q(room_id__in=rooms) if users is None else Q(room_id__in=rooms, user_id__in=users)
    now = timezone.now()
    today = now.astimezone(UTC).date()
    # The running sums before `start`: whole months from their monthly rows, then the days of
    # the start's month (read with the period's days). "Overdue now" likewise: the `due` of the
    # months before today's, then of its days before today; and (below) the deadlines passing
    # today before now.
    month = period.start.replace(day=1)
    this_month = today.replace(day=1)
    base: dict[UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    overdue: dict[UUID, int] = defaultdict(int)
    months = MonthTotals.objects.filter(scope, month__lt=max(month, this_month))
    for user, first, *values in months.values_list("user_id", "month", *MONTH_COLUMNS):
        sums = dict(zip(MONTH_COLUMNS, values, strict=True))
        if first < month:
            for metric in RUNNING:
                base[user][metric] += sums[column_of(metric)]
        if first < this_month:
            overdue[user] += sums["due"]
    daily: dict[UUID, dict[date, dict[str, int]]] = defaultdict(lambda: defaultdict(_empty_day))
    rows = DayTotals.objects.filter(
        scope,
        Q(day__gte=month, day__lte=period.end) | Q(day__gte=this_month, day__lt=today),
    ).values_list("user_id", "day", "lead_pairs", *DAY_COLUMNS)
    for user, day, pairs, *values in rows:
        sums = dict(zip(DAY_COLUMNS, values, strict=True))
        if this_month <= day < today:
            overdue[user] += sums["due"]
        if period.start <= day <= period.end:
            row = daily[user][day]
            for metric in ("created", "completed", *RUNNING):
                row[metric] += sums[column_of(metric)]
            for bucket, n in lead_buckets(pairs).items():
                row[f"lt:{bucket}"] += n
        elif month <= day < period.start:
            for metric in RUNNING:
                base[user][metric] += sums[column_of(metric)]
    current: dict[UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for user, metric, n in CurrentCount.objects.filter(scope).values_list("user_id", "metric", "n"):
        if metric.startswith("p:"):
            current[user][metric] += n
    # Deadlines passing today: from the facts (an index on room and open deadline), bounded by
    # one day's deadlines. The whole room's is a count; a person's needs the assignees.
    start_of_today = datetime.combine(today, time(0), tzinfo=UTC)
    facts = TaskFact.objects.filter(
        room_id__in=rooms, open_deadline__gte=start_of_today, open_deadline__lt=now
    )
    if users == {ROOM}:
        overdue[ROOM] += facts.count()
    elif users is not None and len(users) == 1 and connection.vendor == "postgresql":
        (person,) = users
        overdue[person] += facts.filter(assignee_ids__contains=[str(person)]).count()
    else:
        for assignees in facts.values_list("assignee_ids", flat=True):
            for person in (UUID(i) for i in assignees):
                if users is None or person in users:
                    overdue[person] += 1
        if users is None or ROOM in users:
            overdue[ROOM] += facts.count()
    named = set(daily) | set(base) | set(current) | set(overdue)
    if users is not None:
        named &= users
    return {
        user: _figures(
            days=daily.get(user, {}),
            base=base.get(user, {}),
            current=current.get(user, {}),
            overdue_today=overdue.get(user, 0),
            period=period,
        )
        for user in named
    }


def room_figures(*, user: Any, room_id: Any, period: Period) -> dict[str, Any]:
    """The room's figures; any member (viewer and up) may read them, others get the 404 a
    missing room gets."""
    membership = membership_in(user=user, room_id=room_id)
    return room_answer(room=membership.room_id, period=period)[0]


def room_answer(
    *, room: UUID, period: Period, raw: bool = False
) -> tuple[dict[str, Any], hot_sql.Stamp | None]:
    """The room read's answer, the permission checked, and (on PostgreSQL) the version and
    freshness its figures were read under (`_read`; `raw`: the days left as JSON text)."""
    read, stamp = _read(rooms={room}, users={ROOM}, period=period, raw=raw, stamp_room=room)
    figures = read.get(ROOM)
    return {"room_id": str(room), **(figures or _figures(
        days={}, base={}, current={}, overdue_today=0, period=period
    ))}, stamp  # fmt: skip


def member_figures(*, user: Any, room_id: Any, period: Period) -> dict[str, Any]:
    """Each current member's figures in the room: admins and the owner only (a member below
    gets 403 naming the role, a non-member 404)."""
    membership = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN)
    room = membership.room_id
    return members_answer(room=room, members=room_members(room=room), period=period)[0]


def room_members(*, room: UUID) -> list[tuple[UUID, str, str]]:
    """The room's members now, as the members read lists them: (id, username, role)."""
    return list(room_members_rows(room=room).values_list("user_id", "user__username", "role"))


def room_members_rows(*, room: UUID) -> QuerySet[Membership]:
    """The room's memberships in the members read's order."""
    return Membership.objects.filter(room_id=room).order_by("joined_at", "id")


def members_answer(
    *, room: UUID, members: list[tuple[UUID, str, str]], period: Period, raw: bool = False
) -> tuple[dict[str, Any], hot_sql.Stamp | None]:
    """The members read's answer for `members` (`room_members`), the permission checked, and
    its stamp (as `room_answer`'s)."""
    ids = {member_id for member_id, _name, _role in members}
    read, stamp = _read(rooms={room}, users=ids, period=period, raw=raw, stamp_room=room)
    if ids - set(read):  # only the ORM path leaves out members without rows
        empty = _figures(days={}, base={}, current={}, overdue_today=0, period=period)
        read = {member_id: read.get(member_id) or empty for member_id in ids}
    return {
        "room_id": str(room),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "members": [
            {"user_id": str(member_id), "username": name, "role": role,
             **read[member_id]}
            for member_id, name, role in members
        ],
    }, stamp  # fmt: skip


def my_figures(*, user: Any, period: Period) -> dict[str, Any]:
    """The person's own figures across the rooms they are in now (tasks they created, those
    they completed, and those assigned to them)."""
    rooms = set(Membership.objects.filter(user_id=user.id).values_list("room_id", flat=True))
    figures = _read(rooms=rooms, users={user.id}, period=period)[0].get(user.id)
    return {
        "user_id": str(user.id),
        "rooms": len(rooms),
        **(figures or _figures(days={}, base={}, current={}, overdue_today=0, period=period)),
    }
