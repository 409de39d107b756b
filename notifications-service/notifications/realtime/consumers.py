"""The user's websocket at `/ws/`.

Authentication, without a long-lived token in the URL:
- `/ws/?ticket=<ticket>`: a single-use ticket from `POST /api/notifications/ws-ticket/`
  (valid `NOTIFICATIONS_WS_TICKET_TTL_SECONDS`, 30 s by default); nginx does not log query strings
  of `/ws/`.
- or subprotocols `["cotask.bearer", <access token>]` (a header, never logged) for clients that
  can set them.
A missing, used, expired or bad credential, or a banned account, refuses the handshake (HTTP 403).

Messages (server → client), each with `cursor` (the per-user sequence, monotonic):
- `hello` {user, cursor, heartbeat}: on connect; `cursor` is the newest sequence now.
- `notification` {cursor, notification}: new or regrouped notification, in cursor order.
- `read` / `deleted` {ids, all, unread_count, cursor}: another device changed read state.
- `heartbeat` {cursor}: every `NOTIFICATIONS_WS_HEARTBEAT_SECONDS`.
- `pong` {cursor}: answer to the client's `ping`.
- `resync` {cursor}: more was missed than one replay sends; reload the list over REST.
- `error` {code, message}.
Client → server: `{"type": "ping"}`, `{"type": "resume", "cursor": N}` (same as `?cursor=N`).

Replay: with `?cursor=N` (or `resume`) the server sends every notification with a cursor above N,
oldest first, then live ones; a live message at or below what was already sent is dropped, and a
gap (a live message from a process that committed later) triggers a read from the database, so
the client sees each notification once, in order.

Close codes: 4400 bad cursor, 4403 the account was banned or deleted while connected.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from cotask_common.security.authentication import authenticate_token
from cotask_common.users.selectors import restriction_for
from notifications.realtime.push import user_group

logger = logging.getLogger("cotask.notifications")

BEARER_SUBPROTOCOL = "cotask.bearer"
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _authenticate_ticket(ticket: str) -> Any:
    from notifications.inbox.services import redeem_ws_ticket

    user = redeem_ws_ticket(ticket=ticket)
    if user is None:
        return None
    restriction = restriction_for(user_id=user.id)
    if restriction is not None and (restriction.deleted or restriction.is_banned_now()):
        return None
    return user


def _replay(user_id: Any, cursor: int, limit: int) -> list[dict[str, Any]]:
    from notifications.inbox import selectors

    return [
        selectors.push_message(notification=n)
        for n in selectors.missed_since(user_id=user_id, cursor=cursor, limit=limit)
    ]


def _current_cursor(user_id: Any) -> int:
    from notifications.inbox import selectors

    return selectors.current_cursor(user_id=user_id)


def _parse_cursor(value: Any) -> int | None:
    try:
        cursor = int(value)
    except (TypeError, ValueError):
        return None
    return cursor if cursor >= 0 else None


class UserSocketConsumer(AsyncWebsocketConsumer):
    user: Any = None
    group: str | None = None
    sent_cursor = 0
    heartbeat_task: asyncio.Task | None = None

    async def connect(self) -> None:
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        protocols = self.scope.get("subprotocols") or []
        subprotocol = None
        if "ticket" in query:
            self.user = await database_sync_to_async(_authenticate_ticket)(query["ticket"][0])
        elif len(protocols) == 2 and protocols[0] == BEARER_SUBPROTOCOL:
            subprotocol = BEARER_SUBPROTOCOL
            try:
                self.user = await database_sync_to_async(authenticate_token)(protocols[1])
            except Exception:  # TokenError, UserBanned: refused either way
                self.user = None
        if self.user is None:
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        self.group = user_group(self.user.id)
        # Join first, then read the cursor: nothing committed in between can be missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=subprotocol)
        current = await database_sync_to_async(_current_cursor)(self.user.id)
        if "cursor" in query:
            cursor = _parse_cursor(query["cursor"][0])
            if cursor is None:
                await self._error_close("cursor", "cursor must be a non-negative integer")
                return
            await self.send_json(self._hello(current))
            self.sent_cursor = cursor
            await self._replay_from(cursor)
        else:
            self.sent_cursor = current
            await self.send_json(self._hello(current))
        self.heartbeat_task = asyncio.create_task(self._heartbeat())

    def _hello(self, current: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "user": str(self.user.id),
            "cursor": current,
            "heartbeat": settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS,
        }

    async def disconnect(self, code: int) -> None:
        if self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:  # Redis busy (a mass disconnect): membership expires by itself
                logger.debug("group_discard failed", exc_info=True)

    async def _heartbeat(self) -> None:
        interval = settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS
        try:
            while True:
                await asyncio.sleep(interval)
                await self.send_json({"type": "heartbeat", "cursor": self.sent_cursor})
        except Exception:  # the client went away between beats; disconnect() cleans up
            return

    async def _replay_from(self, cursor: int) -> None:
        limit = settings.NOTIFICATIONS_WS_REPLAY_LIMIT
        messages = await database_sync_to_async(_replay)(self.user.id, cursor, limit + 1)
        if len(messages) > limit:
            self.sent_cursor = await database_sync_to_async(_current_cursor)(self.user.id)
            await self.send_json({"type": "resync", "cursor": self.sent_cursor})
            return
        for message in messages:
            if message["cursor"] > self.sent_cursor:
                await self.send_json(message)
                self.sent_cursor = message["cursor"]

    async def _error_close(self, field: str, message: str) -> None:
        await self.send_json(
            {"type": "error", "code": "invalid", "field": field, "message": message}
        )
        await self.close(code=CLOSE_BAD_REQUEST)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            await self.send_json({"type": "error", "code": "invalid_json", "message": "Not JSON."})
            return
        if not isinstance(message, dict):
            message = {}
        kind = message.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong", "cursor": self.sent_cursor})
        elif kind == "resume":
            cursor = _parse_cursor(message.get("cursor"))
            if cursor is None:
                await self.send_json(
                    {
                        "type": "error",
                        "code": "invalid",
                        "field": "cursor",
                        "message": "cursor must be a non-negative integer",
                    }
                )
                return
            self.sent_cursor = cursor  # the client says what it has; send all after it
            await self._replay_from(cursor)
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_type",
                    "message": "type must be 'ping' or 'resume'.",
                }
            )

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without closing stale database connections (a hop to a worker
        thread) before every message: this consumer reaches the database only through
        database_sync_to_async, which does that itself. The hop was about a third of the CPU
        a pushed frame cost."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # -- channel layer messages ---------------------------------------------------------------

    async def deliver(self, event: dict[str, Any]) -> None:
        message = event["message"]
        if message.get("type") != "notification":
            await self.send_json({**message, "cursor": max(message["cursor"], self.sent_cursor)})
            return
        cursor = message["cursor"]
        if cursor <= self.sent_cursor:
            return  # already sent (by a replay)
        if cursor > self.sent_cursor + 1:
            # Something in between may be in flight or was regrouped: the database decides.
            await self._replay_from(self.sent_cursor)
            return
        await self.send_json(message)
        self.sent_cursor = cursor

    async def force_close(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "closing", "reason": event.get("reason", "")})
        await self.close(code=event.get("code", CLOSE_FORBIDDEN))

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))
