"""Writes for tasks-service's rooms: the membership projection, taking notifications back when
someone leaves a room or it is deleted, and linking notifications to their room."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext, pgettext_lazy

from cotask_common.inserts import insert_if_absent
from cotask_common.users.models import UserRef
from notifications.inbox import services as inbox
from notifications.inbox.models import Notification, Recipient
from notifications.inbox.services import Target
from notifications.inbox.types import counted, in_every_language
from notifications.realtime.push import send_to_user
from notifications.rooms.models import DeletedRoom, RoomMember, RoomNotification


@transaction.atomic
def apply_membership(
    *, room_id: UUID, user_id: UUID, active: bool, occurred_at: datetime
) -> RoomMember:
    """`tasks.room.joined` (active) or `tasks.room.left`: idempotent, and an event older than
    the newest applied to the pair changes nothing (a re-join's `joined` handled before the
    old `left`). A leave takes back the person's notifications about the room."""
    _lock(user_id)
    member, created = RoomMember.objects.select_for_update().get_or_create(
        room_id=room_id,
        user_id=user_id,
        defaults={"active": active, "source_version": occurred_at},
    )
    if not created:
        if occurred_at < member.source_version:
            return member
        member.active = active
        member.source_version = occurred_at
        member.save(update_fields=["active", "source_version"])
    if not active:
        take_back(room_id=room_id, recipient_id=user_id)
    return member


@transaction.atomic
def delete_room(*, room_id: UUID, occurred_at: datetime) -> int:
    """`tasks.room.deleted`: nothing more is told about the room, and every notification about
    it goes from every inbox (its name and its tasks' titles with them). The membership rows
    are not needed any more. Returns how many notifications went."""
    insert_if_absent(
        DeletedRoom,
        values={"room_id": room_id, "deleted_at": occurred_at},
        conflict=["room_id"],
        using=DeletedRoom.objects.db,
    )
    RoomMember.objects.filter(room_id=room_id).delete()
    return take_back(room_id=room_id)


def take_back(*, room_id: UUID, recipient_id: UUID | None = None) -> int:
    about = RoomNotification.objects.filter(room_id=room_id)
    if recipient_id is not None:
        about = about.filter(recipient_id=recipient_id)
    return inbox.take_back(
        notifications=Notification.objects.filter(id__in=about.values("notification_id"))
    )


def forget_user(*, user_id: UUID, room_id: UUID | None = None) -> None:
    """`auth.user.deleted` (or a room left by the deletion): no row here names the account;
    what it was told about the room(s) goes (the inbox's own handler empties the rest)."""
    rows = RoomMember.objects.filter(user_id=user_id)
    if room_id is not None:
        rows = rows.filter(room_id=room_id)
        take_back(room_id=room_id, recipient_id=user_id)
    rows.delete()


def _lock(user_id: UUID) -> None:
    """The person's Recipient row, locked: `notify` takes the same lock, so a leave and a task
    event handled at the same moment (other topics, other consumers) are serialised per person;
    a leave either comes first (and the event tells them nothing) or takes back what it made."""
    if not Recipient.objects.select_for_update().filter(id=user_id).exists():
        inbox.ensure_recipient(user_id=user_id)
        Recipient.objects.select_for_update().filter(id=user_id).exists()


def may_tell(*, room_id: UUID, user_id: UUID, occurred_at: datetime) -> bool:
    """Whether the person may still hear about the room: not when it was deleted, nor when they
    left it after the event (a newer event naming them means they are back)."""
    if DeletedRoom.objects.filter(room_id=room_id).exists():
        return False
    return not RoomMember.objects.filter(
        room_id=room_id, user_id=user_id, active=False, source_version__gte=occurred_at
    ).exists()


def tell(
    *,
    event_id: UUID,
    occurred_at: datetime,
    room_id: UUID,
    recipients: Iterable[UUID],
    **notification: Any,
) -> list[Notification]:
    """`inbox.notify` for each of `recipients` who may still hear about the room, each
    notification linked to the room. Idempotent like `notify` (per event and recipient)."""
    made = []
    for user_id in dict.fromkeys(recipients):
        # No savepoint: an error fails (and retries) the whole event, as in `notify`.
        with transaction.atomic(savepoint=False):
            _lock(user_id)
            if not may_tell(room_id=room_id, user_id=user_id, occurred_at=occurred_at):
                continue
            found = inbox.notify(event_id=event_id, recipient_id=user_id, **notification)
            if found is not None:
                _link(notification=found, room_id=room_id)
                made.append(found)
    return made


def _link(*, notification: Notification | None, room_id: UUID) -> None:
    """Remember that `notification` speaks of the room (once; a grouped one is linked already)."""
    if notification is None:
        return
    insert_if_absent(
        RoomNotification,
        values={
            "notification_id": notification.id,
            "room_id": room_id,
            "recipient_id": notification.recipient_id,
        },
        conflict=["notification_id"],
        using=RoomNotification.objects.db,
    )


def tell_removed(*, event_id: UUID, user_id: UUID, room_id: UUID, room_name: str) -> None:
    """`room_removed`: an admin removed the person from the room (the admin is not named);
    nothing once the room is deleted."""
    if DeletedRoom.objects.filter(room_id=room_id).exists():
        return
    inbox.notify(
        event_id=event_id,
        recipient_id=user_id,
        type="room_removed",
        target=Target(service="tasks", kind="room", id=str(room_id)),
        params={"room": room_name},
        data={"room_id": str(room_id)},
    )


# ---------------------------------------------------------------------------------------------
# Deadlines: `task_reminder` and `task_overdue`


def _in_minutes(count: int) -> str:
    return ngettext("in %(count)d minute", "in %(count)d minutes", count) % {"count": count}


def _in_hours(count: int) -> str:
    return ngettext("in %(count)d hour", "in %(count)d hours", count) % {"count": count}


def _in_days(count: int) -> str:
    return ngettext("in %(count)d day", "in %(count)d days", count) % {"count": count}


NOW = pgettext_lazy("a task is due …", "now")
TODAY = pgettext_lazy("a task is due …", "today")
TOMORROW = pgettext_lazy("a task is due …", "tomorrow")


def due_phrase(
    *,
    due_at: datetime | None,
    due_date: date | None,
    remind_at: datetime | None,
    minutes_before: int,
    time_zone: str,
) -> dict[str, str]:
    """When the task is due, as the reminder says it, in every language (`data.params`).

    A deadline at a time: what is left from the reminder's instant (`remind_at`, a snoozed one's
    too), in whole days, hours or else minutes, so 1440 reads "in 1 day" and 90 "in 90
    minutes". An all-day deadline: the days from the reminder's local date in the person's zone
    ("today", "tomorrow", "in 3 days"). Without those, `minutes_before` says it."""
    if due_date is not None and remind_at is not None:
        days = (due_date - remind_at.astimezone(_zone(time_zone)).date()).days
    elif due_date is not None:
        days = round(minutes_before / 1440)
    else:
        left = due_at - remind_at if due_at and remind_at else timedelta(minutes=minutes_before)
        minutes = max(round(left.total_seconds() / 60), 0)
        if minutes == 0:
            return in_every_language(NOW)
        if minutes % 1440 == 0:
            return counted(_in_days, minutes // 1440)
        if minutes % 60 == 0:
            return counted(_in_hours, minutes // 60)
        return counted(_in_minutes, minutes)
    if days <= 0:
        return in_every_language(TODAY)
    if days == 1:
        return in_every_language(TOMORROW)
    return counted(_in_days, days)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def time_zone_of(user_id: UUID) -> str:
    """The account's zone as auth announced it (the UserRef projection); UTC when unknown."""
    found = UserRef.objects.filter(id=user_id).values_list("time_zone", flat=True).first()
    return found or "UTC"


def banned_now(user_ids: Iterable[UUID]) -> set[UUID]:
    """Who of `user_ids` is banned at this moment (the UserRef projection of auth's bans)."""
    return set(
        UserRef.objects.filter(id__in=list(user_ids), is_banned=True)
        .filter(Q(banned_until__isnull=True) | Q(banned_until__gt=timezone.now()))
        .values_list("id", flat=True)
    )


def deadline_key(*, kind: str, task_id: UUID, moment: str) -> UUID:
    """The delivery key of a deadline notice: one per reminder and instant (a snoozed reminder
    fires again, later), one overdue per task and deadline (a new deadline may be overdue
    again), whatever the event's own id, so a producer's duplicate tells nobody twice."""
    return uuid5(NAMESPACE_URL, f"cotask:{kind}:{task_id}:{moment}")


def tell_deadline(
    *,
    key: UUID,
    occurred_at: datetime,
    room_id: UUID,
    task_id: UUID,
    recipients: Iterable[UUID],
    type: str,
    params: dict[str, Any],
    data: dict[str, Any],
    per_recipient: Callable[[UUID], dict[str, Any]] | None = None,
) -> list[Notification]:
    """`tell` for a deadline: nobody acted (no actor), a banned account hears nothing (they
    cannot open the task; an email about it would only be noise), each recipient once per
    `key`. `per_recipient(user_id)` adds params that depend on the person (their zone)."""
    recipients = list(dict.fromkeys(recipients))
    banned = banned_now(recipients)
    made = []
    for user_id in recipients:
        if user_id in banned:
            continue
        made += tell(
            event_id=key,
            occurred_at=occurred_at,
            room_id=room_id,
            recipients=[user_id],
            type=type,
            target=Target(service="tasks", kind="task", id=str(task_id)),
            params={**params, **(per_recipient(user_id) if per_recipient else {})},
            data={"room_id": str(room_id), "task_id": str(task_id), **data},
        )
    return made


def push_agenda_changed(*, owner_id: UUID, days: list[str], reason: str) -> None:
    """tasks-service changed the person's agenda: a live frame to their open sockets, stored
    nowhere (a client that was away reads the agenda over REST anyway)."""
    frame = {"type": "agenda.changed", "cursor": 0, "days": days, "reason": reason}
    send_to_user(user_id=owner_id, message=frame)
