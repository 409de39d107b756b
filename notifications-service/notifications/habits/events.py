"""habits-service's events: the owner hears of streak milestones, broken streaks, spent freezes,
reminders (one notification for the habits due at one time) and the daily cards due; a deleted
habit takes its notifications back; a card import's progress reaches the owner's open sockets
live (stored nowhere).

The data is declared in cotask_common/contracts/habits.py (docs/events.md#habits). Only the
owner (`owner_id`) is ever told. A missing or bad key tells nobody, never fails.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from notifications.habits import services


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _tell(event: Event, *, type: str, params: dict[str, Any], **data: Any) -> None:
    owner = _uuid(event.data.get("owner_id"))
    habit = _uuid(event.data.get("habit_id")) or _uuid(event.key)
    if owner is None or habit is None:
        return
    services.tell_owner(
        event_id=event.id,
        owner_id=owner,
        habit_id=habit,
        type=type,
        params={"habit": str(event.data.get("habit_name") or ""), **params},
        data={"habit_id": str(habit), **data},
    )


@event_handler("habits.streak.milestone")
def on_milestone(event: Event) -> None:
    length, unit = _int(event.data.get("length")), str(event.data.get("streak_unit") or "day")
    _tell(
        event,
        type="habit_streak_milestone",
        params={"streak": services.streak(length, unit)},
        length=length,
        streak_unit=unit,
    )


@event_handler("habits.streak.broken")
def on_broken(event: Event) -> None:
    length, unit = _int(event.data.get("length")), str(event.data.get("streak_unit") or "day")
    _tell(
        event,
        type="habit_streak_broken",
        params={"streak": services.streak(length, unit)},
        length=length,
        streak_unit=unit,
        day=str(event.data.get("day") or ""),
    )


@event_handler("habits.freeze.used")
def on_freeze_used(event: Event) -> None:
    left, current = _int(event.data.get("freezes_left")), _int(event.data.get("current_streak"))
    unit = str(event.data.get("streak_unit") or "day")  # a freeze is spent per period
    _tell(
        event,
        type="habit_freeze_used",
        params={
            "streak": services.streak(current, unit),
            "freezes": services.freezes_left(left),
        },
        freezes_left=left,
        current_streak=current,
        day=str(event.data.get("day") or ""),
    )


@event_handler("habits.reminder.due")
def on_reminder(event: Event) -> None:
    """v2 lists the owner's habits due at one time; v1 (still in logs) is one habit's."""
    if event.version >= 2:
        owner = _uuid(event.data.get("owner_id")) or _uuid(event.key)
        listed = event.data.get("habits")
        habits = [
            (habit, str(item.get("habit_name") or ""))
            for item in (listed if isinstance(listed, list) else [])
            if isinstance(item, dict) and (habit := _uuid(item.get("habit_id")))
        ]
    else:
        owner = _uuid(event.data.get("owner_id"))
        habit = _uuid(event.data.get("habit_id")) or _uuid(event.key)
        habits = [(habit, str(event.data.get("habit_name") or ""))] if habit else []
    if owner is None or not habits:
        return
    services.tell_reminder(
        event_id=event.id,
        owner_id=owner,
        habits=habits,
        day=str(event.data.get("day") or ""),
        local_time=str(event.data.get("local_time") or ""),
    )


@event_handler("habits.habit.deleted")
def on_habit_deleted(event: Event) -> None:
    habit = _uuid(event.data.get("habit_id")) or _uuid(event.key)
    if habit:
        services.delete_habit(
            habit_id=habit,
            owner_id=_uuid(event.data.get("owner_id")),
            occurred_at=event.occurred_at,
        )


@event_handler("habits.cards.due")
def on_cards_due(event: Event) -> None:
    owner = _uuid(event.data.get("owner_id")) or _uuid(event.key)
    if owner is None:
        return
    services.tell_cards_due(
        event_id=event.id,
        owner_id=owner,
        day=str(event.data.get("day") or ""),
        new=_int(event.data.get("new")),
        learning=_int(event.data.get("learning")),
        review=_int(event.data.get("review")),
    )


_IMPORT_STATUSES = {"queued", "running", "done", "failed"}


@event_handler("habits.card_import.progressed")
def on_card_import_progressed(event: Event) -> None:
    owner, job = _uuid(event.data.get("owner_id")), _uuid(event.data.get("job_id"))
    status = str(event.data.get("status") or "")
    if owner is None or job is None or status not in _IMPORT_STATUSES:
        return
    counts = event.data.get("counts")
    services.push_import_progress(
        owner_id=owner,
        job={
            "id": str(job),
            "kind": str(event.data.get("kind") or ""),
            "status": status,
            "percent": min(_int(event.data.get("percent")), 100),
            "counts": {str(k): _int(v) for k, v in counts.items()}
            if isinstance(counts, dict)
            else {},
            "error_code": str(event.data.get("error_code") or ""),
        },
    )
