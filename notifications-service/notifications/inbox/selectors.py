"""Reads: a person's notifications, counts, preferences, and what the websocket replays."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cotask_common.errors import ServiceError
from notifications.inbox.models import (
    Notification,
    PageFollow,
    PageSubscription,
    Preference,
    Recipient,
)
from notifications.inbox.types import TYPES, get_type

# What a list row, a websocket frame and an email need; nothing else is loaded.
LIST_FIELDS = (
    "id",
    "sequence",
    "type",
    "actor_id",
    "actor_name",
    "actor_count",
    "target_service",
    "target_kind",
    "target_id",
    "text",
    "language",
    "data",
    "read_at",
    "created_at",
    "updated_at",
)


def notifications_for(
    *, user_id: UUID, unread: bool | None = None, type: str | None = None
) -> QuerySet[Notification]:
    if type is not None and type not in TYPES:
        raise ServiceError.for_field(
            "type",
            _("Unknown notification type “%(type)s”. Known: %(known)s.")
            % {"type": type, "known": ", ".join(TYPES)},
            code="unknown_type",
        )
    rows = Notification.objects.filter(recipient_id=user_id, in_app=True).only(*LIST_FIELDS)
    if unread is True:
        rows = rows.filter(read_at=None)
    elif unread is False:
        rows = rows.exclude(read_at=None)
    if type:
        rows = rows.filter(type=type)
    return rows


def unread_count(*, user_id: UUID) -> int:
    return Notification.objects.filter(recipient_id=user_id, in_app=True, read_at=None).count()


def current_cursor(*, user_id: UUID) -> int:
    return Recipient.objects.filter(id=user_id).values_list("last_sequence", flat=True).first() or 0


def missed_since(*, user_id: UUID, cursor: int, limit: int) -> list[Notification]:
    """What the websocket replays after `cursor`, oldest first."""
    return list(
        Notification.objects.filter(
            recipient_id=user_id, in_app=True, realtime=True, sequence__gt=cursor
        )
        .only(*LIST_FIELDS)
        .order_by("sequence")[:limit]
    )


def preference_for(*, recipient: Recipient, type: str) -> dict[str, bool]:
    row = (
        Preference.objects.filter(recipient=recipient, type=type)
        .values("in_app", "realtime", "email")
        .first()
    )
    if row is not None:
        return row
    defaults = get_type(type)
    return {"in_app": defaults.in_app, "realtime": defaults.realtime, "email": defaults.email}


def preferences_for(*, user_id: UUID) -> dict[str, Any]:
    recipient = Recipient.objects.filter(id=user_id).first()
    saved = {
        row["type"]: row
        for row in Preference.objects.filter(recipient_id=user_id).values(
            "type", "in_app", "realtime", "email"
        )
    }
    types = []
    for key, notification_type in TYPES.items():
        row = saved.get(key) or {
            "in_app": notification_type.in_app,
            "realtime": notification_type.realtime,
            "email": notification_type.email,
        }
        types.append(
            {
                "type": key,
                "description": notification_type.description,
                "in_app": row["in_app"],
                "realtime": row["realtime"],
                "email": row["email"],
                "email_always": notification_type.mandatory,
                "email_digest": notification_type.digest_only
                or notification_type.email_when_unread,
            }
        )
    return {
        "email_frequency": recipient.email_frequency if recipient else "immediate",
        "chat_email_delay_minutes": (
            recipient.chat_email_delay_minutes
            if recipient
            else Recipient._meta.get_field("chat_email_delay_minutes").default
        ),
        "types": types,
    }


def page_subscriptions_for(*, user_id: UUID) -> QuerySet[PageSubscription]:
    return PageSubscription.objects.filter(recipient_id=user_id)


def page_subscribers(*, page_id: UUID) -> list[UUID]:
    """Who gets a new-post alert: those who asked for it and still follow the page (checked
    again here, so an alert whose follow ended is never delivered, whatever order the events
    came in)."""
    following = PageFollow.objects.filter(page_id=page_id, active=True).values("user_id")
    return list(
        PageSubscription.objects.filter(page_id=page_id, recipient_id__in=following).values_list(
            "recipient_id", flat=True
        )
    )


def notification_dict(*, notification: Notification) -> dict[str, Any]:
    """The one shape of a notification: REST list rows and websocket frames alike."""
    data = {k: v for k, v in notification.data.items() if k != "actor_ids"}
    return {
        "id": str(notification.id),
        "cursor": notification.sequence,
        "type": notification.type,
        "actor": (
            {"id": str(notification.actor_id), "name": notification.actor_name}
            if notification.actor_id
            else None
        ),
        "actor_count": notification.actor_count,
        "target": (
            {
                "service": notification.target_service,
                "kind": notification.target_kind,
                "id": notification.target_id,
            }
            if notification.target_kind
            else None
        ),
        "text": notification.text,
        "language": notification.language,
        "data": data,
        "read": notification.read_at is not None,
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
        "created_at": notification.created_at.isoformat(),
        "updated_at": notification.updated_at.isoformat() if notification.updated_at else None,
    }


def push_message(*, notification: Notification) -> dict[str, Any]:
    return {
        "type": "notification",
        "cursor": notification.sequence,
        "notification": notification_dict(notification=notification),
    }
