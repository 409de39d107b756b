"""Reads of tasks: one task, a room's tasks and "my tasks" with their filters and sorts, the
board's columns, a task's history. Every read asks `membership_in` first; a task of a room the
caller is not in is the same 404 as a missing one."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import (
    CharField,
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from cotask_common.users.models import UserRef
from tasks.planning.models import Assignment, Dependency, Priority, Status, Task, TaskChange
from tasks.planning.services import NO_DEADLINE, TaskNotFound
from tasks.rooms.access import RoomNotFound, membership_in
from tasks.rooms.models import Membership, Room, RoomKind, RoomRole

# `?sort=` → the ordering of the cursor pagination (the first field is the cursor's position;
# the id breaks ties).
SORTS: dict[str, tuple[str, ...]] = {
    "due": ("due_sort", "id"),  # no deadline: NO_DEADLINE, after every deadline
    "-due": ("-due_sort", "-id"),
    "priority": ("priority", "id"),
    "-priority": ("-priority", "-id"),
    "position": ("position", "id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "-updated"


def task_prefetches() -> list[Any]:
    """The related rows a task's JSON shows (one query each for a whole page)."""
    return [
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("user").order_by("user__username"),
        ),
        "labels",
        Prefetch(
            "dependencies",
            queryset=Dependency.objects.select_related("blocked_by").only(
                "task_id", "blocked_by__id", "blocked_by__title", "blocked_by__status"
            ),
        ),
    ]


def task_queryset() -> QuerySet[Task]:
    """Tasks with everything their JSON shows, in a fixed number of queries per page. A copy of
    one queryset built once per process (as DRF's `queryset = …` views do): building its
    subquery annotations cost more CPU than a whole board move's SQL (bench/tasks_board.py)."""
    return _task_queryset().all()


@functools.cache
def _task_queryset() -> QuerySet[Task]:
    done = Status.COMPLETED
    subtasks = Task.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
    return (
        Task.objects.select_related("room", "creator", "completed_by")
        .prefetch_related(*task_prefetches())
        .annotate(
            subtasks_total=Coalesce(
                Subquery(subtasks.annotate(n=Count("pk")).values("n")[:1]), Value(0)
            ),
            subtasks_done=Coalesce(
                Subquery(subtasks.filter(status=done).annotate(n=Count("pk")).values("n")[:1]),
                Value(0),
            ),
            # A scalar subquery, not EXISTS: PostgreSQL may run an EXISTS in the select list
            # as one hashed scan of every unfinished task before the LIMIT (130 ms a page at
            # 100,000 tasks); this one runs per row shown, on the dependency index.
            is_blocked=Coalesce(
                Subquery(
                    Dependency.objects.filter(task=OuterRef("pk"))
                    .exclude(blocked_by__status=done)
                    .values(blocked=Value(True))[:1]
                ),
                Value(False),
            ),
        )
    )


def _task_uuid(task_id: Any) -> UUID:
    try:
        return task_id if isinstance(task_id, UUID) else UUID(str(task_id))
    except ValueError:
        raise TaskNotFound() from None


def _room_of(*, user: UserRef, task_id: Any, at_least: str) -> tuple[UUID, Membership]:
    """The task's id and the user's membership of its room; a task of a room the user is not
    in is the same 404 as a missing one."""
    task_uuid = _task_uuid(task_id)
    room_id = Task.objects.filter(id=task_uuid).values_list("room_id", flat=True).first()
    if room_id is None:
        raise TaskNotFound()
    try:
        return task_uuid, membership_in(user=user, room_id=room_id, at_least=at_least)
    except RoomNotFound:
        raise TaskNotFound() from None


def task_for(
    *, user: UserRef, task_id: Any, at_least: str = RoomRole.VIEWER
) -> tuple[Task, Membership]:
    """A task the user may read (and their membership of its room)."""
    task_uuid, membership = _room_of(user=user, task_id=task_id, at_least=at_least)
    task = task_queryset().filter(id=task_uuid).first()
    if task is None:
        raise TaskNotFound()
    return task, membership


def written_task(*, task_id: UUID) -> Task:
    """The task a write service has just changed for its caller, as its JSON shows it. No
    access check of its own: the service checked the caller in the write's transaction (the
    response of a create, an edit or a move saves the two queries of a second check)."""
    task = task_queryset().prefetch_related(None).filter(id=task_id).first()
    if task is None:  # deleted since (a concurrent delete)
        raise TaskNotFound()
    attach_related_values([task])
    return task


# ---------------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class TaskFilters:
    status: list[str] | None = None
    assignee: UUID | None = None
    label: UUID | None = None
    priority: list[int] | None = None
    due: str | None = None  # overdue | today | week | none
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    tz: str = "UTC"


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _due_window(start: datetime, end: datetime, first_day: date, last_day: date) -> Q:
    """Deadlines inside [start, end): instants by time, all-day deadlines by date (a day's
    deadline belongs to that day wherever the reader is)."""
    return Q(due_at__gte=start, due_at__lt=end) | Q(due_date__gte=first_day, due_date__lte=last_day)


def apply_filters(rows: QuerySet[Task], filters: TaskFilters) -> QuerySet[Task]:
    if filters.status:
        rows = rows.filter(status__in=filters.status)
    if filters.assignee:
        rows = rows.filter(
            id__in=Assignment.objects.filter(user_id=filters.assignee).values("task_id")
        )
    if filters.label:
        rows = rows.filter(labels__id=filters.label)
    if filters.priority:
        rows = rows.filter(priority__in=filters.priority)
    zone = ZoneInfo(filters.tz)
    today = timezone.now().astimezone(zone).date()
    if filters.due == "none":
        rows = rows.filter(due_date__isnull=True, due_at__isnull=True)
    elif filters.due == "overdue":
        # Not done and past: an instant before now, or an all-day deadline before today.
        rows = rows.exclude(status=Status.COMPLETED).filter(
            Q(due_at__lt=timezone.now()) | Q(due_date__lt=today)
        )
    elif filters.due == "today":
        start = _day_start(today, zone)
        rows = rows.filter(_due_window(start, start + timedelta(days=1), today, today))
    elif filters.due == "week":
        # The next seven days, today included.
        start = _day_start(today, zone)
        last = today + timedelta(days=6)
        rows = rows.filter(
            _due_window(start, _day_start(last + timedelta(days=1), zone), today, last)
        )
    if filters.due_from or filters.due_to:
        first = filters.due_from or date.min
        last = filters.due_to or date.max
        start = _day_start(first, zone) if filters.due_from else datetime.min.replace(tzinfo=UTC)
        end = _day_start(last + timedelta(days=1), zone) if filters.due_to else NO_DEADLINE
        rows = rows.filter(_due_window(start, end, first, last))
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    return rows


def room_tasks(
    *, user: UserRef, room_id: Any, filters: TaskFilters, membership: Membership | None = None
) -> QuerySet[Task]:
    """`membership`: the caller's, when the view has already looked it up."""
    if membership is None:
        membership = membership_in(user=user, room_id=room_id)
    return apply_filters(task_queryset().filter(room_id=membership.room_id), filters)


def my_rooms(*, user: UserRef) -> list[Room]:
    """The rooms I am in (my personal space among them) with their kind, owner and version:
    what "my tasks" reads, and the key of its cached pages. One small query."""
    return list(
        Room.objects.filter(memberships__user_id=user.id)
        .only("id", "kind", "owner_id", "version")
        .order_by("id")
    )


def my_tasks(
    *, user: UserRef, filters: TaskFilters, rooms: list[Room] | None = None
) -> QuerySet[Task]:
    """Tasks assigned to me in the rooms I am in, and every task of my personal space.
    `rooms`: `my_rooms`, when the view has already read it."""
    if rooms is None:
        rooms = my_rooms(user=user)
    my_room_ids = [room.id for room in rooms]
    space_id = next(
        (r.id for r in rooms if r.kind == RoomKind.PERSONAL and r.owner_id == user.id), None
    )
    # Only my assignments here (an index-only scan); "in my rooms" is checked on the page's
    # rows below: joined here, PostgreSQL read every task of my rooms (130 ms at 100,000).
    assigned = Assignment.objects.filter(user_id=user.id).values("task_id")
    # The ids as a subquery, my rooms as values: PostgreSQL then reads my few ids and fetches
    # their tasks by primary key. With the rooms as a subquery too it guessed an average room's
    # size and read every task of my rooms (a room of 100,000 tasks: 300 ms); the ids as a
    # list of values (~500 parameters) cost more CPU in Python than the rest of the page.
    ids = assigned
    if space_id is not None:
        ids = assigned.union(Task.objects.filter(room_id=space_id).values("id"))
    rows = task_queryset().filter(id__in=ids, room_id__in=my_room_ids)
    return apply_filters(rows, filters)


# ---------------------------------------------------------------------------------------------
# Board, history


BOARD_COLUMNS = (Status.PENDING, Status.IN_PROGRESS, Status.COMPLETED)


def board_column(*, room: Room, status: str) -> QuerySet[Task]:
    """A column's tasks without their related rows: `attach_related_values` fetches those once for
    every column of the page (3 queries instead of 3 per column)."""
    return task_queryset().filter(room=room, status=status).prefetch_related(None)


def attach_related_values(tasks: list[Task]) -> None:
    """The assignees, labels and blockers of every task of a page (a list's, the board's three
    columns, a moved task) as plain values, in one query (a UNION ALL of the three; `TaskOutput`
    reads them). Not `prefetch_related_objects`: building a related manager and model rows per
    task cost more CPU than the rest of the board (bench/tasks_board.py). Sorted here as the
    single task's JSON sorts them: assignees by username, labels by name ignoring case."""
    ids = [task.id for task in tasks]
    assignees: dict[UUID, list[dict[str, str]]] = {task_id: [] for task_id in ids}
    labels: dict[UUID, list[dict[str, str]]] = {task_id: [] for task_id in ids}
    blockers: dict[UUID, list[dict[str, str]]] = {task_id: [] for task_id in ids}
    if ids:
        kind = CharField()
        rows = (
            Assignment.objects.filter(task_id__in=ids)
            .annotate(kind=Value("a", output_field=kind), extra=Value("", output_field=kind))
            .values_list("kind", "task_id", "user_id", "user__username", "extra")
            .union(
                Task.labels.through.objects.filter(task_id__in=ids)
                .annotate(kind=Value("l", output_field=kind))  # type: ignore[misc]  # stubs: the through model's annotations
                .values_list("kind", "task_id", "label_id", "label__name", "label__color"),
                Dependency.objects.filter(task_id__in=ids)
                .annotate(kind=Value("b", output_field=kind))
                .values_list(
                    "kind", "task_id", "blocked_by_id", "blocked_by__title", "blocked_by__status"
                ),
                all=True,
            )
        )
        for which, task_id, other_id, name, extra in rows:
            if which == "a":
                assignees[task_id].append({"id": str(other_id), "username": name})
            elif which == "l":
                labels[task_id].append({"id": str(other_id), "name": name, "color": extra})
            else:
                blockers[task_id].append({"id": str(other_id), "title": name, "status": extra})
    for task in tasks:
        task.shown_assignees = sorted(assignees[task.id], key=lambda a: a["username"])  # type: ignore[attr-defined]
        task.shown_labels = sorted(labels[task.id], key=lambda label: label["name"].lower())  # type: ignore[attr-defined]
        task.shown_blockers = blockers[task.id]  # type: ignore[attr-defined]


def task_history(*, user: UserRef, task_id: Any) -> QuerySet[TaskChange]:
    task_uuid, _membership = _room_of(user=user, task_id=task_id, at_least=RoomRole.VIEWER)
    return TaskChange.objects.filter(task_id=task_uuid).select_related("actor")


def priority_value(name: str) -> int | None:
    for value, label in Priority.choices:
        if label == name:
            return value
    return None
