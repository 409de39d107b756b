"""Writes for tasks-service's rooms: the membership projection, taking notifications back when
someone leaves a room or it is deleted, and linking notifications to their room."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction

from cotask_common.inserts import insert_if_absent
from notifications.inbox import services as inbox
from notifications.inbox.models import Notification, Recipient
from notifications.inbox.services import Target
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
