"""Reminders: when each fires next, and the beat pass that sends the due ones exactly once.

A reminder is a local time of day (HH:MM in the owner's zone, `UserRef.time_zone`). Its
`next_fire_at` is the next instant that local time comes on a scheduled, unpaused day of an
unarchived habit (`habits.engine.next_local_fire`: a local time skipped by a clock change fires
shifted forward by the gap, one that comes twice fires at the first). `reschedule` keeps it
current when the habit's schedule, pauses, archive state or the owner's zone change.

The pass (`send_due_reminders`, run by Celery beat every minute) selects `next_fire_at <= now`
through its index in batches; each batch is one transaction that claims its rows with
`SELECT … FOR UPDATE SKIP LOCKED` (a second pass running at the same moment takes other rows,
never these), publishes `habits.reminder.due` for those that fire through the outbox and moves
every claimed row's `next_fire_at` on. The event and the advance commit together or not at all,
so a crash sends nothing and leaves the rows due for the next pass: each reminder is sent once.
On PostgreSQL the batch is set-based (`_send_batch_sql`): the rows stay in the database and
Python answers only each distinct schedule key with the engine, and the batches run in
`SQL_SESSIONS` database sessions at once (SKIP LOCKED shares the rows out); on SQLite (and
as the reference the set-based pass is tested against) `_send_batch` decides row by row.

A due reminder does not fire (it only moves on) when its day is already done (the check-in meets
the target: read at the pass, so a check-in or its undo needs no write here), paused, when its
local day is over (a pass that ran late does not send yesterday's reminders), or when it already
fired for that local day (an owner who moved west would otherwise meet the same 07:30 twice).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.contracts.habits import MAX_REMINDED_HABITS
from cotask_common.errors import NotFound, ServiceError
from cotask_common.events.outbox import publish_event, publish_events
from cotask_common.localtime import zone_named
from habits import engine
from habits.tracking.models import Checkin, Habit, Pause, Reminder, ScheduleKind
from habits.tracking.selectors import habit_of

MAX_REMINDERS_PER_HABIT = 5
PASS_BATCH_SIZE = 5000
# The set-based pass's batch (measured: bench/habits.py; see docs/decisions.md).
SQL_BATCH_SIZE = 100000
# The database sessions the set-based pass runs its batches in at once (one statement runs on
# one core; the servers have 2).
SQL_SESSIONS = 2
# The set-based batch's working memory (this transaction only; see docs/decisions.md).
SQL_WORK_MEM = "32MB"


def _schedule(
    *,
    kind: str,
    start_date: date,
    weekday_mask: int,
    times: int,
    interval_days: int,
) -> engine.ScheduleSpec:
    return engine.ScheduleSpec(
        kind=kind,
        start_date=start_date,
        weekdays=engine.weekdays_from_mask(weekday_mask) if kind == "weekdays" else frozenset(),
        times=times,
        interval_days=interval_days,
    )


def habit_schedule(habit: Habit) -> engine.ScheduleSpec:
    return _schedule(
        kind=habit.schedule_kind,
        start_date=habit.start_date,
        weekday_mask=habit.weekday_mask,
        times=habit.times,
        interval_days=habit.interval_days,
    )


def next_fire(
    *,
    local_time: time,
    zone: ZoneInfo,
    schedule: engine.ScheduleSpec,
    pauses: Iterable[engine.DayRange] = (),
    after: datetime,
) -> datetime | None:
    """The next instant after `after` the reminder fires (None: never, within the engine's
    horizon)."""
    scheduled = engine.scheduled_day_predicate(schedule, list(pauses))
    return engine.next_local_fire(local_time, zone, after, scheduled)


def owner_zone(habit: Habit) -> ZoneInfo:
    return zone_named(habit.owner.time_zone)


def reschedule(*, habit: Habit, now: datetime | None = None, zone: ZoneInfo | None = None) -> None:
    """Recompute `next_fire_at` of the habit's reminders and `next_evaluation_at` (the owner's
    next local midnight, when the beat closes the day). Call inside the change's transaction
    after a change of schedule, start, pauses, archive state or the owner's zone."""
    now = now or timezone.now()
    zone = zone or owner_zone(habit)
    reminders = list(Reminder.objects.filter(habit=habit))
    if reminders:
        pauses = [
            engine.DayRange(start=s, end=e)
            for s, e in Pause.objects.filter(
                habit=habit, end_date__gte=engine.local_today(zone, now)
            ).values_list("start_date", "end_date")
        ]
        schedule = habit_schedule(habit)
        for reminder in reminders:
            reminder.next_fire_at = (
                None
                if habit.archived_at
                else next_fire(
                    local_time=reminder.local_time,
                    zone=zone,
                    schedule=schedule,
                    pauses=pauses,
                    after=now,
                )
            )
        Reminder.objects.bulk_update(reminders, ["next_fire_at"])
    next_close = None if habit.archived_at else engine.next_local_midnight(zone, now)
    if habit.next_evaluation_at != next_close:
        habit.next_evaluation_at = next_close
        Habit.objects.filter(id=habit.id).update(next_evaluation_at=next_close)


def reschedule_owner(*, owner_id: UUID, now: datetime | None = None) -> int:
    """The owner's zone changed (`UserRef.time_zone`): every habit of theirs gets its reminders
    and its day's close at the new zone's local times. Returns how many habits."""
    habits = list(Habit.objects.filter(owner_id=owner_id).select_related("owner"))
    with transaction.atomic():
        for habit in habits:
            reschedule(habit=habit, now=now)
    return len(habits)


def habit_changed(*, habit: Habit, today: date, what: str) -> None:
    """`services` tells of each change (inside its transaction): a schedule, start, pause or
    archive change moves the reminders and the day's close. A check-in or an undo needs
    nothing: the pass reads whether the day is done when the reminder comes."""
    if what == "checkin":
        return
    reschedule(habit=habit)


# ---------------------------------------------------------------------------------------------
# Reminders of a habit (the API's writes and reads)


class ReminderNotFound(NotFound):
    code = "reminder_not_found"

    def __init__(self) -> None:
        super().__init__(_("This habit has no reminder at that time."), code="reminder_not_found")


def reminders_of(*, user: Any, habit_id: Any) -> QuerySet[Reminder]:
    """The caller's habit's reminders (404 for anyone else's habit), earliest first."""
    habit = habit_of(user=user, habit_id=habit_id)
    return Reminder.objects.filter(habit=habit).order_by("local_time")


def _too_many() -> ServiceError:
    return ServiceError.for_field(
        "local_time",
        ngettext(
            "A habit has at most %(max)d reminder.",
            "A habit has at most %(max)d reminders.",
            MAX_REMINDERS_PER_HABIT,
        )
        % {"max": MAX_REMINDERS_PER_HABIT},
        code="too_many_reminders",
    )


@transaction.atomic
def reminder_create(*, user: Any, habit_id: Any, local_time: time) -> Reminder:
    """A reminder at `local_time` (HH:MM, seconds dropped) in the owner's zone; at most
    `MAX_REMINDERS_PER_HABIT`, one per time."""
    habit = habit_of(user=user, habit_id=habit_id, lock=True)  # serialises the count
    local_time = local_time.replace(second=0, microsecond=0, tzinfo=None)
    existing = list(Reminder.objects.filter(habit=habit).values_list("local_time", flat=True))
    if local_time in existing:
        raise ServiceError.for_field(
            "local_time", _("This habit has a reminder at that time already."), code="duplicate"
        )
    if len(existing) >= MAX_REMINDERS_PER_HABIT:
        raise _too_many()
    reminder = Reminder.objects.create(habit=habit, local_time=local_time)
    reschedule(habit=habit)
    reminder.refresh_from_db(fields=["next_fire_at"])
    return reminder


@transaction.atomic
def reminder_delete(*, user: Any, habit_id: Any, local_time: time) -> None:
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    deleted, _rows = Reminder.objects.filter(habit=habit, local_time=local_time).delete()
    if not deleted:
        raise ReminderNotFound()


@transaction.atomic
def reminders_replace(*, user: Any, habit_id: Any, local_times: list[time]) -> list[Reminder]:
    """The habit's reminders become exactly `local_times` (an empty list removes them all);
    a time kept keeps its row (and whether it fired today)."""
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    wanted = sorted({t.replace(second=0, microsecond=0, tzinfo=None) for t in local_times})
    if len(wanted) > MAX_REMINDERS_PER_HABIT:
        raise _too_many()
    Reminder.objects.filter(habit=habit).exclude(local_time__in=wanted).delete()
    have = set(Reminder.objects.filter(habit=habit).values_list("local_time", flat=True))
    Reminder.objects.bulk_create(
        [Reminder(habit=habit, local_time=t) for t in wanted if t not in have]
    )
    reschedule(habit=habit)
    return list(Reminder.objects.filter(habit=habit).order_by("local_time"))


# ---------------------------------------------------------------------------------------------
# The beat pass


@dataclasses.dataclass
class PassResult:
    sent: int = 0  # reminders that fired
    skipped: int = 0
    batches: int = 0
    events: int = 0  # `habits.reminder.due` events they were published in


_DUE_FIELDS = (
    "id",
    "habit_id",
    "local_time",
    "next_fire_at",
    "last_fired_day",
    "habit__owner_id",
    "habit__name",
    "habit__kind",
    "habit__target_value",
    "habit__target_direction",
    "habit__schedule_kind",
    "habit__weekday_mask",
    "habit__times",
    "habit__interval_days",
    "habit__start_date",
    "habit__archived_at",
    "habit__owner__time_zone",
    "habit__position",
)


def send_due_reminders(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int = 0,
    set_based: bool | None = None,
    sessions: int | None = None,
) -> PassResult:
    """Send every reminder due at `now` (default: the clock) once; see the module docstring.
    `max_batches` (0: until none is due) bounds one call's work. On PostgreSQL the pass is
    set-based (`_send_batch_sql`: the rows never come to Python) and runs its batches in
    `sessions` database sessions at once (default `SQL_SESSIONS`; see `_in_sessions`);
    `set_based=False` runs the row-by-row pass (SQLite's, and the reference the set-based one
    is tested against) in this session."""
    now = now or timezone.now()
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if batch_size is None:
        batch_size = SQL_BATCH_SIZE if set_based else PASS_BATCH_SIZE
    if sessions is None:
        sessions = SQL_SESSIONS if set_based else 1
    budget = _Budget(max_batches)
    # Other sessions see committed rows only: inside a caller's transaction, this one alone.
    if set_based and sessions > 1 and not connection.in_atomic_block:
        return _in_sessions(
            sessions,
            lambda part: _batches(now, batch_size, set_based, budget, part=(part, sessions)),
        )
    return _batches(now, batch_size, set_based, budget)


class _Budget:
    """The batches a pass may still run (0: no bound), shared by its sessions."""

    def __init__(self, limit: int) -> None:
        self.bounded, self.left = bool(limit), limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if not self.bounded:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def _in_sessions(sessions: int, run: Callable[[int], PassResult]) -> PassResult:
    """`run(part)` in this thread (part 0) and in `sessions - 1` threads (parts 1, 2, …), each
    with its own database session: PostgreSQL runs one statement on one core, and a batch is
    one statement, so two sessions work two at a time. Each session takes the reminders of
    its part of the owners (an owner's due reminders stay together, so they go out in one
    event); each batch still claims its rows with SKIP LOCKED and commits its events with
    their advance, so no reminder is sent twice or lost, whichever session takes it (the
    same guarantee as two passes at once)."""
    results: list[PassResult] = []
    errors: list[BaseException] = []

    def other(part: int) -> None:
        try:
            results.append(run(part))
        except BaseException as exc:  # reported in the caller's thread
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own sessions

    threads = [threading.Thread(target=other, args=(part,)) for part in range(1, sessions)]
    for thread in threads:
        thread.start()
    try:
        results.append(run(0))
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    total = PassResult()
    for result in results:
        total.sent += result.sent
        total.skipped += result.skipped
        total.batches += result.batches
        total.events += result.events
    return total


def _batches(
    now: datetime,
    batch_size: int,
    set_based: bool,
    budget: _Budget,
    *,
    part: tuple[int, int] = (0, 1),
) -> PassResult:
    """Batches in this session until none is due (or the budget is spent); the set-based
    pass takes only the owners of `part` (k of n)."""
    result = PassResult()
    while budget.take():
        with transaction.atomic():
            if set_based:
                claimed, sent, events = _send_batch_sql(now=now, batch_size=batch_size, part=part)
                if not claimed:
                    break
                skipped = claimed - sent
            else:
                rows = list(
                    Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(next_fire_at__lte=now)
                    .order_by("next_fire_at")
                    .values_list(*_DUE_FIELDS)[:batch_size]
                )
                if not rows:
                    break
                claimed = len(rows)
                sent, skipped, events = _send_batch(rows, now=now)
        result.sent += sent
        result.events += events
        result.skipped += skipped
        result.batches += 1
        if claimed < batch_size:
            break
    return result


def _send_batch(rows: list[tuple[Any, ...]], *, now: datetime) -> tuple[int, int, int]:
    """One batch of the row-by-row pass: (sent, skipped, events)."""
    zones: dict[str, ZoneInfo] = {}
    days: dict[int, date] = {}
    for row in rows:
        name = row[16]
        zone = zones.get(name)
        if zone is None:
            zone = zones[name] = zone_named(name)
        days[row[0]] = row[3].astimezone(zone).date()
    habit_ids = _id_list({row[1] for row in rows})
    first_day = min(days.values())
    # The batch's pauses (from its first day on: also those ahead, for the next firing) and
    # the check-ins of its days: two queries per batch, whatever its size.
    pauses: dict[UUID, list[engine.DayRange]] = defaultdict(list)
    for habit_id, start, end in Pause.objects.filter(
        habit_id__in=habit_ids, end_date__gte=first_day
    ).values_list("habit_id", "start_date", "end_date"):
        pauses[habit_id].append(engine.DayRange(start=start, end=end))
    values: dict[tuple[UUID, date], Decimal] = {
        (habit_id, day): value
        for habit_id, day, value in Checkin.objects.filter(
            habit_id__in=habit_ids, day__in=set(days.values())
        ).values_list("habit_id", "day", "value")
    }

    todays = {name: engine.local_today(zone, now) for name, zone in zones.items()}
    alike: dict[tuple[Any, ...], tuple[bool, datetime | None]] = {}
    # (owner, due instant, local time) -> the day and the firing habits (position, id, name)
    due: dict[tuple[Any, datetime, time], tuple[date, list[tuple[int, UUID, str]]]] = {}
    updates: list[tuple[int, datetime | None, date | None]] = []
    for row in rows:
        rid, habit_id, local_time, _due_at, last_day, owner_id, name = row[:7]
        kind, target_value, direction, schedule_kind, mask, times, interval = row[7:14]
        start, archived_at, zone_name, position = row[14:]
        zone = zones[zone_name]
        day = days[rid]
        if archived_at is not None:
            updates.append((rid, None, last_day))
            continue
        today = todays[zone_name]
        habit_pauses = pauses.get(habit_id)
        # Rows alike in schedule, zone and time (most: daily habits at 07:00 in one zone) share
        # one answer; a start date matters only for every N days or before it has come.
        key = (
            schedule_kind,
            mask,
            interval,
            start if schedule_kind == ScheduleKind.EVERY_N_DAYS or start > today else None,
            zone_name,
            local_time,
            day,
        )
        found = None if habit_pauses else alike.get(key)
        if found is None:
            schedule = _schedule(
                kind=schedule_kind,
                start_date=start,
                weekday_mask=mask,
                times=times,
                interval_days=interval,
            )
            scheduled = engine.scheduled_day_predicate(schedule, list(habit_pauses or ()))
            found = (scheduled(day), engine.next_local_fire(local_time, zone, now, scheduled))
            if not habit_pauses:
                alike[key] = found
        is_scheduled, following = found
        value = values.get((habit_id, day))
        fires = last_day != day and is_scheduled and today == day
        if fires and value is not None:
            schedule = _schedule(
                kind=schedule_kind,
                start_date=start,
                weekday_mask=mask,
                times=times,
                interval_days=interval,
            )
            target = engine.TargetSpec(
                kind=kind,
                target_value=target_value if kind == "measurable" else None,
                direction=direction,
            )
            fires = not engine.is_done(target, schedule, value)
        updates.append((rid, following, day if fires else last_day))
        if fires:
            due.setdefault((owner_id, row[3], local_time), (day, []))[1].append(
                (position, habit_id, name)
            )
    items = []
    for (owner_id, _at, local_time), (day, habits) in due.items():
        habits.sort(key=lambda habit: (habit[0], habit[1].int))
        for part in range(0, len(habits), MAX_REMINDED_HABITS):
            items.append(
                (
                    str(owner_id),
                    {
                        "owner_id": str(owner_id),
                        "day": day.isoformat(),
                        "local_time": local_time.strftime("%H:%M"),
                        "habits": [
                            {"habit_id": str(habit_id), "habit_name": name}
                            for _position, habit_id, name in habits[
                                part : part + MAX_REMINDED_HABITS
                            ]
                        ],
                    },
                )
            )
    publish_events(type="habits.reminder.due", items=items)
    _advance(updates)
    sent = sum(len(habits) for _day, habits in due.values())
    return sent, len(rows) - sent, len(items)


def _advance(updates: list[tuple[int, datetime | None, date | None]]) -> None:
    """Each claimed reminder's new `next_fire_at` and `last_fired_day`, in one statement per
    batch on PostgreSQL (Django's `bulk_update` writes a CASE per column and row)."""
    if not updates:
        return
    if connection.vendor != "postgresql":
        Reminder.objects.bulk_update(
            [Reminder(id=i, next_fire_at=at, last_fired_day=day) for i, at, day in updates],
            ["next_fire_at", "last_fired_day"],
            batch_size=500,
        )
        return
    table = connection.ops.quote_name(Reminder._meta.db_table)
    # One JSON parameter (quoted once) rather than arrays of thousands of elements.
    rows = json.dumps(
        [
            {"id": i, "at": at.isoformat() if at else None, "day": day.isoformat() if day else None}
            for i, at, day in updates
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET next_fire_at = u.at, last_fired_day = u.day "  # noqa: S608 - quoted model name only
            "FROM jsonb_to_recordset(%s::jsonb) AS u(id bigint, at timestamptz, day date) "
            "WHERE r.id = u.id",
            [rows],
        )


# ---------------------------------------------------------------------------------------------
# The set-based pass (PostgreSQL)
#
# Per batch, in its transaction: (1) the due rows are claimed (`FOR UPDATE SKIP LOCKED`) into
# a temporary table with what the decision needs; (2) Python reads the *distinct* schedule
# keys of the batch (zone, local time, schedule, the start date only where it can matter,
# the habit only where a pause can matter, the due instant) and answers each with the engine
# itself: the due instant's local day, that zone's today, whether the day is scheduled, the
# next firing; (3) one statement joins the claimed rows with those answers and the day's
# check-in, inserts the outbox rows of those that fire and advances every claimed row. The
# rows never travel to Python, and no time zone rule is evaluated by PostgreSQL.

_CLAIM_TABLE = "habits_reminder_claim"
# A date before every habit: "the start date cannot matter" (all searched days are after it).
_NO_START = date(1, 1, 1)
# `every_n_days` keeps only its phase: a start on this date plus (start - it) mod N.
_PHASE_EPOCH = date(1970, 1, 5)
_NO_HABIT = UUID(int=0)


def _tables() -> dict[str, str]:
    from cotask_common.events.models import OutboxEvent

    q = connection.ops.quote_name
    return {
        "reminder": q(Reminder._meta.db_table),
        "habit": q(Habit._meta.db_table),
        "user": q(Habit._meta.get_field("owner").related_model._meta.db_table),
        "pause": q(Pause._meta.db_table),
        "checkin": q(Checkin._meta.db_table),
        "outbox": q(OutboxEvent._meta.db_table),
        "claim": _CLAIM_TABLE,
    }


# A start date matters only when it is after a day the pass looks at (the due day, or from
# the day before today on): local dates are within a day of UTC dates, so "after UTC today - 2
# or the due instant's UTC date - 1" is a safe superset. A pause likewise: the usual horizon
# (UTC today - 2) is one hashed set of the habits with such a pause, read once, rather than an
# index probe per row; only a row due days ago (a late pass) probes for its own horizon.
_CLAIM_SQL = """
CREATE TEMPORARY TABLE {claim} ON COMMIT DROP AS
WITH picked AS (
    SELECT r.id, r.habit_id, r.local_time, r.next_fire_at, r.last_fired_day,
           h.owner_id, h.name, h.position, h.kind, h.target_value, h.target_direction,
           h.schedule_kind, h.weekday_mask, h.times, h.interval_days, h.start_date,
           h.archived_at IS NOT NULL AS archived
    FROM {reminder} r
    JOIN {habit} h ON h.id = r.habit_id
    WHERE r.next_fire_at <= %(now)s {where}
    ORDER BY r.next_fire_at
    LIMIT %(limit)s
    FOR UPDATE OF r SKIP LOCKED
), rows AS (
    SELECT r.*, u.time_zone,
           LEAST(%(utc_today)s::date - 2,
                 (r.next_fire_at AT TIME ZONE 'UTC')::date - 1) AS horizon
    FROM picked r
    JOIN {user} u ON u.id = r.owner_id
)
SELECT rows.*,
       CASE WHEN start_date > horizon THEN start_date
            WHEN schedule_kind = 'every_n_days' THEN %(epoch)s::date
                 + (((start_date - %(epoch)s::date) %% interval_days) + interval_days)
                 %% interval_days
            ELSE %(no_start)s::date END AS start_key,
       CASE WHEN habit_id IN (SELECT p.habit_id FROM {pause} p
                              WHERE p.end_date >= %(utc_today)s::date - 2)
                 OR (horizon < %(utc_today)s::date - 2
                     AND EXISTS (SELECT 1 FROM {pause} p
                                 WHERE p.habit_id = rows.habit_id AND p.end_date >= horizon))
            THEN habit_id ELSE %(no_habit)s::uuid END AS pause_key
FROM rows
"""

# A session's part of the owners (k of n): by a byte of the owner's id (random in a UUIDv7).
# The habit is joined in the claim anyway (its columns are the decision's), so the filter
# costs no second join.
_PARTITION = "AND get_byte(uuid_send(h.owner_id), 15) %% %(parts)s = %(part)s"

_KEY_COLUMNS = (
    "time_zone, local_time, schedule_kind, weekday_mask, times, interval_days, start_key, "
    "pause_key, next_fire_at"
)

# Constant column names only.
_KEYS_SQL = f"SELECT {_KEY_COLUMNS} FROM {{claim}} WHERE NOT archived GROUP BY {_KEY_COLUMNS}"  # noqa: S608

_PAUSES_SQL = """
SELECT habit_id, start_date, end_date FROM {pause}
WHERE habit_id IN (SELECT DISTINCT pause_key FROM {claim} WHERE pause_key <> %(no_habit)s::uuid)
  AND end_date >= (SELECT min(horizon) FROM {claim})
"""

# The event id: a UUIDv7 made in PostgreSQL (the batch's millisecond, then random bits with
# the version and variant set), as the kit's `uuid7` lays it out.
_UUID7 = (
    "encode(set_byte(overlay(g.b placing substring(int8send(%(ms)s::bigint) from 3 for 6) "
    "from 1 for 6), 6, (get_byte(g.b, 6) & 15) | 112), 'hex')::uuid"
)

_SEND_SQL = """
WITH answer AS (
    SELECT * FROM jsonb_to_recordset(%(answers)s::jsonb) AS a(
        time_zone text, local_time time, schedule_kind text, weekday_mask int, times int,
        interval_days int, start_key date, pause_key uuid, next_fire_at timestamptz,
        day date, today date, scheduled boolean, next timestamptz)
), decided AS (
    SELECT c.id, c.habit_id, c.owner_id, c.name, c.position, c.local_time, c.next_fire_at,
           c.archived, c.last_fired_day, a.day, a.next,
           COALESCE(NOT c.archived AND a.scheduled AND a.day = a.today
                    AND c.last_fired_day IS DISTINCT FROM a.day
                    AND NOT COALESCE(
                        CASE WHEN c.kind = 'measurable' THEN
                                 CASE WHEN c.target_direction = 'at_least'
                                      THEN ch.value >= c.target_value
                                      ELSE ch.value <= c.target_value END
                             ELSE ch.value >= CASE WHEN c.schedule_kind = 'times_per_day'
                                                   THEN c.times ELSE 1 END
                        END, false), false) AS fires
    FROM {claim} c
    LEFT JOIN answer a
      ON a.time_zone = c.time_zone AND a.local_time = c.local_time
     AND a.schedule_kind = c.schedule_kind AND a.weekday_mask = c.weekday_mask
     AND a.times = c.times AND a.interval_days = c.interval_days
     AND a.start_key = c.start_key AND a.pause_key = c.pause_key
     AND a.next_fire_at = c.next_fire_at
    LEFT JOIN {checkin} ch ON ch.habit_id = c.habit_id AND ch.day = a.day
), numbered AS (
    SELECT d.*, (row_number() OVER (PARTITION BY owner_id, next_fire_at, local_time
                                    ORDER BY position, habit_id) - 1) / %(per_event)s AS part
    FROM decided d
    WHERE d.fires
), grouped AS (
    SELECT owner_id, next_fire_at, local_time, part, min(day) AS day,
           jsonb_agg(jsonb_build_object('habit_id', habit_id::text, 'habit_name', name)
                     ORDER BY position, habit_id) AS habits
    FROM numbered
    GROUP BY owner_id, next_fire_at, local_time, part
), firing AS (
    SELECT e.*, {uuid7} AS event_id
    FROM grouped e,
         LATERAL (SELECT uuid_send(gen_random_uuid()) AS b, e.owner_id, e.next_fire_at,
                         e.local_time, e.part) AS g
), written AS (
    INSERT INTO {outbox} (id, topic, key, type, payload, created_at, attempts, last_error)
    SELECT event_id, %(topic)s, owner_id::text, %(type)s,
           jsonb_build_object(
               'id', event_id::text, 'type', %(type)s, 'version', %(version)s::int,
               'occurred_at', %(stamp)s::text, 'producer', %(producer)s::text,
               'actor', NULL, 'key', owner_id::text,
               'data', jsonb_build_object(
                   'owner_id', owner_id::text, 'day', to_char(day, 'YYYY-MM-DD'),
                   'local_time', to_char(local_time, 'HH24:MI'), 'habits', habits)),
           %(occurred_at)s, 0, ''
    FROM firing
    RETURNING 1
), advanced AS (
    UPDATE {reminder} r
    SET next_fire_at = CASE WHEN d.archived THEN NULL ELSE d.next END,
        last_fired_day = CASE WHEN d.fires THEN d.day ELSE r.last_fired_day END
    FROM decided d
    WHERE r.id = d.id
    RETURNING 1
)
SELECT (SELECT count(*) FROM advanced), (SELECT count(*) FROM numbered),
       (SELECT count(*) FROM written),
       (SELECT pg_notify(%(channel)s, '') FROM (SELECT 1 FROM written LIMIT 1) AS any_written)
"""


def _answer(
    key: tuple[Any, ...],
    *,
    now: datetime,
    pauses: dict[UUID, list[engine.DayRange]],
    zones: dict[str, ZoneInfo],
) -> dict[str, Any]:
    """The engine's answer for one schedule key: the due instant's local day, today there,
    whether that day is scheduled, and the next firing after `now` (the row-by-row pass's
    rule, computed once per key rather than once per row)."""
    zone_name, local_time, kind, mask, times, interval, start, pause_key, due_at = key
    zone = zones.get(zone_name)
    if zone is None:
        zone = zones[zone_name] = zone_named(zone_name)
    schedule = _schedule(
        kind=kind, start_date=start, weekday_mask=mask, times=times, interval_days=interval
    )
    scheduled = engine.scheduled_day_predicate(schedule, pauses.get(pause_key, []))
    day = due_at.astimezone(zone).date()
    following = engine.next_local_fire(local_time, zone, now, scheduled)
    return {
        "time_zone": zone_name,
        "local_time": local_time.isoformat(),
        "schedule_kind": kind,
        "weekday_mask": mask,
        "times": times,
        "interval_days": interval,
        "start_key": start.isoformat(),
        "pause_key": str(pause_key),
        "next_fire_at": due_at.isoformat(),
        "day": day.isoformat(),
        "today": engine.local_today(zone, now).isoformat(),
        "scheduled": scheduled(day),
        "next": following.isoformat() if following else None,
    }


def _event_envelope(type: str) -> dict[str, Any]:
    """The common part of the batch's events, checked as the kit's `publish_events` checks it:
    declared, this service's, the latest version; a sample of the data the SQL builds (typed
    columns: ids, a name of 1 to 100 characters, a date, HH:MM) validated against the
    declaration, so a contract change that the statement misses fails here."""
    from django.conf import settings

    from cotask_common.contracts.registry import registry as contracts
    from cotask_common.events.envelope import Event, format_time

    sample = {
        "owner_id": str(_NO_HABIT),
        "day": "2026-01-01",
        "local_time": "07:30",
        "habits": [{"habit_id": str(_NO_HABIT), "habit_name": "x"}] * MAX_REMINDED_HABITS,
    }
    version = contracts.latest(type)
    contracts.get(type, version).validate(sample)
    event = Event.new(
        type=type,
        key=str(_NO_HABIT),
        data=sample,
        producer=settings.COTASK_SERVICE,
        actor=None,
        version=version,
    )
    return {
        "topic": event.topic,
        "type": type,
        "version": version,
        "producer": settings.COTASK_SERVICE,
        "occurred_at": event.occurred_at,
        "stamp": format_time(event.occurred_at),
        "ms": int(event.occurred_at.timestamp() * 1000),
    }


def _send_batch_sql(
    *, now: datetime, batch_size: int, part: tuple[int, int] = (0, 1)
) -> tuple[int, int, int]:
    """One batch of the set-based pass (inside the caller's transaction): (claimed, sent,
    events)."""
    from cotask_common.events.outbox import relay_wakeup, wakeup_channel

    tables = _tables()
    fixed: dict[str, Any] = {
        "now": now,
        "utc_today": now.astimezone(UTC).date(),
        "epoch": _PHASE_EPOCH,
        "no_start": _NO_START,
        "no_habit": _NO_HABIT,
        "limit": batch_size,
        "part": part[0],
        "parts": part[1],
    }
    with connection.cursor() as cursor:
        # The batch's sorts and hashes (100,000 rows) in memory, not spilled to disk.
        cursor.execute(f"SET LOCAL work_mem = '{SQL_WORK_MEM}'")
        claim = _CLAIM_SQL.format(**tables, where=_PARTITION if part[1] > 1 else "")
        cursor.execute(claim, fixed)
        if not cursor.rowcount:
            cursor.execute(f"DROP TABLE {_CLAIM_TABLE}")
            return 0, 0, 0
        cursor.execute(_KEYS_SQL.format(**tables))
        keys = cursor.fetchall()
        pauses: dict[UUID, list[engine.DayRange]] = defaultdict(list)
        if any(key[7] != _NO_HABIT for key in keys):
            cursor.execute(_PAUSES_SQL.format(**tables), fixed)
            for habit_id, start, end in cursor.fetchall():
                pauses[habit_id].append(engine.DayRange(start=start, end=end))
        zones: dict[str, ZoneInfo] = {}
        answers = [_answer(key, now=now, pauses=pauses, zones=zones) for key in keys]
        envelope = _event_envelope("habits.reminder.due")
        cursor.execute(
            _SEND_SQL.format(**tables, uuid7=_UUID7),
            {
                **envelope,
                "answers": json.dumps(answers),
                "channel": wakeup_channel(),
                "per_event": MAX_REMINDED_HABITS,
            },
        )
        claimed, sent, events, _notified = cursor.fetchone()
        cursor.execute(f"DROP TABLE {_CLAIM_TABLE}")
    if events:
        transaction.on_commit(relay_wakeup.set)
    return claimed, sent, events


# ---------------------------------------------------------------------------------------------
# Closing days


def close_due_days(
    *, now: datetime | None = None, batch_size: int = 500, max_batches: int = 0
) -> PassResult:
    """The beat's day close: every habit whose owner's local midnight came
    (`next_evaluation_at <= now`, through its index) is evaluated again as of the new local
    day (`services.refresh_figures`, which also keeps the milestone guard), and the periods
    that ended unmet since the last close are announced once: `habits.freeze.used` when a held
    freeze covered one, `habits.streak.broken` when none was left. Then the habit's next close
    is its owner's next local midnight. Rows are claimed as in `send_due_reminders`, so two
    passes close each day once. `sent` counts the events published."""
    from habits.tracking import services  # services imports this module's hook lazily

    now = now or timezone.now()
    result = PassResult()
    while not max_batches or result.batches < max_batches:
        with transaction.atomic():
            habits = list(
                Habit.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("owner")
                .filter(next_evaluation_at__lte=now)
                .order_by("next_evaluation_at")[:batch_size]
            )
            if not habits:
                break
            for habit in habits:
                sent = _close(habit, now=now, services=services)
                result.sent += sent
                result.skipped += not sent
        result.batches += 1
        if len(habits) < batch_size:
            break
    return result


def _close(habit: Habit, *, now: datetime, services: Any) -> int:
    zone = owner_zone(habit)
    today = engine.local_today(zone, now)
    sent = 0
    if habit.archived_at is None:
        # The last day whose close was announced; a habit never closed before announces
        # what ended since it was made.
        since = habit.evaluated_through or (
            engine.local_today(zone, habit.created_at) - timedelta(days=1)
        )
        evaluation = services.refresh_figures(habit, today=today)
        weeks = habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK
        unit = "week" if weeks else "day"
        for found in evaluation.events:
            if not isinstance(found, engine.FreezeUsed | engine.StreakBroken):
                continue
            # A period is closed (and announced) on the day after its last day.
            ended = found.day + timedelta(days=6 if weeks else 0)
            if not since < ended < today:
                continue
            ref = {"habit_id": str(habit.id), "owner_id": str(habit.owner_id)}
            ref["habit_name"] = habit.name
            if isinstance(found, engine.FreezeUsed):
                publish_event(
                    type="habits.freeze.used",
                    key=habit.id,
                    data={
                        **ref,
                        "day": found.day.isoformat(),
                        "freezes_left": found.freezes_left,
                        "current_streak": found.current_streak,
                        "streak_unit": unit,
                    },
                )
            else:
                publish_event(
                    type="habits.streak.broken",
                    key=habit.id,
                    data={
                        **ref,
                        "length": found.length,
                        "streak_unit": unit,
                        "day": found.day.isoformat(),
                    },
                )
            sent += 1
        habit.evaluated_through = today - timedelta(days=1)
    habit.next_evaluation_at = None if habit.archived_at else engine.next_local_midnight(zone, now)
    Habit.objects.filter(id=habit.id).update(
        evaluated_through=habit.evaluated_through, next_evaluation_at=habit.next_evaluation_at
    )
    return sent


def _id_list(ids: set[UUID]) -> Any:
    """`… IN (<ids>)` with the ids as one JSON parameter on PostgreSQL (quoting thousands of
    separate parameters took longer than the queries)."""
    if connection.vendor != "postgresql":
        return ids
    return RawSQL(
        "SELECT jsonb_array_elements_text(%s::jsonb)::uuid", [json.dumps([str(i) for i in ids])]
    )
