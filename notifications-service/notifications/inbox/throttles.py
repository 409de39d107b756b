"""A per-account limit on websocket tickets: each one is a database row and a handshake's worth
of work, and a client that mints them in a loop (a bug, or someone with a stolen token) must not
flood the table. Counted in the shared cache (Redis in production, so every web process sees the
same counts; process memory in the embedded default, which runs one ASGI process). While Redis
cannot be reached each process counts for itself, as the kit's limits do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from cotask_common.throttling import CountsInProcessWhileRedisIsAway


class WsTicketThrottle(CountsInProcessWhileRedisIsAway, SimpleRateThrottle):
    scope = "ws_ticket"

    def get_rate(self) -> str | None:
        # "<count>/<s|m|h|d>" (DRF's format); empty switches the limit off.
        return settings.NOTIFICATIONS_WS_TICKET_RATE or None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user_id = getattr(request.user, "id", None)
        return f"cotask:throttle:ws_ticket:{user_id}" if user_id else None
