"""Telling a habit's owner about its streak and reminders (the habits due at one time at
once), and taking it back when the habit is deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import ngettext

from cotask_common.inserts import insert_if_absent
from notifications.habits.models import DeletedHabit
from notifications.inbox import services as inbox
from notifications.inbox.models import Notification
from notifications.inbox.services import Target
from notifications.inbox.types import counted
from notifications.realtime.push import send_to_user


def _days(count: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def _weeks(count: int) -> str:
    return ngettext("%(count)d week", "%(count)d weeks", count) % {"count": count}


def _freezes_left(count: int) -> str:
    return ngettext("%(count)d freeze left", "%(count)d freezes left", count) % {"count": count}


def _cards(count: int) -> str:
    return ngettext("%(count)d card", "%(count)d cards", count) % {"count": count}


def cards(count: int) -> dict[str, str]:
    return counted(_cards, count)


def streak(length: int, unit: str) -> dict[str, str]:
    return counted(_weeks if unit == "week" else _days, length)


def freezes_left(count: int) -> dict[str, str]:
    return counted(_freezes_left, count)


def tell_owner(
    *, event_id: UUID, owner_id: UUID, habit_id: UUID, type: str, **notification: Any
) -> Notification | None:
    """`inbox.notify` for the habit's owner, unless the habit is gone. Idempotent like
    `notify` (per event and recipient)."""
    with transaction.atomic():
        if DeletedHabit.objects.filter(habit_id=habit_id).exists():
            return None
        return inbox.notify(
            event_id=event_id,
            recipient_id=owner_id,
            type=type,
            target=Target(service="habits", kind="habit", id=str(habit_id)),
            **notification,
        )


NAMED_HABITS = 5
"""habits a reminder of several names; the rest are counted ("…")"""


def tell_reminder(
    *,
    event_id: UUID,
    owner_id: UUID,
    habits: list[tuple[UUID, str]],
    day: str,
    local_time: str,
) -> Notification | None:
    """The owner's habits whose reminders came at one time, in one notification (idempotent
    like `notify`), leaving out habits deleted meanwhile. One habit: "Time for “Read”" about
    that habit (deleting it takes the notification back, as before). Several: "3 habits to
    check in: Run, Read, Write" about the owner's habits (it names others, so it stays)."""
    with transaction.atomic():
        gone = set(
            DeletedHabit.objects.filter(
                habit_id__in=[habit for habit, _name in habits]
            ).values_list("habit_id", flat=True)
        )
        left = [(habit, name) for habit, name in habits if habit not in gone]
        if not left:
            return None
        names = [name for _habit, name in left]
        shown = ", ".join(names[:NAMED_HABITS]) + (", …" if len(names) > NAMED_HABITS else "")
        first = str(left[0][0])
        return inbox.notify(
            event_id=event_id,
            recipient_id=owner_id,
            type="habit_reminder",
            target=Target(service="habits", kind="habit", id=first)
            if len(left) == 1
            else Target(service="habits", kind="habits", id=str(owner_id)),
            params={"habit": names[0], "time": local_time, "count": len(left), "habits": shown},
            data={
                "habit_id": first,
                "habit_ids": [str(habit) for habit, _name in left],
                "day": day,
                "local_time": local_time,
            },
        )


def tell_cards_due(
    *, event_id: UUID, owner_id: UUID, day: str, new: int, learning: int, review: int
) -> Notification | None:
    """The owner's daily "cards due" reminder (once per event; idempotent like `notify`)."""
    total = new + learning + review
    if total <= 0:
        return None
    return inbox.notify(
        event_id=event_id,
        recipient_id=owner_id,
        type="cards_due",
        target=Target(service="habits", kind="cards", id=str(owner_id)),
        params={"cards": cards(total)},
        data={"day": day, "new": new, "learning": learning, "review": review},
    )


def push_import_progress(*, owner_id: UUID, job: dict[str, Any]) -> None:
    """An import job moved on: a live frame to the owner's open sockets, stored nowhere (the
    job itself is read over REST; a client that was away reads it there)."""
    frame = {"type": "card_import", "cursor": 0, "job": job}  # a frame type, not a text
    send_to_user(user_id=owner_id, message=frame)


@transaction.atomic
def delete_habit(*, habit_id: UUID, owner_id: UUID | None, occurred_at: datetime) -> int:
    """`habits.habit.deleted`: nothing more is told about the habit, and what its owner was told
    about it goes from the inbox (live from open sockets too). Returns how many went."""
    insert_if_absent(
        DeletedHabit,
        values={"habit_id": habit_id, "deleted_at": occurred_at},
        conflict=["habit_id"],
        using=DeletedHabit.objects.db,
    )
    about = Notification.objects.filter(
        target_service="habits", target_kind="habit", target_id=str(habit_id)
    )
    if owner_id is not None:  # only the owner is ever told: their rows, through their index
        about = about.filter(recipient_id=owner_id)
    return inbox.take_back(notifications=about)
