"""Reading a person's agenda: their tasks of each day, the habits scheduled that day with their
state, and the cards due, each with an estimate of minutes.

A fixed number of queries whatever the number of tasks, habits and cards: on PostgreSQL three
(`hot_sql`: the rooms, planned days and tasks in one; the habits with their check-ins; the cards'
outlook with the answer pace), elsewhere six (the ORM twins: each of those apart).
Tasks are the ones the person should do: assigned to them, or created by them with nobody
assigned, in a room they are still a member of, and every task of their personal space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import ServiceError
from cotask_common.localtime import zone_named
from cotask_common.schedules import Pauses, due_by_schedule
from tasks.agenda import hot_sql
from tasks.agenda.models import (
    Suggestion,
    SuggestionStatus,
)
from tasks.planning.models import Assignment, Priority, Status, Task
from tasks.planning.services import NO_DEADLINE
from tasks.rooms.models import Room, RoomKind

MAX_DAYS = 7
PRIORITIES = {value: label for value, label in Priority.choices}
# The tasks an agenda shows at most (the nearest deadlines first): a response stays bounded
# however many overdue tasks pile up.
MAX_TASKS = hot_sql.MAX_TASKS
# The study days the answer pace is averaged over.
PACE_DAYS = 14


def day_minutes() -> int:
    return settings.AGENDA_DAY_MINUTES


@dataclass(slots=True)
class Row:
    """What the agenda reads of a task (plain values: no model instances to build)."""

    id: UUID
    title: str
    status: str
    priority: int
    due_date: date | None
    due_at: datetime | None
    due_sort: datetime
    estimate_minutes: int | None
    room: dict[str, str]


@dataclass(slots=True)
class Item:
    """One task on the agenda, with what ordering and planning need."""

    task: Row
    day: date
    planned_for: date | None
    overdue: bool
    minutes: int

    @property
    def movable(self) -> bool:
        """A task with no deadline: only its planned day places it."""
        return self.task.due_date is None and self.task.due_at is None

    def sort_key(self) -> tuple[Any, ...]:
        # Deadline first (planned tasks without one after), then the higher priority.
        return (self.task.due_sort, -self.task.priority, self.task.id)


@dataclass
class Day:
    day: date
    tasks: list[Item] = field(default_factory=list)
    overdue: list[Item] = field(default_factory=list)
    habits: list[dict[str, Any]] = field(default_factory=list)
    cards: int | None = None
    card_minutes: int = 0

    @property
    def task_minutes(self) -> int:
        return sum(i.minutes for i in self.tasks) + sum(i.minutes for i in self.overdue)

    @property
    def habit_minutes(self) -> int:
        return len(self.habits) * settings.AGENDA_HABIT_MINUTES

    @property
    def total_minutes(self) -> int:
        return self.task_minutes + self.habit_minutes + self.card_minutes


@dataclass
class Agenda:
    time_zone: str
    today: date
    days: list[Day]


def parse_window(*, start: Any, days: Any, today: date) -> tuple[date, int]:
    """`start` (YYYY-MM-DD, default today) and `days` (1 to MAX_DAYS, default 1); a 400 naming
    the field otherwise."""
    first = today
    if start is not None:  # given empty is a 400, not left out
        try:
            first = date.fromisoformat(str(start))
        except ValueError:
            raise ServiceError.for_field(
                "start", _("Give a date as YYYY-MM-DD."), code="invalid"
            ) from None
    count = 1
    if days is not None:
        try:
            count = int(str(days))
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_DAYS:
            raise ServiceError.for_field(
                "days",
                _("Give a number of days from 1 to %(max)d.") % {"max": MAX_DAYS},
                code="invalid",
            )
    return first, count


def my_rooms(*, user_id: UUID) -> tuple[list[UUID], UUID | None]:
    """The rooms the person is a member of now, and their personal space. One query."""
    rooms, space = _rooms(user_id)
    return list(rooms), space


def _rooms(user_id: UUID) -> tuple[dict[UUID, dict[str, str]], UUID | None]:
    rows = list(
        Room.objects.filter(memberships__user_id=user_id).values_list(
            "id", "kind", "owner_id", "name"
        )
    )
    space = next(
        (i for i, kind, owner, _name in rows if kind == RoomKind.PERSONAL and owner == user_id),
        None,
    )
    return {i: {"id": str(i), "name": name, "kind": kind} for i, kind, _o, name in rows}, space


def my_tasks(*, user_id: UUID, rooms: list[UUID], space: UUID | None) -> QuerySet[Task]:
    """The person's open tasks: assigned to them, or created by them with nobody assigned, in
    rooms they are in, and their personal space's. The candidates are found by index (their
    assignments, the tasks they created, their space's), never by scanning their rooms."""
    ids = (
        Assignment.objects.filter(user_id=user_id)
        .values("task_id")
        .union(
            Task.objects.filter(creator_id=user_id, room_id__in=rooms)
            .exclude(Exists(Assignment.objects.filter(task_id=OuterRef("pk"))))
            .values("id")
        )
    )
    if space is not None:
        ids = ids.union(Task.objects.filter(room_id=space).values("id"))
    return Task.objects.filter(id__in=ids, room_id__in=rooms).exclude(status=Status.COMPLETED)


def _instant(day: date, zone: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _task_items(
    *, user_id: UUID, zone: Any, first: date, last: date, today: date, now: datetime
) -> list[Item]:
    end = _instant(last + timedelta(days=1), zone)
    # Overdue tasks show on today only: with today outside the window, deadlines from `first`.
    since = None if first <= today <= last else (first, _instant(first, zone))
    read = hot_sql.task_rows if hot_sql.enabled() else hot_sql.task_rows_orm
    rows = read(user_id=user_id, last=last, end=end, since=since)
    rooms: dict[UUID, dict[str, str]] = {}
    items = []
    default = settings.AGENDA_TASK_MINUTES
    for (
        id,
        title,
        status,
        priority,
        due_date,
        due_at,
        estimate,
        room_id,
        kind,
        name,
        planned_for,
    ) in rows:
        room = rooms.get(room_id)
        if room is None:
            room = rooms[room_id] = {"id": str(room_id), "name": name, "kind": kind}
        # `due_sort` as the planning service stores it, without reading (parsing) it again.
        sort = (
            due_at
            if due_at is not None
            else datetime.combine(due_date, time.min, tzinfo=UTC)
            if due_date is not None
            else NO_DEADLINE
        )
        task = Row(id, title, status, priority, due_date, due_at, sort, estimate, room)
        if task.due_at is not None:
            day, overdue = task.due_at.astimezone(zone).date(), task.due_at <= now
        elif task.due_date is not None:
            day, overdue = task.due_date, task.due_date < today
        elif planned_for is not None:
            # A planned day gone by without the task done rolls on to today.
            day, overdue = max(planned_for, today), False
        else:
            continue
        if overdue and day < first:
            day = today  # an older deadline shows in today's overdue list
        if not first <= day <= last:
            continue
        minutes = task.estimate_minutes if task.estimate_minutes is not None else default
        items.append(Item(task, day, planned_for, overdue, minutes))
    return items


def _habits(*, user_id: UUID, first: date, last: date) -> dict[date, list[dict[str, Any]]]:
    read = hot_sql.habits if hot_sql.enabled() else hot_sql.habits_orm
    habits = read(user_id=user_id, first=first, last=last)
    done = {(h.habit_id, day) for h in habits for day in h.done_days}  # type: ignore[attr-defined]
    paused = {
        h.habit_id: Pauses(
            (date.fromisoformat(start), date.fromisoformat(end)) for start, end in h.pauses
        )
        for h in habits
    }
    by_day: dict[date, list[dict[str, Any]]] = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        by_day[day] = [
            {
                "habit_id": str(h.habit_id),
                "name": h.name,
                "schedule": h.kind,
                "times": h.times,
                "done": (h.habit_id, day) in done,
            }
            for h in habits
            if day >= h.start_date
            and day not in paused[h.habit_id]
            and due_by_schedule(
                kind=h.kind,
                day=day,
                start_date=h.start_date,
                weekdays=h.weekdays,
                interval_days=h.interval_days,
            )
        ]
    return by_day


def agenda(
    *, user_id: UUID, time_zone: str, first: date, count: int, now: datetime | None = None
) -> Agenda:
    """The person's agenda for `count` days from `first`, in their zone. Three queries on
    PostgreSQL, six elsewhere."""
    now = now or timezone.now()
    zone = zone_named(time_zone)
    today = now.astimezone(zone).date()
    last = first + timedelta(days=count - 1)
    days = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range(count)}
    for item in sorted(
        _task_items(user_id=user_id, zone=zone, first=first, last=last, today=today, now=now),
        key=Item.sort_key,
    ):
        entry = days[item.day]
        (entry.overdue if item.overdue and item.day == today else entry.tasks).append(item)
    for day, habits in _habits(user_id=user_id, first=first, last=last).items():
        days[day].habits = habits
    read_outlook = hot_sql.cards_outlook if hot_sql.enabled() else hot_sql.cards_outlook_orm
    outlook = read_outlook(user_id=user_id)
    if outlook:
        forecast, per_card = outlook[0], outlook[1] or settings.AGENDA_CARD_SECONDS * 1000
        for day, entry in days.items():
            cards = forecast.get(day.isoformat())
            if cards is not None and day >= today:
                entry.cards = int(cards)
                entry.card_minutes = math.ceil(entry.cards * per_card / 60_000)
    return Agenda(time_zone=str(zone), today=today, days=list(days.values()))


def task_json(item: Item) -> dict[str, Any]:
    task = item.task
    return {
        "id": str(task.id),
        "title": task.title,
        "status": task.status,
        "priority": PRIORITIES[task.priority],
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "due_at": task.due_at.isoformat().replace("+00:00", "Z") if task.due_at else None,
        "planned_for": item.planned_for.isoformat() if item.planned_for else None,
        "estimate_minutes": task.estimate_minutes,
        "minutes": item.minutes,
        "overdue": item.overdue,
        "movable": item.movable,
        "room": task.room,
    }


def agenda_json(result: Agenda) -> dict[str, Any]:
    return {
        "time_zone": result.time_zone,
        "today": result.today.isoformat(),
        "day_minutes": day_minutes(),
        "days": [
            {
                "day": d.day.isoformat(),
                "overdue": [task_json(i) for i in d.overdue],
                "tasks": [task_json(i) for i in d.tasks],
                "habits": d.habits,
                "cards": {"due": d.cards, "minutes": d.card_minutes},
                "minutes": {
                    "tasks": d.task_minutes,
                    "habits": d.habit_minutes,
                    "cards": d.card_minutes,
                    "total": d.total_minutes,
                },
            }
            for d in result.days
        ],
    }


def pending_suggestions(*, user_id: UUID) -> QuerySet[Suggestion]:
    """My suggestions not yet answered (the cursor pagination orders them, newest first)."""
    return (
        Suggestion.objects.filter(user_id=user_id, status=SuggestionStatus.PENDING)
        .select_related("task")
        .only(
            "id", "from_day", "to_day", "minutes", "status", "created_at", "task__id", "task__title"
        )
    )
