"""Writes for chat delivery: the membership projection, the frames pushed to members' sockets
(each in the person's websocket sequence), the offline notification, and socket presence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.chat import hot_sql, selectors
from notifications.chat.models import ChatFrame, ChatMember, SocketPresence
from notifications.realtime import push


def apply_members(
    *, conversation_id: UUID, member_ids: Iterable[UUID], occurred_at: datetime
) -> None:
    """Set the projection to the conversation's whole current membership; a row changed by a
    newer event than this one stays as it is."""
    members = set(member_ids)
    existing = {
        row.user_id: row for row in ChatMember.objects.filter(conversation_id=conversation_id)
    }
    for user_id, row in existing.items():
        active = user_id in members
        if row.active != active and row.source_version <= occurred_at:
            ChatMember.objects.filter(id=row.id).update(active=active, source_version=occurred_at)
    ChatMember.objects.bulk_create(
        [
            ChatMember(
                conversation_id=conversation_id,
                user_id=user_id,
                active=True,
                source_version=occurred_at,
            )
            for user_id in members
            if user_id not in existing
        ],
        ignore_conflicts=True,
    )


def push_frames(
    *,
    event_id: UUID,
    event: str,
    conversation_id: UUID,
    user_ids: Iterable[UUID],
    payload: dict[str, Any],
) -> dict[UUID, int]:
    """One frame per person, each the next number of that person's sequence, pushed to their
    open sockets after commit; each person's cursor of it (a deleted person has none).
    Idempotent: an event already framed frames nothing again."""
    ids = sorted(set(user_ids), key=str)
    framed = hot_sql.framed if hot_sql.enabled() else hot_sql.framed_orm
    if not ids or framed(event_id=event_id):
        return {}
    number = hot_sql.number_frames if hot_sql.enabled() else hot_sql.number_frames_orm
    with transaction.atomic():
        cursors = number(
            user_ids=ids,
            event_id=event_id,
            event=event,
            conversation_id=conversation_id,
            payload=payload,
        )
        # The frames differ only in their cursor: one message with each person's cursor.
        message = selectors.frame_message(
            frame=ChatFrame(
                sequence=0, event=event, conversation_id=conversation_id, payload=payload
            )
        )
        del message["cursor"]
        transaction.on_commit(lambda: push.send_to_users(message=message, cursors=cursors))
    return cursors


def forget_user(*, user_id: UUID) -> None:
    """`auth.user.deleted`: nothing kept here names or quotes the person any more."""
    person = str(user_id)
    ChatFrame.objects.filter(
        Q(recipient_id=user_id) | Q(payload__author_id=person) | Q(payload__user_id=person)
    ).delete()
    ChatMember.objects.filter(user_id=user_id).delete()
    SocketPresence.objects.filter(user_id=user_id).delete()


def cleanup_frames(*, older_than_hours: int) -> int:
    horizon = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = ChatFrame.objects.filter(created_at__lt=horizon).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Presence (the socket consumer calls these)


def socket_opened(*, channel_name: str, user_id: UUID) -> None:
    SocketPresence.objects.update_or_create(
        channel_name=channel_name, defaults={"user_id": user_id, "seen_at": timezone.now()}
    )


def socket_seen(*, channel_name: str) -> None:
    SocketPresence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def socket_closed(*, channel_name: str) -> None:
    SocketPresence.objects.filter(channel_name=channel_name).delete()


def cleanup_presence() -> int:
    """Rows of sockets that went without a clean close (a killed process)."""
    horizon = timezone.now() - timedelta(hours=1)
    deleted, _ = SocketPresence.objects.filter(seen_at__lt=horizon).delete()
    return deleted
