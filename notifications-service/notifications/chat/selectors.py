"""Reads for chat delivery: what a reconnecting socket replays, who may send `typing` where,
and who is online."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from notifications.chat import hot_sql
from notifications.chat.models import ChatFrame, ChatMember


def frame_message(*, frame: ChatFrame) -> dict[str, Any]:
    """The websocket shape of a chat frame (live and replayed alike)."""
    return {
        "type": "chat",
        "cursor": frame.sequence,
        "event": frame.event,
        "conversation_id": str(frame.conversation_id),
        "data": frame.payload,
    }


def missed_frames(*, user_id: UUID, cursor: int, limit: int) -> list[dict[str, Any]]:
    rows = (
        ChatFrame.objects.filter(recipient_id=user_id, sequence__gt=cursor)
        .only("sequence", "event", "conversation_id", "payload")
        .order_by("sequence")[:limit]
    )
    return [frame_message(frame=frame) for frame in rows]


def replay_since(*, user_id: UUID, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Notifications and chat frames after `cursor`, oldest first, at most `limit` (the first
    `limit` of the merged stream lie within the first `limit` of each)."""
    from notifications.inbox import selectors as inbox

    notifications = [
        inbox.push_message(notification=n)
        for n in inbox.missed_since(user_id=user_id, cursor=cursor, limit=limit)
    ]
    frames = missed_frames(user_id=user_id, cursor=cursor, limit=limit)
    return sorted([*notifications, *frames], key=lambda m: m["cursor"])[:limit]


def active_members(*, conversation_id: UUID) -> list[UUID]:
    return list(
        ChatMember.objects.filter(conversation_id=conversation_id, active=True).values_list(
            "user_id", flat=True
        )
    )


def is_member(*, conversation_id: UUID, user_id: UUID) -> bool:
    return ChatMember.objects.filter(
        conversation_id=conversation_id, user_id=user_id, active=True
    ).exists()


def online(*, user_ids: list[UUID]) -> set[UUID]:
    """Who has a socket whose heartbeat is recent (two beats and a margin)."""
    if not user_ids:
        return set()
    horizon = timezone.now() - timedelta(
        seconds=2 * settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS + 10
    )
    read = hot_sql.online_among if hot_sql.enabled() else hot_sql.online_among_orm
    return read(user_ids=user_ids, seen_since=horizon)
