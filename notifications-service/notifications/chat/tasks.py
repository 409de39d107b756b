from __future__ import annotations

from celery import shared_task
from django.conf import settings

from notifications.chat import services


@shared_task(name="notifications.cleanup_chat")
def cleanup_chat() -> int:
    """Chat frames past their replay window, and presence rows of sockets that vanished."""
    return (
        services.cleanup_frames(older_than_hours=settings.NOTIFICATIONS_CHAT_FRAME_RETENTION_HOURS)
        + services.cleanup_presence()
    )


__all__ = ["cleanup_chat"]
