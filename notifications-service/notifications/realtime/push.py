"""Sending to a user's open sockets through the channel layer (from sync code, after commit).

A failed push is logged, never raised: the notification is already stored, and the client gets
it by cursor when it reconnects.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger("cotask.notifications")


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


def _group_send(user_id: UUID | str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), payload)
    except Exception:  # the layer (Redis) is down: the database still has everything
        logger.warning("realtime push failed", extra={"user": str(user_id)}, exc_info=True)


def send_to_user(*, user_id: UUID | str, message: dict[str, Any]) -> None:
    _group_send(user_id, {"type": "deliver", "message": message})


def close_user_sockets(*, user_id: UUID | str, code: int, reason: str = "") -> None:
    _group_send(user_id, {"type": "force.close", "code": code, "reason": reason})
