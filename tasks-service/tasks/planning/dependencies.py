"""Subtasks and dependencies ("blocked by") of tasks, and the lookup of a task for a member.

Subtasks are one level deep: a subtask has no subtasks of its own. A checklist under a task is
what people split work into; deeper trees make progress ambiguous (does a grandchild count
on the grandparent?) and every list would need recursive queries. A task with subtasks cannot
become a subtask, and a subtask cannot be a parent; both are refused naming `parent_id`.

Dependencies join tasks of one room. A cycle (A blocked by B blocked by … A) is refused with
400 naming `blocked_by_ids`, code `dependency_cycle`, and the message shows the path. The check
walks the graph breadth-first from the new blocker, one query per level, under the room's
lock so two concurrent additions cannot close a cycle between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.errors import ServiceError
from cotask_common.users.models import UserRef
from tasks.planning.models import Dependency, Task, TaskChange
from tasks.planning.selectors import task_queryset
from tasks.planning.services import TaskNotFound
from tasks.rooms.access import membership_in
from tasks.rooms.models import Membership, Room, RoomRole

MAX_BLOCKERS = 50


def _as_uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def task_for(
    *, user: UserRef, task_id: Any, at_least: str = RoomRole.VIEWER, lock: bool = False
) -> tuple[Task, Membership]:
    """The task and the user's membership of its room, if their role is at least `at_least`.
    A missing task, a malformed id and a task of a room the user is not in are one 404
    (`task_not_found`): nobody outside learns that a task exists."""
    task_uuid = _as_uuid(task_id)
    if task_uuid is None:
        raise TaskNotFound()
    task = (
        Task.objects.select_related("room")
        .filter(id=task_uuid, room__memberships__user=user)
        .first()
    )
    if task is None:
        raise TaskNotFound()
    membership = membership_in(user=user, room_id=task.room_id, at_least=at_least, lock=lock)
    if lock:
        # Deleted since it was read (a concurrent request): as missing as before.
        locked = (
            Task.objects.select_related("room")
            .select_for_update(of=("self",))
            .filter(id=task.id)
            .first()
        )
        if locked is None:
            raise TaskNotFound()
        task = locked
    return task, membership


# ---------------------------------------------------------------------------------------------
# Subtasks


def validate_parent(*, room_id: UUID, parent_id: Any, task: Task | None = None) -> Task | None:
    """The parent a task (new: `task=None`) may get: a top-level task of the same room. 400
    naming `parent_id` otherwise (a missing id and another room's task read the same)."""
    if parent_id in (None, ""):
        return None
    parent_uuid = _as_uuid(parent_id)
    parent = Task.objects.filter(id=parent_uuid, room_id=room_id).first() if parent_uuid else None
    if parent is None:
        raise ServiceError.for_field(
            "parent_id", _("No task with this id in this room."), code="parent_not_found"
        )
    if task is not None and parent.id == task.id:
        raise ServiceError.for_field(
            "parent_id", _("A task cannot be its own subtask."), code="subtask_cycle"
        )
    if parent.parent_id is not None:
        raise ServiceError.for_field(
            "parent_id",
            _("Subtasks are one level deep: this task is already a subtask."),
            code="subtask_depth",
        )
    if task is not None and Task.objects.filter(parent_id=task.id).exists():
        raise ServiceError.for_field(
            "parent_id",
            _("Subtasks are one level deep: this task has subtasks of its own."),
            code="subtask_depth",
        )
    return parent


def clean_parent(*, room: Room, parent_id: Any, task: Task | None) -> Task | None:
    """The extension point `planning.services.create_task/update_task` call."""
    return validate_parent(room_id=room.id, parent_id=parent_id, task=task)


def subtasks_of(*, task: Task) -> QuerySet[Task]:
    """A task's subtasks with everything the task JSON shows (a fixed number of queries)."""
    return task_queryset().filter(parent_id=task.id)


# ---------------------------------------------------------------------------------------------
# Dependencies


def _cycle_path(*, task: Task, blocker: Task) -> list[UUID] | None:
    """If `task` became blocked by `blocker`, would `blocker` (transitively) wait for `task`?
    The path blocker → … → task when it would, else None. One query per level."""
    if blocker.id == task.id:
        return [task.id]
    came_from: dict[UUID, UUID | None] = {blocker.id: None}
    frontier = [blocker.id]
    while frontier:
        edges = Dependency.objects.filter(task_id__in=frontier).values_list(
            "task_id", "blocked_by_id"
        )
        next_frontier: list[UUID] = []
        for waiting, waited_for in edges:
            if waited_for in came_from:
                continue
            came_from[waited_for] = waiting
            if waited_for == task.id:
                path = [waited_for]
                while came_from[path[-1]] is not None:
                    path.append(came_from[path[-1]])  # type: ignore[arg-type]
                return list(reversed(path))
            next_frontier.append(waited_for)
        frontier = next_frontier
    return None


def _cycle_error(*, task: Task, path: list[UUID]) -> ServiceError:
    titles = dict(Task.objects.filter(id__in=path).values_list("id", "title"))
    names = [f"«{titles.get(task_id, task_id)}»" for task_id in [task.id, *path]]
    error = ServiceError.for_field(
        "blocked_by_ids",
        _("This would make a cycle of dependencies: %(path)s.") % {"path": " → ".join(names)},
        code="dependency_cycle",
    )
    detail = cast(dict[str, Any], error.fields["blocked_by_ids"][0])  # a field error, plus
    detail["path"] = [str(task.id), *(str(i) for i in path)]
    return error


def _blockers_in_room(*, task: Task, ids: Iterable[Any]) -> list[Task]:
    wanted: list[UUID] = []
    for raw in ids:
        value = _as_uuid(raw)
        if value is None:
            raise ServiceError.for_field(
                "blocked_by_ids", _("«%(value)s» is not a task id.") % {"value": str(raw)[:40]}
            )
        if value not in wanted:
            wanted.append(value)
    if len(wanted) > MAX_BLOCKERS:
        raise ServiceError.for_field(
            "blocked_by_ids",
            ngettext(
                "At most %(max)s blocking task.", "At most %(max)s blocking tasks.", MAX_BLOCKERS
            )
            % {"max": MAX_BLOCKERS},
            code="too_many",
        )
    found = {t.id: t for t in Task.objects.filter(id__in=wanted, room_id=task.room_id)}
    missing = [value for value in wanted if value not in found]
    if missing:
        raise ServiceError.for_field(
            "blocked_by_ids",
            _("No task with id %(id)s in this room.") % {"id": missing[0]},
            code="task_not_found",
        )
    return [found[value] for value in wanted]


def _record(*, task: Task, actor: UserRef | None, before: list[UUID], after: list[UUID]) -> None:
    if sorted(before) != sorted(after):
        TaskChange.objects.create(
            task=task,
            actor=actor,
            field="blocked_by",
            before=sorted(str(i) for i in before),
            after=sorted(str(i) for i in after),
        )


def set_blocked_by(
    *, task: Task, blocked_by_ids: Iterable[Any], actor: UserRef | None
) -> tuple[list[UUID], list[UUID]]:
    """Replace what blocks `task` (create/update with `blocked_by_ids`); returns (before,
    after) ids, the caller writes the history row. Inside the caller's transaction, which must
    hold the room's lock (`membership_in(..., lock=True)`)."""
    blockers = _blockers_in_room(task=task, ids=blocked_by_ids)
    before = list(Dependency.objects.filter(task=task).values_list("blocked_by_id", flat=True))
    wanted = [b.id for b in blockers]
    Dependency.objects.filter(task=task).exclude(blocked_by_id__in=wanted).delete()
    for blocker in blockers:
        if blocker.id in before:
            continue
        path = _cycle_path(task=task, blocker=blocker)
        if path is not None:
            raise _cycle_error(task=task, path=path)
        Dependency.objects.create(task=task, blocked_by=blocker)
    return before, wanted


@transaction.atomic
def add_blocker(*, user: UserRef, task_id: Any, blocked_by_id: Any) -> Task:
    """`task_id` is blocked by `blocked_by_id` (member; same room; idempotent)."""
    task, _membership = task_for(user=user, task_id=task_id, at_least=RoomRole.MEMBER, lock=True)
    (blocker,) = _blockers_in_room(task=task, ids=[blocked_by_id])
    if Dependency.objects.filter(task=task, blocked_by=blocker).exists():
        return task
    path = _cycle_path(task=task, blocker=blocker)
    if path is not None:
        raise _cycle_error(task=task, path=path)
    before = list(Dependency.objects.filter(task=task).values_list("blocked_by_id", flat=True))
    Dependency.objects.create(task=task, blocked_by=blocker)
    _record(task=task, actor=user, before=before, after=[*before, blocker.id])
    return task


@transaction.atomic
def remove_blocker(*, user: UserRef, task_id: Any, blocked_by_id: Any) -> Task:
    """`task_id` is no longer blocked by `blocked_by_id` (member; idempotent)."""
    task, _membership = task_for(user=user, task_id=task_id, at_least=RoomRole.MEMBER, lock=True)
    before = list(Dependency.objects.filter(task=task).values_list("blocked_by_id", flat=True))
    other = _as_uuid(blocked_by_id)
    if other in before:
        Dependency.objects.filter(task=task, blocked_by_id=other).delete()
        _record(task=task, actor=user, before=before, after=[i for i in before if i != other])
    return task
