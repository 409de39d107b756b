"""tasks-service's events: rooms and their members, tasks, comments, media references.

Producer: tasks-service (`tasks/<app>/services.py`, always inside the change's transaction).
Ids are UUID strings. A person's personal space is a room of `kind` `personal` with only its
owner in it: its tasks publish the same events (their `room_kind` says so). `recipient_ids` is
the list of users a notification should go to (the acting user is never in it; empty = tell
nobody); the other keys let a consumer phrase it. Titles and room names are the values at the
time of the change.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, NotRequired
from uuid import UUID

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from cotask_common.contracts import references
from cotask_common.contracts.references import (
    ACCESS_GRANTED_CONSUMERS,
    ACCESS_KEY,
    ACCESS_REVOKED_CONSUMERS,
    ATTACHED_CONSUMERS,
    DETACHED_CONSUMERS,
    REFERENCE_KEY,
)
from cotask_common.contracts.registry import declare

RoomRole = Literal["owner", "admin", "member", "viewer"]
RoomKind = Literal["team", "personal"]
TaskStatus = Literal["pending", "in_progress", "completed"]
TaskPriority = Literal["none", "low", "medium", "high", "urgent"]


class Recipients(TypedDict):
    recipient_ids: list[UUID]
    """who a notification should go to (never the acting user; empty = nobody)"""


# ---------------------------------------------------------------------------------------------
# Rooms — topic `tasks.room`

ROOM_KEY = "the room's id"


class RoomRef(TypedDict):
    room_id: UUID
    room_name: Annotated[str, Field(max_length=120)]


class RoomData(TypedDict):
    id: UUID
    """the room"""
    name: Annotated[str, Field(max_length=120)]
    kind: RoomKind
    owner_id: UUID


@declare("tasks.room.created", key=ROOM_KEY)
class RoomCreated(RoomData):
    """A team room was created (its creator is its owner), or a person's personal space was
    made on their first use of tasks."""


@declare(
    "tasks.room.deleted",
    key=ROOM_KEY,
    consumers={
        "notifications": "tells nobody more about the room; every notification about it goes",
        "tasks": "analytics forgets the room's figures",
    },
)
class RoomDeleted(RoomData):
    """The owner deleted the room, with its tasks (no `tasks.task.deleted` per task)."""

    actor_id: UUID


class MemberData(RoomRef, Recipients):
    user_id: UUID
    """the member"""
    role: RoomRole
    """the member's role after the change (for `left`: the role they had)"""


@declare(
    "tasks.room.joined",
    key=ROOM_KEY,
    consumers={
        "notifications": "tells `recipient_ids`, the room's owner and admins (`room_joined`, "
        "grouped per room); the member may hear about the room again"
    },
)
class RoomJoined(MemberData):
    """Someone joined the room with its join code; `recipient_ids`: the owner and the admins
    (never the one who joined)."""

    via: Literal["code"]


@declare(
    "tasks.room.left",
    key=ROOM_KEY,
    consumers={
        "notifications": "tells the member nothing more about the room, even of events made "
        "before; their notifications about it go; tells a removed member in `recipient_ids` "
        "(`room_removed`)"
    },
)
class RoomLeft(MemberData):
    """A member left, was removed by an admin, or their account was deleted; `recipient_ids`:
    the removed member when `removed`, else `[]`."""

    reason: Literal["left", "removed", "account_deleted"]
    actor_id: NotRequired[UUID]
    """who removed them (only when `removed`)"""


@declare("tasks.room.role_changed", key=ROOM_KEY)
class RoomRoleChanged(MemberData):
    """An admin changed a member's role, or the owner handed ownership over (two events: the
    new owner's and the old owner's); `recipient_ids`: the member, unless they made the change."""

    previous_role: RoomRole
    actor_id: UUID


# The room's count of completed tasks at which it reaches a milestone (each once per room).
ROOM_MILESTONES = (10, 50, 100, 500, 1000)
# The members one `tasks.room.milestone` names; a larger room publishes several events.
MAX_MILESTONE_MEMBERS = 1000


@declare(
    "tasks.room.milestone",
    key=ROOM_KEY,
    consumers={
        "social": "a `progress` post on the personal page of each member in `member_ids` who "
        "opted in (`room_milestone`); a private room is never named",
    },
)
class RoomMilestoneReached(RoomRef):
    """The room's count of completed tasks (completed now; reopening takes one back) reached
    `number`, one of `ROOM_MILESTONES`, for the first time. Published only while the room's
    `share_progress` is on; `room_name` may leave the room only when `private` is false. A room
    of more than `MAX_MILESTONE_MEMBERS` members publishes several of these at once, alike but
    for disjoint `member_ids`."""

    room_kind: RoomKind
    private: bool
    """the room's name stays among its members (a personal space is always private)"""
    number: Literal[10, 50, 100, 500, 1000]
    reached_by: UUID
    """the member whose completion reached it"""
    member_ids: Annotated[list[UUID], Field(max_length=MAX_MILESTONE_MEMBERS)]
    """the room's members when it was reached (or this event's share of them)"""


# ---------------------------------------------------------------------------------------------
# Tasks — topic `tasks.task`

TASK_KEY = "the task's id"
# tasks-service reads its own task events back: the analytics consumer (tasks/analytics).
ANALYTICS = "keeps the task's analytics (fact row, daily and current counts)"


class TaskRef(RoomRef):
    task_id: UUID
    title: Annotated[str, Field(max_length=255)]
    room_kind: RoomKind


class TaskCreatedData(TaskRef):
    creator_id: UUID
    status: TaskStatus
    priority: TaskPriority
    assignee_ids: list[UUID]
    parent_id: UUID | None
    """the parent task when this is a subtask"""
    due_date: str | None
    """an all-day deadline, `YYYY-MM-DD` (or null)"""
    due_at: AwareDatetime | None
    """a deadline at a time (or null; at most one of `due_date` and `due_at` is set)"""


@declare("tasks.task.created", key=TASK_KEY, consumers={"tasks": ANALYTICS})
class TaskCreated(TaskCreatedData):
    """A task was created (by a person, or as the next occurrence of a recurring task, then
    `occurrence_of` is the task completed)."""

    occurrence_of: NotRequired[UUID]


@declare(
    "tasks.task.assigned",
    key=TASK_KEY,
    consumers={
        "notifications": "tells `recipient_ids`, the new assignees (`task_assigned`)",
        "tasks": ANALYTICS,
    },
)
class TaskAssigned(TaskRef, Recipients):
    """People were assigned to the task (at creation or later); `assignee_ids`: the ones
    added; `recipient_ids`: those of them who did not assign themselves."""

    assignee_ids: list[UUID]
    actor_id: UUID


@declare("tasks.task.unassigned", key=TASK_KEY, consumers={"tasks": ANALYTICS})
class TaskUnassigned(TaskRef):
    """People were taken off the task (by an edit, or because they left the room)."""

    assignee_ids: list[UUID]
    actor_id: UUID | None
    """null when it followed from leaving the room or an account deletion"""


@declare("tasks.task.status_changed", key=TASK_KEY, consumers={"tasks": ANALYTICS})
class TaskStatusChanged(TaskRef):
    """The task's status changed (any move between columns, reopening included)."""

    previous_status: TaskStatus
    status: TaskStatus
    actor_id: UUID


@declare(
    "tasks.task.completed",
    key=TASK_KEY,
    consumers={
        "tasks": ANALYTICS + "; the agenda tells the task's people (`tasks.agenda.changed`)",
        "social": "a `progress` post on `completed_by`'s personal page, only when "
        "`share_progress` is true and they opted in (`task_completed`); otherwise nothing, "
        "and neither `title` nor `room_name` is kept (nor for a `private` room)",
    },
)
class TaskCompleted(TaskRef):
    """The task became `completed` (after its `status_changed`)."""

    completed_by: UUID
    completed_at: AwareDatetime
    share_progress: NotRequired[bool]
    """the room (a personal space included) lets its members share its tasks as progress posts
    (the room's `share_progress`, off by default; added 2026-12-04, absent = false): only then
    may `title` and `room_name` leave the room's members"""
    private: NotRequired[bool]
    """the room is private (`private`, added 2026-12-04, absent = false): neither `title` nor
    `room_name` leaves its members, even when it shares progress"""


@declare("tasks.task.updated", key=TASK_KEY, consumers={"tasks": ANALYTICS})
class TaskUpdated(TaskRef):
    """The task's title, priority, deadline or recurrence changed (status and assignees have
    their own events). `changed` names the fields that changed; the other keys are the values
    after the change."""

    changed: list[Literal["title", "priority", "due", "recurrence"]]
    priority: TaskPriority
    due_date: str | None
    """an all-day deadline, `YYYY-MM-DD` (or null)"""
    due_at: AwareDatetime | None
    """a deadline at a time (or null)"""
    recurrence: Annotated[str, Field(max_length=200, examples=["FREQ=WEEKLY;BYDAY=MO"])]
    """the RRULE, empty when the task does not repeat"""
    actor_id: UUID


@declare("tasks.task.deleted", key=TASK_KEY, consumers={"tasks": ANALYTICS})
class TaskDeleted(TaskRef):
    """A member deleted the task (its subtasks go with it: one event each)."""

    actor_id: UUID


# ---------------------------------------------------------------------------------------------
# The goal concretizer — topic `tasks.plan` (plans are private: only their owner is told)

PLAN_KEY = "the plan's id"
PlanProvider = Literal["llm", "rules"]


@declare(
    "tasks.plan.concretized",
    key=PLAN_KEY,
    consumers={"notifications": "tells the owner, live (`plan_ready`, in-app, no email)"},
)
class PlanConcretized(Recipients):
    """A concretize job finished: the plan's steps or clarifying questions are ready (or it
    failed). `recipient_ids` is the plan's owner, who asked for it (told although they acted:
    the job ran after their request)."""

    plan_id: UUID
    owner_id: UUID
    task_id: UUID | None
    """the task the plan is for (null: a free-text goal)"""
    parent_plan_id: UUID | None
    """set for a finer breakdown of one step of that plan"""
    status: Literal["done", "failed"]
    provider: PlanProvider | None
    """who made it (`rules`: the offline planner, also as the fallback; null when it failed)"""
    step_count: Annotated[int, Field(ge=0, le=12)]
    question_count: Annotated[int, Field(ge=0, le=3)]
    goal: Annotated[str, Field(max_length=120)]
    """the goal's first 120 characters"""


@declare(
    "tasks.plan.accepted",
    key=PLAN_KEY,
    consumers={
        "social": "a `progress` post on the owner's personal page when they opted in "
        "(`plan_accepted`): the number of steps only, never the goal or the task"
    },
)
class PlanAccepted(TypedDict):
    """The owner accepted the (edited) steps: each became a subtask of `task_id` (its own
    `tasks.task.created` too), in one transaction."""

    plan_id: UUID
    owner_id: UUID
    task_id: UUID
    room_id: UUID
    subtask_ids: Annotated[list[UUID], Field(max_length=12)]
    provider: PlanProvider


# ---------------------------------------------------------------------------------------------
# Deadlines — topics `tasks.reminder` and `tasks.task`


class DeadlineData(TaskRef, Recipients):
    due_date: str | None
    """an all-day deadline, `YYYY-MM-DD` (or null)"""
    due_at: AwareDatetime | None
    """a deadline at a time (or null; exactly one of `due_date` and `due_at` is set)"""


@declare(
    "tasks.reminder.due",
    key=TASK_KEY,
    consumers={
        "notifications": "tells `recipient_ids` (`task_reminder`, in-app, live, email)",
    },
)
class TaskReminderDue(DeadlineData):
    """A reminder before a task's deadline came (sent once per reminder; `recipient_ids` is the
    one person it is for)."""

    reminder_id: UUID
    remind_at: AwareDatetime
    """when it was due (after a snooze: the snoozed time)"""
    minutes_before: Annotated[int, Field(ge=0, examples=[60])]
    """how long before the deadline it was set for (0: at the deadline)"""


@declare(
    "tasks.task.overdue",
    key=TASK_KEY,
    consumers={
        "notifications": "tells `recipient_ids`, the assignees or else the creator "
        "(`task_overdue`, in-app, live, email)",
    },
)
class TaskOverdue(DeadlineData):
    """An open task's deadline passed (told once per deadline; a new deadline can be overdue
    again)."""


class CommentData(TaskRef, Recipients):
    comment_id: UUID
    author_id: UUID
    excerpt: Annotated[str, Field(max_length=200)]
    """the comment's first 200 characters"""


@declare(
    "tasks.task.commented",
    key=TASK_KEY,
    consumers={
        "notifications": "tells `recipient_ids`, the task's creator and assignees "
        "(`task_commented`, grouped per task)"
    },
)
class TaskCommented(CommentData):
    """A member commented on the task; `recipient_ids`: the creator and assignees, but the
    author and those mentioned (they get `tasks.task.mentioned`)."""


@declare(
    "tasks.task.mentioned",
    key=TASK_KEY,
    consumers={"notifications": "tells `recipient_ids`, the mentioned members (`task_mentioned`)"},
)
class TaskMentioned(CommentData):
    """A comment mentions members (`@username`); `recipient_ids`: the mentioned members who
    may read the room, but the author."""


# ---------------------------------------------------------------------------------------------
# Media — topic `tasks.media`


@declare("tasks.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """A task uses these files (`object_type` `task`, `audience` `room:<id>`)."""


@declare("tasks.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """A task no longer uses these files (or was deleted)."""


@declare("tasks.media.access_granted", key=ACCESS_KEY, consumers=ACCESS_GRANTED_CONSUMERS)
class MediaAccessGranted(references.AccessGranted):
    """A room's members (`room:<id>`) may read the files its tasks use."""


@declare("tasks.media.access_revoked", key=ACCESS_KEY, consumers=ACCESS_REVOKED_CONSUMERS)
class MediaAccessRevoked(references.AccessRevoked):
    """A room's members (`room:<id>`) may no longer read them (left, removed, room deleted)."""


# ---------------------------------------------------------------------------------------------
# The agenda — topic `tasks.agenda` (one person's, told only to them)


@declare(
    "tasks.agenda.changed",
    key="the person's id",
    consumers={
        "notifications": "a live `agenda.changed` frame on the person's sockets (not stored)"
    },
)
class AgendaChanged(TypedDict):
    """Something on the person's agenda changed (a check-in, a review session's cards, a task
    completed, a suggestion accepted): a client showing one of `days` reads it again
    (`GET /api/tasks/agenda/`). Published after the change is committed."""

    owner_id: UUID
    days: Annotated[list[date], Field(min_length=1, max_length=8)]
    """the days (the person's zone) whose agenda changed"""
    reason: Literal["checkin", "habit", "cards", "task", "plan"]
