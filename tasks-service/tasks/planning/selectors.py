"""Reads of tasks: one task, a room's tasks and "my tasks" with their filters and sorts, the
board's columns, a task's history. Every read asks `membership_in` first; a task of a room the
caller is not in is the same 404 as a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
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


def task_queryset() -> QuerySet[Task]:
    """Tasks with everything their JSON shows, in a fixed number of queries per page."""
    done = Status.COMPLETED
    subtasks = Task.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
    return (
        Task.objects.select_related("room", "creator", "completed_by")
        .prefetch_related(
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
        )
        .annotate(
            subtasks_total=Coalesce(
                Subquery(subtasks.annotate(n=Count("pk")).values("n")[:1]), Value(0)
            ),
            subtasks_done=Coalesce(
                Subquery(subtasks.filter(status=done).annotate(n=Count("pk")).values("n")[:1]),
                Value(0),
            ),
            is_blocked=Exists(
                Dependency.objects.filter(task=OuterRef("pk")).exclude(blocked_by__status=done)
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


def room_tasks(*, user: UserRef, room_id: Any, filters: TaskFilters) -> QuerySet[Task]:
    membership = membership_in(user=user, room_id=room_id)
    return apply_filters(task_queryset().filter(room_id=membership.room_id), filters)


def my_tasks(*, user: UserRef, filters: TaskFilters) -> QuerySet[Task]:
    """Tasks assigned to me in the rooms I am in, and every task of my personal space."""
    my_rooms = Membership.objects.filter(user_id=user.id).values("room_id")
    assigned = Assignment.objects.filter(user_id=user.id, task__room_id__in=my_rooms).values(
        "task_id"
    )
    # The space's id as a value, not a subquery: the planner then estimates its few tasks
    # from the column's statistics instead of guessing half the table.
    space_id = (
        Room.objects.filter(owner_id=user.id, kind=RoomKind.PERSONAL)
        .values_list("id", flat=True)
        .first()
    )
    # The ids first (one small query), then the page by primary key: as one statement (an OR,
    # or IN a subquery) PostgreSQL scanned every task of every room to join them (a room of
    # 100,000 tasks: 150-270 ms against under 5; see docs/decisions.md).
    ids = assigned
    if space_id is not None:
        ids = assigned.union(Task.objects.filter(room_id=space_id).values("id"))
    rows = task_queryset().filter(id__in=list(ids.values_list("task_id", flat=True)))
    return apply_filters(rows, filters)


# ---------------------------------------------------------------------------------------------
# Board, history


BOARD_COLUMNS = (Status.PENDING, Status.IN_PROGRESS, Status.COMPLETED)


def board_column(*, room: Room, status: str) -> QuerySet[Task]:
    return task_queryset().filter(room=room, status=status)


def task_history(*, user: UserRef, task_id: Any) -> QuerySet[TaskChange]:
    task_uuid, _membership = _room_of(user=user, task_id=task_id, at_least=RoomRole.VIEWER)
    return TaskChange.objects.filter(task_id=task_uuid).select_related("actor")


def priority_value(name: str) -> int | None:
    for value, label in Priority.choices:
        if label == name:
            return value
    return None
