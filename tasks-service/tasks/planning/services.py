"""Writes on tasks: create, edit, move on the board, delete, and taking a person off a room's
tasks. Every change writes its `TaskChange` history rows and its `tasks.task.*` events in the
same transaction.

Lock order: every write of a room's tasks first takes the room's row lock through
`membership_in(..., lock=True)` (which is also the permission check), then the task rows. One
lock per room serialises creates, edits and board moves of that room, so positions never
collide and two concurrent moves leave one consistent order.

Extension points (subtasks, dependencies, recurrence live in their own modules, see
`_extension`): `create_task` and `update_task` are the single entry points and call
- `tasks.planning.dependencies.clean_parent(*, room, parent_id, task)` → the parent Task or None
  (validates same room, depth, cycles; `task` is None on create),
- `tasks.planning.dependencies.set_blocked_by(*, task, blocked_by_ids, actor)` → (before ids,
  after ids) (validates and writes the rows),
- `tasks.planning.recurrence.clean_rule(*, rule)` → the normalised rule ("" = none),
- `tasks.planning.recurrence.on_completed(*, task, actor)` after a task became completed,
- `tasks.planning.recurrence.apply_to_following(*, task, actor, fields)` for `scope="following"`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from types import ModuleType
from typing import Any, cast
from uuid import UUID

from django.db import transaction
from django.db.models import F, Field, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.errors import NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.statements import Columns, Statement
from cotask_common.users.models import UserRef
from tasks.planning.models import Assignment, Priority, Status, Task, TaskChange
from tasks.reminders import scheduling as reminders
from tasks.rooms import milestones
from tasks.rooms.access import (
    RoomRoleRequired,
    has_role,
    membership_in,
    touch_rooms,
)
from tasks.rooms.models import Label, Membership, Room, RoomRole

# `due_sort` of a task without a deadline: after every deadline, and never NULL, so one plain
# index (room, due_sort) serves the sorts and keyset cursors never compare with NULL.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

# Distance between neighbours on the board: a move writes one row until a gap is used up.
POSITION_GAP = 1024
MAX_ESTIMATE_MINUTES = 100_000
MAX_ASSIGNEES = 50
MAX_LABELS = 20

_UNSET: Any = object()


class TaskNotFound(NotFound):
    """A missing task and a task of a room the caller is not in look the same."""

    code = "task_not_found"

    def __init__(self) -> None:
        super().__init__(_("No task with this id."), code="task_not_found")


# ---------------------------------------------------------------------------------------------
# Small helpers


def priority_name(value: int) -> str:
    return Priority(value).label


def due_value(task: Task) -> dict[str, str | None] | None:
    """The deadline as the API and the history show it."""
    if task.due_date is not None:
        return {"date": task.due_date.isoformat(), "at": None}
    if task.due_at is not None:
        return {"date": None, "at": task.due_at.astimezone(UTC).isoformat().replace("+00:00", "Z")}
    return None


def _set_due(task: Task, due: date | datetime | None) -> None:
    if isinstance(due, datetime):
        due = due.astimezone(UTC)  # stored and published in UTC
        task.due_date, task.due_at, task.due_sort = None, due, due
    elif isinstance(due, date):
        task.due_date, task.due_at = due, None
        task.due_sort = datetime.combine(due, time.min, tzinfo=UTC)
    else:
        task.due_date = task.due_at = None
        task.due_sort = NO_DEADLINE


def _task_ref(task: Task, room: Room) -> dict[str, Any]:
    return {
        "room_id": room.id,
        "room_name": room.name,
        "task_id": task.id,
        "title": task.title,
        "room_kind": room.kind,
    }


def _extension(module: str, field: str) -> ModuleType:
    """A sibling module that owns a task feature (subtasks and dependencies, recurrence).
    Missing (not built yet) → the field is refused, never silently ignored."""
    try:
        return importlib.import_module(f"tasks.planning.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tasks.planning.{module}":
            raise
        raise ServiceError.for_field(
            field, _("This field is not supported yet."), code="not_supported"
        ) from None


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ServiceError.for_field("title", _("A task needs a title."), code="required")
    if len(title) > 255:
        raise ServiceError.for_field(
            "title",
            ngettext(
                "At most %(limit)d character, got %(count)d.",
                "At most %(limit)d characters, got %(count)d.",
                255,
            )
            % {"limit": 255, "count": len(title)},
            code="too_long",
        )
    return title


def _clean_estimate(value: int | None) -> int | None:
    if value is None:
        return None
    if value < 0 or value > MAX_ESTIMATE_MINUTES:
        raise ServiceError.for_field(
            "estimate_minutes",
            ngettext(
                "Between 0 and %(limit)d minute.",
                "Between 0 and %(limit)d minutes.",
                MAX_ESTIMATE_MINUTES,
            )
            % {"limit": MAX_ESTIMATE_MINUTES},
            code="out_of_range",
        )
    return value


def _unique_ids(values: Iterable[Any], field: str, limit: int) -> list[UUID]:
    ids: list[UUID] = []
    for raw in values:
        try:
            value = raw if isinstance(raw, UUID) else UUID(str(raw))
        except ValueError:
            raise ServiceError.for_field(field, _("Not a valid id."), code="invalid") from None
        if value not in ids:
            ids.append(value)
    if len(ids) > limit:
        raise ServiceError.for_field(
            field, _("At most %(limit)d.") % {"limit": limit}, code="too_many"
        )
    return ids


def _clean_assignees(room: Room, assignee_ids: Iterable[Any]) -> list[UUID]:
    """Assignees must be members of the room (in a personal space: only its owner). Viewers
    may be assigned: they read the room, and a task may be theirs to follow."""
    ids = _unique_ids(assignee_ids, "assignee_ids", MAX_ASSIGNEES)
    if not ids:
        return ids
    members = set(
        Membership.objects.filter(room=room, user_id__in=ids).values_list("user_id", flat=True)
    )
    strangers = [str(i) for i in ids if i not in members]
    if strangers:
        raise ServiceError.for_field(
            "assignee_ids",
            _("Only members of the room can be assigned: %(ids)s.") % {"ids": ", ".join(strangers)},
            code="not_a_member",
        )
    return sorted(ids)


def _clean_labels(room: Room, label_ids: Iterable[Any]) -> list[UUID]:
    ids = _unique_ids(label_ids, "label_ids", MAX_LABELS)
    if not ids:
        return ids
    found = set(Label.objects.filter(room=room, id__in=ids).values_list("id", flat=True))
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise ServiceError.for_field(
            "label_ids",
            _("No label with these ids in this room: %(ids)s.") % {"ids": ", ".join(unknown)},
            code="label_not_found",
        )
    return sorted(ids)


def _end_of_column(room_id: UUID, status: str, *, exclude: UUID | None = None) -> int:
    rows = Task.objects.filter(room_id=room_id, status=status)
    if exclude is not None:
        rows = rows.exclude(id=exclude)
    last = rows.aggregate(last=Max("position"))["last"]
    return POSITION_GAP if last is None else last + POSITION_GAP


def _ids(values: Iterable[Any]) -> list[str]:
    return sorted(str(v) for v in values)


def _locked_task(*, actor: UserRef, task_id: Any, at_least: str) -> tuple[Task, Membership]:
    """The task (as `selectors.task_queryset` reads it, without its related lists) and the
    actor's membership of its room, the room locked. A task of a room the actor is not in is
    the same 404 as a missing one. Two statements: the room's lock by the task's id (raising
    its version, as `membership_in(lock=True)` does), then the task with the actor's role.
    The task row needs no lock of its own: every writer of a room's tasks holds the room's."""
    from tasks.planning.selectors import task_queryset  # selectors import this module

    try:
        task_uuid = task_id if isinstance(task_id, UUID) else UUID(str(task_id))
    except ValueError:
        raise TaskNotFound() from None
    room_of_task = Task.objects.filter(id=task_uuid).values("room_id")[:1]
    if not Room.objects.filter(id=Subquery(room_of_task)).update(version=F("version") + 1):
        raise TaskNotFound()  # no such task
    role = Membership.objects.filter(room_id=OuterRef("room_id"), user_id=actor.id).values("role")
    task = (
        task_queryset()
        .prefetch_related(None)
        .annotate(actor_role=Subquery(role[:1]))
        .filter(id=task_uuid)
        .first()
    )
    if task is None or task.actor_role is None:  # type: ignore[attr-defined]
        raise TaskNotFound()  # deleted while we waited, or not in its room: the same answer
    if not has_role(task.actor_role, at_least):  # type: ignore[attr-defined]
        raise RoomRoleRequired(at_least)
    membership = Membership(room=task.room, user_id=actor.id, role=task.actor_role)  # type: ignore[attr-defined]
    return task, membership


class _Changes:
    """The history rows of one edit, written together."""

    def __init__(self, task: Task, actor_id: UUID | None) -> None:
        self.task = task
        self.actor_id = actor_id
        self.rows: list[TaskChange] = []

    def add(self, field: str, before: Any, after: Any) -> None:
        self.rows.append(
            TaskChange(
                task=self.task, actor_id=self.actor_id, field=field, before=before, after=after
            )
        )

    def fields(self) -> set[str]:
        return {row.field for row in self.rows}

    def save(self) -> None:
        if self.rows:
            TaskChange.objects.bulk_create(self.rows)


# ---------------------------------------------------------------------------------------------
# Status (shared by edits and board moves)


def _apply_status(
    task: Task, status: str, *, actor_id: UUID, changes: _Changes, now: datetime
) -> bool:
    """Statuses move freely; completing records who and when, leaving completed clears it."""
    if status == task.status:
        return False
    changes.add("status", task.status, status)
    if status == Status.COMPLETED:
        task.completed_at, task.completed_by_id = now, actor_id
    elif task.status == Status.COMPLETED:
        task.completed_at, task.completed_by_id = None, None
    task._previous_status = task.status  # type: ignore[attr-defined]
    task.status = status
    return True


def _publish_status(task: Task, room: Room, *, actor_id: UUID) -> None:
    """The status events, and the room's count of completed tasks (its milestones): every path
    that changes a status (an edit, a board move by the ORM or by `hot_sql`) ends here."""
    if Status.COMPLETED in (task.status, task._previous_status):  # type: ignore[attr-defined]
        delta = 1 if task.status == Status.COMPLETED else -1
        milestones.completion_counted(room=room, delta=delta, actor_id=actor_id)
    publish_event(
        type="tasks.task.status_changed",
        key=task.id,
        actor=actor_id,
        data={
            **_task_ref(task, room),
            "previous_status": task._previous_status,  # type: ignore[attr-defined]
            "status": task.status,
            "actor_id": actor_id,
        },
    )
    if task.status == Status.COMPLETED:
        publish_event(
            type="tasks.task.completed",
            key=task.id,
            actor=actor_id,
            data={
                **_task_ref(task, room),
                "completed_by": actor_id,
                "completed_at": task.completed_at,
                "share_progress": room.share_progress,
                "private": room.private,
            },
        )


_PUBLISHED_FIELDS = ("title", "priority", "due", "recurrence")


def _publish_update(task: Task, room: Room, *, actor_id: UUID, changed: set[str]) -> None:
    """`tasks.task.updated` when a field that consumers keep (analytics, calendars) changed."""
    published = [field for field in _PUBLISHED_FIELDS if field in changed]
    if not published:
        return
    publish_event(
        type="tasks.task.updated",
        key=task.id,
        actor=actor_id,
        data={
            **_task_ref(task, room),
            "changed": published,
            "priority": priority_name(task.priority),
            "due_date": task.due_date.isoformat() if task.due_date else None,
            "due_at": task.due_at,
            "recurrence": task.recurrence,
            "actor_id": actor_id,
        },
    )


def _publish_assignment(
    task: Task, room: Room, *, actor_id: UUID | None, added: list[UUID], removed: list[UUID]
) -> None:
    if added:
        publish_event(
            type="tasks.task.assigned",
            key=task.id,
            actor=actor_id,
            data={
                **_task_ref(task, room),
                "assignee_ids": added,
                "actor_id": actor_id,
                "recipient_ids": [i for i in added if i != actor_id],
            },
        )
    if removed:
        publish_event(
            type="tasks.task.unassigned",
            key=task.id,
            actor=actor_id,
            data={**_task_ref(task, room), "assignee_ids": removed, "actor_id": actor_id},
        )


# ---------------------------------------------------------------------------------------------
# Create


def create_task(
    *,
    actor: UserRef,
    room_id: Any,
    title: str,
    description: str = "",
    status: str = Status.PENDING,
    priority: int = Priority.NONE,
    due: date | datetime | None = None,
    estimate_minutes: int | None = None,
    assignee_ids: Iterable[Any] = (),
    label_ids: Iterable[Any] = (),
    parent_id: Any = None,
    blocked_by_ids: Iterable[Any] = (),
    recurrence: str = "",
    series_id: UUID | None = None,
    occurrence_of: Task | None = None,
) -> Task:
    """A new task at the end of its status column. The actor must be at least a member of the
    room. `occurrence_of` (recurrence) marks the next occurrence of a completed task."""
    title = _clean_title(title)
    estimate_minutes = _clean_estimate(estimate_minutes)
    blocked_by_ids = list(blocked_by_ids or ())
    with transaction.atomic():
        membership = membership_in(user=actor, room_id=room_id, at_least=RoomRole.MEMBER, lock=True)
        room = membership.room
        assignees = _clean_assignees(room, assignee_ids or ())
        labels = _clean_labels(room, label_ids or ())
        parent = None
        if parent_id is not None:
            parent = _extension("dependencies", "parent_id").clean_parent(
                room=room, parent_id=parent_id, task=None
            )
        if recurrence:
            recurrence = _extension("recurrence", "recurrence").clean_rule(rule=recurrence)
        now = timezone.now()
        task = Task(
            room=room,
            parent=parent,
            title=title,
            description=description or "",
            status=status,
            priority=priority,
            position=_end_of_column(room.id, status),
            estimate_minutes=estimate_minutes,
            creator_id=actor.id,
            recurrence=recurrence or "",
            series_id=series_id,
        )
        _set_due(task, due)
        if status == Status.COMPLETED:
            task.completed_at, task.completed_by_id = now, actor.id
        task.save()
        if assignees:
            Assignment.objects.bulk_create([Assignment(task=task, user_id=i) for i in assignees])
        if labels:
            task.labels.add(*cast(list[Any], labels))  # ids: no need to load the labels
        if blocked_by_ids:
            _extension("dependencies", "blocked_by_ids").set_blocked_by(
                task=task, blocked_by_ids=blocked_by_ids, actor=actor
            )
        changes = _Changes(task, actor.id)
        changes.add("created", None, _snapshot(task, assignees=assignees, labels=labels))
        changes.save()
        data: dict[str, Any] = {
            **_task_ref(task, room),
            "creator_id": actor.id,
            "status": task.status,
            "priority": priority_name(task.priority),
            "assignee_ids": assignees,
            "parent_id": task.parent_id,
            "due_date": task.due_date.isoformat() if task.due_date else None,
            "due_at": task.due_at,
        }
        if occurrence_of is not None:
            data["occurrence_of"] = occurrence_of.id
        publish_event(type="tasks.task.created", key=task.id, actor=actor.id, data=data)
        if task.status == Status.COMPLETED:
            milestones.completion_counted(room=room, delta=1, actor_id=actor.id)
        _publish_assignment(task, room, actor_id=actor.id, added=assignees, removed=[])
        reminders.task_changed(task=task, created=True)
    return task


def _snapshot(task: Task, *, assignees: list[UUID], labels: list[UUID]) -> dict[str, Any]:
    """What a task was made with, for its `created` history row."""
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": priority_name(task.priority),
        "due": due_value(task),
        "estimate_minutes": task.estimate_minutes,
        "assignees": _ids(assignees),
        "labels": _ids(labels),
        "parent_id": str(task.parent_id) if task.parent_id else None,
        "recurrence": task.recurrence or None,
    }


# ---------------------------------------------------------------------------------------------
# Update


def update_task(
    *,
    actor: UserRef,
    task_id: Any,
    title: str = _UNSET,
    description: str = _UNSET,
    status: str = _UNSET,
    priority: int = _UNSET,
    due: date | datetime | None = _UNSET,
    estimate_minutes: int | None = _UNSET,
    assignee_ids: Iterable[Any] = _UNSET,
    label_ids: Iterable[Any] = _UNSET,
    parent_id: Any = _UNSET,
    blocked_by_ids: Iterable[Any] = _UNSET,
    recurrence: str = _UNSET,
    scope: str = "this",
) -> Task:
    """Change the given fields (an argument left out stays as it is). Each changed field is one
    history row; assignments, status and completion publish their events. The actor must be at
    least a member of the task's room."""
    with transaction.atomic():
        task, membership = _locked_task(actor=actor, task_id=task_id, at_least=RoomRole.MEMBER)
        room = membership.room
        task.room = room
        changes = _Changes(task, actor.id)
        now = timezone.now()
        given: dict[str, Any] = {}

        if title is not _UNSET:
            title = _clean_title(title)
            if title != task.title:
                changes.add("title", task.title, title)
                task.title = title
            given["title"] = title
        if description is not _UNSET:
            description = description or ""
            if description != task.description:
                changes.add("description", task.description, description)
                task.description = description
            given["description"] = description
        if priority is not _UNSET:
            if priority != task.priority:
                changes.add("priority", priority_name(task.priority), priority_name(priority))
                task.priority = priority
            given["priority"] = priority
        if due is not _UNSET:
            before = due_value(task)
            _set_due(task, due)
            if due_value(task) != before:
                changes.add("due", before, due_value(task))
            given["due"] = due
        if estimate_minutes is not _UNSET:
            estimate_minutes = _clean_estimate(estimate_minutes)
            if estimate_minutes != task.estimate_minutes:
                changes.add("estimate_minutes", task.estimate_minutes, estimate_minutes)
                task.estimate_minutes = estimate_minutes
            given["estimate_minutes"] = estimate_minutes
        if parent_id is not _UNSET:
            parent = None
            if parent_id is not None:
                parent = _extension("dependencies", "parent_id").clean_parent(
                    room=room, parent_id=parent_id, task=task
                )
            new_parent_id = parent.id if parent else None
            if new_parent_id != task.parent_id:
                changes.add(
                    "parent_id",
                    str(task.parent_id) if task.parent_id else None,
                    str(new_parent_id) if new_parent_id else None,
                )
                task.parent = parent
        if recurrence is not _UNSET:
            rule = ""
            if recurrence:
                rule = _extension("recurrence", "recurrence").clean_rule(rule=recurrence)
            if rule != task.recurrence:
                changes.add("recurrence", task.recurrence or None, rule or None)
                task.recurrence = rule
            given["recurrence"] = rule
        status_changed = False
        if status is not _UNSET:
            status_changed = _apply_status(
                task, status, actor_id=actor.id, changes=changes, now=now
            )
            if status_changed:
                task.position = _end_of_column(room.id, status, exclude=task.id)
            given["status"] = status

        added: list[UUID] = []
        removed: list[UUID] = []
        if assignee_ids is not _UNSET:
            wanted = _clean_assignees(room, assignee_ids or ())
            current = sorted(task.assignments.values_list("user_id", flat=True))
            added = [i for i in wanted if i not in current]
            removed = [i for i in current if i not in wanted]
            if removed:
                Assignment.objects.filter(task=task, user_id__in=removed).delete()
            if added:
                Assignment.objects.bulk_create([Assignment(task=task, user_id=i) for i in added])
            if added or removed:
                changes.add("assignees", _ids(current), _ids(wanted))
            given["assignee_ids"] = wanted
        if label_ids is not _UNSET:
            wanted_labels = _clean_labels(room, label_ids or ())
            current_labels = sorted(task.labels.values_list("id", flat=True))
            if wanted_labels != current_labels:
                task.labels.set(cast(list[Any], wanted_labels))
                changes.add("labels", _ids(current_labels), _ids(wanted_labels))
            given["label_ids"] = wanted_labels
        if blocked_by_ids is not _UNSET:
            before_ids, after_ids = _extension("dependencies", "blocked_by_ids").set_blocked_by(
                task=task, blocked_by_ids=list(blocked_by_ids or ()), actor=actor
            )
            if _ids(before_ids) != _ids(after_ids):
                changes.add("blocked_by", _ids(before_ids), _ids(after_ids))

        if changes.rows:  # an edit that changes nothing leaves `updated_at` alone
            task.updated_at = now
            task.save()
            changes.save()
        _publish_update(task, room, actor_id=actor.id, changed=changes.fields())
        _publish_assignment(task, room, actor_id=actor.id, added=added, removed=removed)
        reminders.task_changed(task=task, fields=changes.fields())
        if status_changed:
            _publish_status(task, room, actor_id=actor.id)
            if task.status == Status.COMPLETED and task.recurrence:
                _extension("recurrence", "recurrence").on_completed(task=task, actor=actor)
        if scope == "following" and given:
            _extension("recurrence", "scope").apply_to_following(
                task=task, actor=actor, fields=given
            )
        elif scope == "this" and (task.recurrence or task.series_id) and changes.rows:
            _extension("recurrence", "scope").remember_series_values(
                task=task, actor=actor, rows=changes.rows
            )
    return task


# ---------------------------------------------------------------------------------------------
# The board


def _renumber_column(room_id: UUID, status: str, *, exclude: UUID) -> None:
    """Spread the column out again (POSITION_GAP apart, same order): a gap was used up.
    Runs under the room lock, so nobody reads a half-renumbered column. One UPDATE numbering
    the rows with row_number() in the database (PostgreSQL, and SQLite since 3.33): a column of
    60,000 tasks renumbered through `bulk_update` sent every row to Python and back."""
    t = Columns(Task)
    field = Task._meta.get_field
    sql = (
        f"UPDATE {t.table} SET {t.name('position')} = numbered.n * %s "  # noqa: S608 - names only
        f"FROM (SELECT {t('id')} AS id, row_number() OVER "
        f"(ORDER BY {t('position')}, {t('id')}) AS n FROM {t.table} "
        f"WHERE {t('room')} = %s AND {t('status')} = %s AND {t('id')} <> %s) AS numbered "
        f"WHERE {t.table}.{t.name('id')} = numbered.id"
    )
    columns = [cast(Field, field(name)) for name in ("room", "status", "id")]  # concrete fields
    Statement(sql, [None, *columns]).execute(POSITION_GAP, room_id, status, exclude)


def _column(room_id: UUID, status: str, exclude: UUID) -> Any:
    return Task.objects.filter(room_id=room_id, status=status).exclude(id=exclude)


def _anchor_and_neighbour(
    room_id: UUID, status: str, anchor_id: Any, field: str, *, before: bool, exclude: UUID
) -> tuple[int, int | None]:
    """The position of the anchor (`before_id`/`after_id`) and of the task just before (or
    after) it in its column, by (position, id): one query, the anchor's position a subquery."""
    try:
        anchor_uuid = UUID(str(anchor_id))
    except ValueError:
        raise ServiceError.for_field(field, _("Not a valid id."), code="invalid") from None
    column = _column(room_id, status, exclude)
    at = Subquery(column.filter(id=anchor_uuid).values("position")[:1])
    # The plain bound (position <= / >=) lets the board index start at the anchor: the OR
    # alone made PostgreSQL walk the column from its end (60,000 rows, 50 ms, in a big room).
    if before:
        rows = column.filter(
            Q(position__lt=at) | Q(position=at, id__lte=anchor_uuid), position__lte=at
        ).order_by("-position", "-id")
    else:
        rows = column.filter(
            Q(position__gt=at) | Q(position=at, id__gte=anchor_uuid), position__gte=at
        ).order_by("position", "id")
    pair = list(rows.values_list("id", "position")[:2])
    if not pair or pair[0][0] != anchor_uuid:
        raise ServiceError.for_field(
            field, _("No task with this id in that column."), code="not_in_column"
        )
    return pair[0][1], (pair[1][1] if len(pair) > 1 else None)


def _slot(
    room_id: UUID,
    status: str,
    *,
    exclude: UUID,
    before_id: Any,
    after_id: Any,
    index: int | None,
) -> tuple[int | None, int | None]:
    """The positions of the two tasks the moved one lands between (None: an end)."""
    if before_id is not None:
        following, previous = _anchor_and_neighbour(
            room_id, status, before_id, "before_id", before=True, exclude=exclude
        )
        return previous, following
    if after_id is not None:
        return _anchor_and_neighbour(
            room_id, status, after_id, "after_id", before=False, exclude=exclude
        )
    column = _column(room_id, status, exclude).order_by("position", "id")
    if index is None:
        last = column.aggregate(last=Max("position"))["last"]
        return last, None
    pair = list(column.values_list("position", flat=True)[max(index - 1, 0) : index + 1])
    if index == 0:
        return None, (pair[0] if pair else None)
    if not pair:  # past the end
        last = column.aggregate(last=Max("position"))["last"]
        return last, None
    return pair[0], (pair[1] if len(pair) > 1 else None)


def _between(previous: int | None, following: int | None) -> int | None:
    if previous is None and following is None:
        return POSITION_GAP
    if previous is None:
        return following - POSITION_GAP  # type: ignore[operator]
    if following is None:
        return previous + POSITION_GAP
    if following - previous < 2:
        return None  # no room left: renumber
    return previous + (following - previous) // 2


def move_task(
    *,
    actor: UserRef,
    task_id: Any,
    status: str,
    before_id: Any = None,
    after_id: Any = None,
    index: int | None = None,
) -> Task:
    """Put the task into column `status` just before `before_id`, just after `after_id`, or at
    `index` (0 = top; none of them = the bottom). Under the room lock: concurrent moves queue,
    each sees the order the previous one left."""
    given = [
        name
        for name, v in (("before_id", before_id), ("after_id", after_id), ("index", index))
        if v is not None
    ]
    if len(given) > 1:
        raise ServiceError.for_field(
            given[1], _("Give only one of before_id, after_id and index."), code="ambiguous"
        )
    from tasks.planning import hot_sql  # it imports the models this module imports

    if (before_id is not None or after_id is not None) and hot_sql.enabled():
        return _move_by_anchor(
            actor=actor, task_id=task_id, status=status, before_id=before_id, after_id=after_id
        )
    with transaction.atomic():
        task, membership = _locked_task(actor=actor, task_id=task_id, at_least=RoomRole.MEMBER)
        room = membership.room
        task.room = room
        if task.id in {_maybe_uuid(before_id), _maybe_uuid(after_id)}:
            raise ServiceError.for_field(
                given[0], _("A task cannot be placed next to itself."), code="invalid"
            )
        kwargs = {"exclude": task.id, "before_id": before_id, "after_id": after_id, "index": index}
        position = _between(*_slot(room.id, status, **kwargs))
        if position is None:
            _renumber_column(room.id, status, exclude=task.id)
            position = _between(*_slot(room.id, status, **kwargs))
        now = timezone.now()
        changes = _Changes(task, actor.id)
        status_changed = _apply_status(task, status, actor_id=actor.id, changes=changes, now=now)
        if status_changed and task.completed_by_id == actor.id:
            task.completed_by = actor  # the answer shows who (no query for the name)
        if position != task.position:
            # The numbers only order a column; a renumbering (above) writes no lines for the
            # others, whose order it keeps.
            changes.add("position", task.position, position)
        task.position = position  # type: ignore[assignment]
        task.updated_at = now
        task.save(
            update_fields=["status", "position", "completed_at", "completed_by", "updated_at"]
        )
        changes.save()
        if status_changed:
            _publish_status(task, room, actor_id=actor.id)
            reminders.task_changed(task=task, fields=["status"])
            if task.status == Status.COMPLETED and task.recurrence:
                _extension("recurrence", "recurrence").on_completed(task=task, actor=actor)
    return task


def _move_by_anchor(
    *, actor: UserRef, task_id: Any, status: str, before_id: Any, after_id: Any
) -> Task:
    """`move_task` next to an anchor (the board's drag and drop) on PostgreSQL, in four
    statements (`hot_sql`): the room's lock by the task's id; the task as its JSON shows it
    with the mover's role, the anchor and its neighbour, and its related lists; the row with
    its history lines; the status events (the kit's outbox). The same checks, answers and
    rows as the ORM path above (`tests/test_hot_sql.py`); the task comes back with its
    related lists attached (`shown_*`)."""
    from tasks.planning import hot_sql

    before = before_id is not None
    field = "before_id" if before else "after_id"
    try:
        task_uuid = task_id if isinstance(task_id, UUID) else UUID(str(task_id))
    except ValueError:
        raise TaskNotFound() from None
    try:
        anchor = UUID(str(before_id if before else after_id))
    except ValueError:
        anchor = None
    with transaction.atomic():
        if not hot_sql.lock_room_of_task(task_id=task_uuid):
            raise TaskNotFound()
        read = functools.partial(
            hot_sql.move_read,
            task_id=task_uuid,
            actor_id=actor.id,
            status=status,
            anchor_id=anchor or task_uuid,  # a malformed anchor is refused below
            before=before,
        )
        task: Any = read()
        if task is None or task.actor_role is None:
            raise TaskNotFound()  # deleted while we waited, or not in its room
        if not has_role(task.actor_role, RoomRole.MEMBER):
            raise RoomRoleRequired(RoomRole.MEMBER)
        if anchor == task.id:
            raise ServiceError.for_field(
                field, _("A task cannot be placed next to itself."), code="invalid"
            )
        if anchor is None:
            raise ServiceError.for_field(field, _("Not a valid id."), code="invalid")
        position = _between(*_slot_of(task.slot, anchor, field, before=before))
        if position is None:
            _renumber_column(task.room_id, status, exclude=task.id)
            again: Any = read()  # the same task, under the lock we hold
            position = _between(*_slot_of(again.slot, anchor, field, before=before))
        room = task.room
        now = timezone.now()
        changes = _Changes(task, actor.id)
        status_changed = _apply_status(task, status, actor_id=actor.id, changes=changes, now=now)
        if status_changed and task.completed_by_id == actor.id:
            task.completed_by = actor
        if position != task.position:
            changes.add("position", task.position, position)
        task.position = position
        task.updated_at = now
        for row in changes.rows:
            row.created_at = now
        hot_sql.move_write(task=task, rows=changes.rows)
        if status_changed:
            _publish_status(task, room, actor_id=actor.id)
            if task.status == Status.COMPLETED and task.recurrence:
                _extension("recurrence", "recurrence").on_completed(task=task, actor=actor)
    return cast(Task, task)


def _slot_of(
    slot: list[tuple[UUID, int]], anchor: UUID, field: str, *, before: bool
) -> tuple[int | None, int | None]:
    """(previous, following) positions from the anchor and its neighbour on the `before`
    side (as `_anchor_and_neighbour` reads them)."""
    if not slot or slot[0][0] != anchor:
        raise ServiceError.for_field(
            field, _("No task with this id in that column."), code="not_in_column"
        )
    at, other = slot[0][1], (slot[1][1] if len(slot) > 1 else None)
    return (other, at) if before else (at, other)


def _maybe_uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Delete, unassign


def delete_task(*, actor: UserRef, task_id: Any) -> None:
    """Delete the task with its subtasks (one `tasks.task.deleted` each)."""
    with transaction.atomic():
        task, membership = _locked_task(actor=actor, task_id=task_id, at_least=RoomRole.MEMBER)
        room = membership.room
        for gone in [*task.subtasks.all().only("id", "title"), task]:
            _extension("attachments", "task_id").detach_all(task=gone, actor=actor.id)
            publish_event(
                type="tasks.task.deleted",
                key=gone.id,
                actor=actor.id,
                data={**_task_ref(gone, room), "actor_id": actor.id},
            )
        task.delete()


def unassign_everywhere(*, user: UserRef | UUID, room: Room) -> int:
    """Take the person off every task of the room (they left, were removed, or their account
    was deleted): a history row and a `tasks.task.unassigned` (actor null) per task. Returns
    how many tasks they were on."""
    user_id = user if isinstance(user, UUID) else user.id
    with transaction.atomic():
        assignments = list(
            Assignment.objects.filter(task__room=room, user_id=user_id)
            .select_related("task")
            .order_by("task_id")
        )
        if not assignments:
            return 0
        touch_rooms(room_ids=[room.id])  # the room's pages showed them on these tasks
        tasks = [a.task for a in assignments]
        remaining: dict[UUID, list[UUID]] = {t.id: [] for t in tasks}
        for task_id, other in Assignment.objects.filter(task__in=tasks).values_list(
            "task_id", "user_id"
        ):
            remaining[task_id].append(other)
        Assignment.objects.filter(id__in=[a.id for a in assignments]).delete()
        rows = []
        for task in tasks:
            before = _ids(remaining[task.id])
            rows.append(
                TaskChange(
                    task=task,
                    actor=None,
                    field="assignees",
                    before=before,
                    after=[i for i in before if i != str(user_id)],
                )
            )
            publish_event(
                type="tasks.task.unassigned",
                key=task.id,
                actor=None,
                data={**_task_ref(task, room), "assignee_ids": [user_id], "actor_id": None},
            )
        TaskChange.objects.bulk_create(rows)
        Task.objects.filter(id__in=[t.id for t in tasks]).update(updated_at=timezone.now())
        reminders.reschedule_tasks(task_ids=[t.id for t in tasks])
    return len(tasks)
