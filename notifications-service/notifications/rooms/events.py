"""tasks-service's events: who is told what about rooms and tasks, and what a leave or a
room's deletion takes back.

The data is declared in cotask_common/contracts/tasks.py (docs/events.md#tasks). Who is told is
tasks-service's `recipient_ids` (never the actor), less anyone who left the room since the event
or whose room is gone (`services.may_tell`). A missing key tells fewer people, never fails.
The reminder pass's `tasks.reminder.due` and `tasks.task.overdue` tell each person once per
reminder instant / per deadline (`services.tell_deadline`), never a banned account.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from django.utils.dateparse import parse_datetime

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from notifications.inbox import services as inbox
from notifications.inbox.services import Target
from notifications.rooms import services


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _recipients(data: dict[str, Any]) -> list[UUID]:
    listed = data.get("recipient_ids")
    if not isinstance(listed, list | tuple):
        return []
    return [u for u in (_uuid(v) for v in listed) if u is not None]


def _room(event: Event) -> UUID | None:
    return _uuid(event.data.get("room_id")) or _uuid(event.data.get("id"))


# ---------------------------------------------------------------------------------------------
# Rooms (topic `tasks.room`)


@event_handler("tasks.room.joined")
def on_joined(event: Event) -> None:
    """The room's owner and admins hear that someone joined (grouped per room)."""
    data, room = event.data, _room(event)
    member = _uuid(data.get("user_id"))
    if room is None or member is None:
        return
    services.apply_membership(
        room_id=room, user_id=member, active=True, occurred_at=event.occurred_at
    )
    services.tell(
        event_id=event.id,
        occurred_at=event.occurred_at,
        room_id=room,
        recipients=[r for r in _recipients(data) if r != member],
        type="room_joined",
        actor_id=member,
        target=Target(service="tasks", kind="room", id=str(room)),
        params={"room": str(data.get("room_name") or "")},
        data={"room_id": str(room)},
    )


@event_handler("tasks.room.left")
def on_left(event: Event) -> None:
    """Left, removed or account deleted: nothing more reaches them about the room, and what
    they were told about it goes (docs/decisions.md, Notifications); a removed member is told
    (`room_removed`, when `recipient_ids` names them)."""
    room, member = _room(event), _uuid(event.data.get("user_id"))
    if room is None or member is None:
        return
    if event.data.get("reason") == "account_deleted":
        # No row may name a deleted account; the account's deletion empties its inbox anyway.
        services.forget_user(user_id=member, room_id=room)
        return
    state = services.apply_membership(
        room_id=room, user_id=member, active=False, occurred_at=event.occurred_at
    )
    removed = event.data.get("reason") == "removed" and member in _recipients(event.data)
    if removed and not state.active:  # not when a newer join brought them back
        # After the take-back, and not linked to the room: this one is about losing it.
        services.tell_removed(
            event_id=event.id,
            user_id=member,
            room_id=room,
            room_name=str(event.data.get("room_name") or ""),
        )


@event_handler("tasks.room.deleted")
def on_room_deleted(event: Event) -> None:
    room = _uuid(event.data.get("id")) or _uuid(event.key)
    if room:
        services.delete_room(room_id=room, occurred_at=event.occurred_at)


@event_handler("auth.user.deleted")
def on_account_deleted(event: Event) -> None:
    user = _uuid(event.key)
    if user:
        services.forget_user(user_id=user)


# ---------------------------------------------------------------------------------------------
# Tasks (topic `tasks.task`)


def _task(event: Event, *, type: str, actor_key: str, **data: Any) -> None:
    payload, room = event.data, _room(event)
    task = _uuid(payload.get("task_id")) or _uuid(event.key)
    if room is None or task is None:
        return
    services.tell(
        event_id=event.id,
        occurred_at=event.occurred_at,
        room_id=room,
        recipients=_recipients(payload),
        type=type,
        actor_id=_uuid(payload.get(actor_key)) or _uuid(event.actor),
        target=Target(service="tasks", kind="task", id=str(task)),
        params={
            "task": str(payload.get("title") or ""),
            "room": str(payload.get("room_name") or ""),
        },
        data={"room_id": str(room), "task_id": str(task), **data},
    )


@event_handler("tasks.task.assigned")
def on_assigned(event: Event) -> None:
    _task(event, type="task_assigned", actor_key="actor_id")


@event_handler("tasks.task.commented")
def on_commented(event: Event) -> None:
    _task(
        event,
        type="task_commented",
        actor_key="author_id",
        comment_id=event.data.get("comment_id"),
        excerpt=str(event.data.get("excerpt") or "")[:200],
    )


@event_handler("tasks.task.mentioned")
def on_mentioned(event: Event) -> None:
    _task(
        event,
        type="task_mentioned",
        actor_key="author_id",
        comment_id=event.data.get("comment_id"),
        excerpt=str(event.data.get("excerpt") or "")[:200],
    )


# ---------------------------------------------------------------------------------------------
# Deadlines (topics `tasks.reminder` and `tasks.task`): tasks-service's reminder pass


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else None
    try:
        found = parse_datetime(str(value)) if value else None
    except ValueError:
        return None
    # In UTC: one instant is one delivery key however the producer wrote its offset.
    return found.astimezone(UTC) if found is not None and found.tzinfo is not None else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _minutes(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


@event_handler("tasks.reminder.due")
def on_reminder_due(event: Event) -> None:
    """`task_reminder` for the one person the reminder is for, once per reminder and instant."""
    data, room = event.data, _room(event)
    task = _uuid(data.get("task_id")) or _uuid(event.key)
    reminder = _uuid(data.get("reminder_id"))
    if room is None or task is None or reminder is None:
        return
    due_at, due_date = _moment(data.get("due_at")), _day(data.get("due_date"))
    remind_at, minutes_before = _moment(data.get("remind_at")), _minutes(data.get("minutes_before"))

    def due(user_id: UUID) -> dict[str, Any]:
        zone = services.time_zone_of(user_id) if due_date is not None else "UTC"
        phrase = services.due_phrase(
            due_at=due_at,
            due_date=due_date,
            remind_at=remind_at,
            minutes_before=minutes_before,
            time_zone=zone,
        )
        return {"due": phrase}

    services.tell_deadline(
        key=services.deadline_key(
            kind="reminder", task_id=task, moment=f"{reminder}:{remind_at or event.id}"
        ),
        occurred_at=event.occurred_at,
        room_id=room,
        task_id=task,
        recipients=_recipients(data),
        type="task_reminder",
        params={"task": str(data.get("title") or ""), "room": str(data.get("room_name") or "")},
        data={
            "reminder_id": str(reminder),
            "remind_at": remind_at.isoformat() if remind_at else None,
            "minutes_before": minutes_before,
            "due_at": due_at.isoformat() if due_at else None,
            "due_date": due_date.isoformat() if due_date else None,
        },
        per_recipient=due,
    )


@event_handler("tasks.task.overdue")
def on_overdue(event: Event) -> None:
    """`task_overdue` for the assignees (or the creator), once per task and deadline."""
    data, room = event.data, _room(event)
    task = _uuid(data.get("task_id")) or _uuid(event.key)
    if room is None or task is None:
        return
    due_at, due_date = _moment(data.get("due_at")), _day(data.get("due_date"))
    deadline = due_at.isoformat() if due_at else due_date.isoformat() if due_date else event.id
    services.tell_deadline(
        key=services.deadline_key(kind="overdue", task_id=task, moment=str(deadline)),
        occurred_at=event.occurred_at,
        room_id=room,
        task_id=task,
        recipients=_recipients(data),
        type="task_overdue",
        params={"task": str(data.get("title") or ""), "room": str(data.get("room_name") or "")},
        data={
            "due_at": due_at.isoformat() if due_at else None,
            "due_date": due_date.isoformat() if due_date else None,
        },
    )


# ---------------------------------------------------------------------------------------------
# The goal concretizer (topic `tasks.plan`)


@event_handler("tasks.plan.concretized")
def on_plan_concretized(event: Event) -> None:
    """The plan's owner (the one person in `recipient_ids`) is told it is ready, asks questions
    or failed; the frame reaches their socket live, and `data.plan_id` is what to fetch."""
    data = event.data
    owner, plan = _uuid(data.get("owner_id")), _uuid(data.get("plan_id")) or _uuid(event.key)
    if owner is None or plan is None or owner not in _recipients(data):
        return
    questions, steps = _minutes(data.get("question_count")), _minutes(data.get("step_count"))
    if data.get("status") == "failed":
        kind = "plan_failed"
    else:
        kind = "plan_questions" if questions and not steps else "plan_ready"
    task = _uuid(data.get("task_id"))
    inbox.notify(
        event_id=event.id,
        recipient_id=owner,
        type=kind,
        target=Target(service="tasks", kind="plan", id=str(plan)),
        params={"goal": str(data.get("goal") or "")[:120]},
        data={
            "plan_id": str(plan),
            "task_id": str(task) if task else None,
            "parent_plan_id": str(data.get("parent_plan_id") or "") or None,
            "status": str(data.get("status") or ""),
            "provider": data.get("provider"),
            "step_count": steps,
            "question_count": questions,
        },
    )


@event_handler("tasks.agenda.changed")
def on_agenda_changed(event: Event) -> None:
    owner = _uuid(event.data.get("owner_id"))
    days = event.data.get("days")
    if owner is None or not isinstance(days, list):
        return
    services.push_agenda_changed(
        owner_id=owner,
        days=[str(d) for d in days[:8]],
        reason=str(event.data.get("reason") or ""),
    )
