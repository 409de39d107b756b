"""Helpers the notifications tests share (the fixtures are in notifications/conftest.py)."""

from __future__ import annotations

from typing import Any

from notifications.inbox.models import Notification

# The room name `tasks_event` announces.
ROOM = "Launch team"


def texts(user: Any) -> list[str]:
    """The texts of the person's notifications, oldest first."""
    return list(
        Notification.objects.filter(recipient_id=user.id)
        .order_by("sequence")
        .values_list("text", flat=True)
    )
