"""When each reminder (and overdue notice) of a task is due, kept current as tasks change.

Who is reminded: the task's assignees, or its creator when nobody is assigned (only while they
are a member of the task's room). Only open tasks (not completed) with a deadline have rows.

Each person gets one row per offset (`selectors.offsets_for`: the task's override, else their
defaults) and one `overdue` row:
- a timed deadline (`due_at`): an offset of `d` whole days and `r` minutes
  (offset = d·1440 + r) reminds at the deadline's local wall time `d` days earlier in the
  person's zone, minus `r` minutes. "A day before 09:00 Monday" is 09:00 Sunday even when the
  clocks changed between (a plain 24 h would be 08:00 or 10:00).
- an all-day deadline (`due_date`): at the person's `all_day_time` local, on the day that is
  the offset rounded to whole days (half a day and more rounds up) before the deadline's day:
  1440 → the day before, 60 → the day itself, 0 → the day itself.
- overdue: a timed deadline at `due_at`; an all-day one at the end of its day (local midnight
  after it) in the person's zone.
A local time skipped by a clock change comes shifted forward by the gap; one that comes twice
comes the first time (`fold=0`).

`reschedule_tasks` recomputes the rows of some tasks: a row whose deadline (`due_sort`) changed
is pending again at its new time (a new deadline is reminded and can be overdue again); a sent
row of the same deadline stays sent; a snoozed row keeps its snoozed time; rows of people no
longer reminded, of completed tasks and of removed deadlines go. A reminder whose moment has
already passed when it is (re)computed is not made: a deadline set for in 30 minutes does not
send its "a day before" at once.

planning/services.py calls `task_changed` inside each write's transaction (create, update,
board move, unassign); a deleted task's rows go with it (CASCADE).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cotask_common.localtime import zone_named
from cotask_common.users.models import UserRef
from tasks.planning.models import Assignment, Status, Task
from tasks.reminders.models import (
    DEFAULT_ALL_DAY_TIME,
    DEFAULT_OFFSETS_MINUTES,
    Kind,
    Reminder,
    ReminderSettings,
    TaskReminderOverride,
)
from tasks.rooms.models import Membership

DAY = 1440


def _at_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: a skipped wall time maps forward by the gap, a repeated one to its first time.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def remind_at_for(
    *,
    due_date: date | None,
    due_at: datetime | None,
    minutes_before: int,
    zone: ZoneInfo,
    all_day_time: time,
) -> datetime:
    """The instant (UTC) a reminder `minutes_before` the deadline comes (module docstring)."""
    if due_at is not None:
        days, rest = divmod(minutes_before, DAY)
        local = due_at.astimezone(zone)
        wall = local.replace(tzinfo=None) - timedelta(days=days)
        return _at_local(wall.date(), wall.time(), zone) - timedelta(minutes=rest)
    assert due_date is not None
    days = (minutes_before + DAY // 2) // DAY
    return _at_local(due_date - timedelta(days=days), all_day_time, zone)


def overdue_at_for(*, due_date: date | None, due_at: datetime | None, zone: ZoneInfo) -> datetime:
    """When the deadline has passed for a person in `zone`."""
    if due_at is not None:
        return due_at.astimezone(UTC)
    assert due_date is not None
    return _at_local(due_date + timedelta(days=1), time.min, zone)


@dataclass
class _Person:
    zone: ZoneInfo
    offsets: list[int]
    all_day_time: time


def _people(user_ids: set[UUID]) -> dict[UUID, _Person]:
    zones = dict(UserRef.objects.filter(id__in=user_ids).values_list("id", "time_zone"))
    settings = {
        row[0]: row[1:]
        for row in ReminderSettings.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "offsets_minutes", "all_day_time"
        )
    }
    people = {}
    for user_id in user_ids:
        offsets, at = settings.get(user_id, (list(DEFAULT_OFFSETS_MINUTES), DEFAULT_ALL_DAY_TIME))
        people[user_id] = _Person(zone_named(zones.get(user_id)), list(offsets), at)
    return people


def reschedule_tasks(*, task_ids: Iterable[UUID], now: datetime | None = None) -> None:
    """Recompute the reminder rows of these tasks (module docstring). A handful of queries
    whatever the number of tasks; call inside the change's transaction."""
    task_ids = list(set(task_ids))
    if not task_ids:
        return
    now = now or timezone.now()
    member = Membership.objects.filter(room_id=OuterRef("room_id"), user_id=OuterRef("creator_id"))
    tasks = {
        row["id"]: row
        for row in Task.objects.filter(id__in=task_ids)
        .annotate(creator_is_member=Exists(member))
        .values("id", "status", "due_date", "due_at", "due_sort", "creator_id", "creator_is_member")
    }
    open_ids = [
        i
        for i, t in tasks.items()
        if t["status"] != Status.COMPLETED and (t["due_date"] or t["due_at"])
    ]
    recipients: dict[UUID, list[UUID]] = defaultdict(list)
    for task_id, user_id in Assignment.objects.filter(task_id__in=open_ids).values_list(
        "task_id", "user_id"
    ):
        recipients[task_id].append(user_id)
    for task_id in open_ids:
        task = tasks[task_id]
        if not recipients[task_id] and task["creator_id"] and task["creator_is_member"]:
            recipients[task_id].append(task["creator_id"])
    overrides = dict(
        TaskReminderOverride.objects.filter(task_id__in=open_ids).values_list(
            "task_id", "offsets_minutes"
        )
    )
    people = _people({u for users in recipients.values() for u in users})

    wanted: dict[tuple[UUID, UUID, str, int], datetime] = {}
    for task_id in open_ids:
        task = tasks[task_id]
        for user_id in recipients[task_id]:
            person = people[user_id]
            offsets = overrides.get(task_id, person.offsets)
            for minutes in set(offsets):
                wanted[(task_id, user_id, Kind.REMINDER, minutes)] = remind_at_for(
                    due_date=task["due_date"],
                    due_at=task["due_at"],
                    minutes_before=minutes,
                    zone=person.zone,
                    all_day_time=person.all_day_time,
                )
            wanted[(task_id, user_id, Kind.OVERDUE, 0)] = overdue_at_for(
                due_date=task["due_date"], due_at=task["due_at"], zone=person.zone
            )

    gone: list[UUID] = []
    changed: list[Reminder] = []
    for row in Reminder.objects.filter(task_id__in=task_ids):
        key = (row.task_id, row.user_id, row.kind, row.minutes_before)
        at = wanted.pop(key, None)
        if at is None:
            gone.append(row.id)
            continue
        due_sort = cast(datetime, tasks[row.task_id]["due_sort"])  # set: it has a deadline
        if row.due_sort != due_sort:  # a new deadline: remind (and tell overdue) again
            if at <= now:
                gone.append(row.id)
                continue
            row.due_sort, row.remind_at, row.sent_at, row.snoozed_at = due_sort, at, None, None
            changed.append(row)
        elif row.sent_at is None and row.snoozed_at is None and row.remind_at != at:
            if at <= now < row.remind_at:  # moved into the past (a zone change): not made
                gone.append(row.id)
                continue
            row.remind_at = at
            changed.append(row)
    if gone:
        Reminder.objects.filter(id__in=gone).delete()
    if changed:
        Reminder.objects.bulk_update(
            changed, ["due_sort", "remind_at", "sent_at", "snoozed_at"], batch_size=500
        )
    new = [
        Reminder(
            task_id=task_id,
            user_id=user_id,
            kind=kind,
            minutes_before=minutes,
            due_sort=cast(datetime, tasks[task_id]["due_sort"]),
            remind_at=at,
        )
        for (task_id, user_id, kind, minutes), at in wanted.items()
        if at > now
    ]
    if new:
        # ignore_conflicts: a settings change rescheduling across rooms may meet a task edit
        # that made the same row (same key, same time) a moment before.
        Reminder.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)


def task_changed(*, task: Task, fields: Iterable[str] = ("due",), created: bool = False) -> None:
    """planning/services.py's hook, inside the write's transaction. `fields` are the changed
    ones (history names); only a deadline, status or assignees change matters. A task without
    a deadline has no rows and a completed one none either, so those cost a query at most
    (most tasks: none)."""
    if not (created or {"due", "status", "assignees"} & set(fields)):
        return
    has_deadline = task.due_date is not None or task.due_at is not None
    if not has_deadline or task.status == Status.COMPLETED:
        # Rows exist only while a deadline does: a removed deadline or a completed task with
        # one clears them; anything else had none.
        if not created and ("due" in fields or has_deadline):
            Reminder.objects.filter(task_id=task.id).delete()
        return
    reschedule_tasks(task_ids=[task.id])


def tasks_of_person(*, user_id: UUID) -> list[UUID]:
    """The open tasks with deadlines the person may be reminded of (assigned, or created with
    nobody assigned), and those they have rows of."""
    assigned = Assignment.objects.filter(task_id=OuterRef("id"))
    open_with_deadline = Task.objects.exclude(status=Status.COMPLETED).filter(
        Q(due_date__isnull=False) | Q(due_at__isnull=False)
    )
    ids = set(open_with_deadline.filter(assignments__user_id=user_id).values_list("id", flat=True))
    ids |= set(
        open_with_deadline.filter(creator_id=user_id)
        .exclude(Exists(assigned))
        .values_list("id", flat=True)
    )
    ids |= set(Reminder.objects.filter(user_id=user_id).values_list("task_id", flat=True))
    return sorted(ids)


def reschedule_person(*, user_id: UUID, now: datetime | None = None) -> int:
    """The person's defaults or zone changed: their reminders follow. Returns how many tasks."""
    with transaction.atomic():
        task_ids = tasks_of_person(user_id=user_id)
        for start in range(0, len(task_ids), 500):
            reschedule_tasks(task_ids=task_ids[start : start + 500], now=now)
    return len(task_ids)
