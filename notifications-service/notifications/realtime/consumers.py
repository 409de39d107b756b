"""The user's websocket at `/ws/`.

Authentication, without a long-lived token in the URL:
- `/ws/?ticket=<ticket>`: a single-use ticket from `POST /api/notifications/ws-ticket/`
  (valid `NOTIFICATIONS_WS_TICKET_TTL_SECONDS`, 30 s by default); nginx does not log query strings
  of `/ws/`.
- or subprotocols `["cotask.bearer", <access token>]` (a header, never logged) for clients that
  can set them.
A missing, used, expired or bad credential, or a banned account, refuses the handshake (HTTP 403).

A socket belongs to the auth session (`sid`) of the access token that opened it (directly, or
through the ticket it asked for) and lives no longer than that token: at its `exp` the server
sends `closing` {reason: "token_expired"} and closes with 4401, unless the client sent
`{"type": "reauth", "token": <a newer access token of the same session>}` before (answered with
`reauthed` {expires_at}). When auth ends the session (logout, revocation, a reused refresh token)
its sockets close with 4401; when the account changes (password change or reset, ban, deletion,
deactivation) all of the account's sockets close (4401, or 4403 for ban, deletion and
deactivation), and tickets and tokens from before the change open none.

Messages (server → client), each with `cursor` (the per-user sequence, monotonic):
- `hello` {user, cursor, heartbeat[, expires_at]}: on connect; `cursor` is the newest sequence
  now; `expires_at` (ISO 8601) when the socket closes unless the client sends `reauth`.
- `notification` {cursor, notification}: new or regrouped notification, in cursor order.
- `read` / `deleted` {ids, all, unread_count, cursor}: another device changed read state.
- `heartbeat` {cursor}: every `NOTIFICATIONS_WS_HEARTBEAT_SECONDS`.
- `pong` {cursor}: answer to the client's `ping`.
- `resync` {cursor}: more was missed than one replay sends; reload the list over REST.
- `error` {code, message}.
- `closing` {reason, message}: the server is about to close; `message` in the person's language.
- `chat` {cursor, event, conversation_id, data}: social-service's chat (`event`: message_created,
  message_edited, message_deleted, reaction_changed, read, members_changed; `data` as in
  docs/events.md without `member_ids` / `recipient_ids`), in cursor order with notifications.
- `typing` {conversation_id, user_id}: another member is typing (ephemeral, never replayed).
Client → server: `{"type": "ping"}`, `{"type": "resume", "cursor": N}` (same as `?cursor=N`),
`{"type": "reauth", "token": T}`, `{"type": "typing", "conversation_id": C}` (members only;
anyone else gets `error` {code: not_found}, as for a conversation that does not exist).

Replay: with `?cursor=N` (or `resume`) the server sends every notification with a cursor above N,
oldest first, then live ones; a live message at or below what was already sent is dropped, and a
gap (a live message from a process that committed later) triggers a read from the database, so
the client sees each notification once, in order.

Close codes: 4400 bad cursor; 4401 the session ended or the token expired (get a new ticket);
4403 the account was banned, deleted or deactivated while connected; 1013 (try again later) the
channel layer's Redis was lost: `closing` {reason: "resume"} first, then reconnect with the
cursor (replay loses nothing). A handshake while it is away is answered 503 in the kit's error
shape with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation

from cotask_common import outages
from cotask_common.errors import unavailable_body
from cotask_common.i18n import DEFAULT_LANGUAGE, best_accepted_language
from cotask_common.security.authentication import authenticate_token
from cotask_common.users.selectors import restriction_for
from notifications.realtime.push import session_group, user_group
from notifications.realtime.selectors import claim_time, normalize_session_id, socket_refused
from notifications.realtime.texts import close_text, socket_language, text

logger = logging.getLogger("cotask.notifications")

BEARER_SUBPROTOCOL = "cotask.bearer"
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
# Frames in the per-user cursor sequence (replayed on reconnect); others pass straight through.
SEQUENCED = frozenset({"notification", "chat"})


@dataclass(frozen=True)
class Credential:
    """Who opened the socket, with what: the session (`sid`), when the token that stands behind
    it was made and when it expires."""

    user: Any
    session_id: str
    issued_at: datetime | None
    expires_at: datetime | None
    # The token's `lang` claim (the account's saved language when it was signed), if any.
    language: str | None = None


def _authenticate_ticket(ticket: str) -> Credential | None:
    from notifications.inbox.services import redeem_ws_ticket

    user = redeem_ws_ticket(ticket=ticket)
    if user is None:
        return None
    restriction = restriction_for(user_id=user.id)
    if restriction is not None and (restriction.deleted or restriction.is_banned_now()):
        return None
    return Credential(
        user=user,
        session_id=user.session_id,
        issued_at=user.issued_at,
        expires_at=user.access_expires_at,
        language=user.language or None,
    )


def _authenticate_bearer(token: str) -> Credential | None:
    try:
        user = authenticate_token(token)
    except Exception:  # TokenError, UserBanned: refused either way
        return None
    issued_at = claim_time(user.claims.get("iat"), whole_second=True)
    session_id = normalize_session_id(user.session_id) if user.session_id else ""
    if socket_refused(user_id=user.id, session_id=session_id, issued_at=issued_at):
        return None
    return Credential(
        user=user,
        session_id=session_id,
        issued_at=issued_at,
        expires_at=claim_time(user.claims.get("exp")),
        language=user.claims.get("lang"),
    )


def _after_join(credential: Credential, accept_language: str) -> tuple[bool, str, int]:
    """Read once the socket is in its groups (so an end of its session either shows here or
    reaches it as a message): refused?, the connection's language, the current cursor."""
    from notifications.inbox import selectors

    user_id = credential.user.id
    refused = socket_refused(
        user_id=user_id, session_id=credential.session_id, issued_at=credential.issued_at
    )
    language = socket_language(
        claimed=credential.language, user_id=user_id, accept_language=accept_language
    )
    return refused, language, selectors.current_cursor(user_id=user_id)


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _replay(user_id: Any, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Notifications and chat frames after `cursor` (one sequence), oldest first."""
    from notifications.chat.selectors import replay_since

    return replay_since(user_id=user_id, cursor=cursor, limit=limit)


def _typing_audience(conversation_id: Any, user_id: Any) -> list[Any] | None:
    """The other members of the conversation if `user_id` is an active member of it (as
    social-service's `social.chat.members_changed` said), None otherwise."""
    from notifications.chat import selectors

    members = selectors.active_members(conversation_id=conversation_id)
    if user_id not in members:
        return None
    return [member for member in members if member != user_id]


def _presence(action: str, channel_name: str, user_id: Any = None) -> None:
    from notifications.chat import services

    if action == "open":
        services.socket_opened(channel_name=channel_name, user_id=user_id)
    elif action == "seen":
        services.socket_seen(channel_name=channel_name)
    else:
        services.socket_closed(channel_name=channel_name)


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
    session_group: str | None = None
    session_id = ""
    expires_at: datetime | None = None
    language = "en"
    sent_cursor = 0
    heartbeat_task: asyncio.Task | None = None
    expiry_task: asyncio.Task | None = None
    # conversation id -> when this socket last relayed `typing` for it (monotonic seconds)
    typing_sent: dict[str, float] | None = None
    accepted = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The consumer's life; a Redis (the channel layer, the tickets) that cannot be reached
        ends it with a clear answer instead of an internal error: before the handshake a 503,
        after it `closing` {reason: "resume"} and 1013, so the client resumes by cursor."""
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if outages.unavailable_dependency(exc) != outages.REDIS:
                raise
            logger.warning("redis unavailable: %s: %s; socket told to resume", type(exc), exc)
            await self._channel_layer_lost(scope)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol=subprotocol, headers=headers)
        self.accepted = True

    async def _channel_layer_lost(self, scope: dict[str, Any]) -> None:
        if self.accepted:
            await self._close_because("resume", CLOSE_TRY_AGAIN)
            try:
                await self.disconnect(CLOSE_TRY_AGAIN)
            except Exception:  # cleanup only: group memberships expire by themselves
                logger.debug("disconnect after a lost channel layer failed", exc_info=True)
        elif "websocket.http.response" in (scope.get("extensions") or {}):
            accepted = best_accepted_language(_header(scope, b"accept-language"))
            with translation.override(accepted or DEFAULT_LANGUAGE):
                body = json.dumps(unavailable_body(None)).encode()
            await self.base_send(
                {
                    "type": "websocket.http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", str(outages.RETRY_AFTER_SECONDS).encode()),
                    ],
                }
            )
            await self.base_send({"type": "websocket.http.response.body", "body": body})
        else:
            await self.close()

    async def connect(self) -> None:
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        protocols = self.scope.get("subprotocols") or []
        subprotocol = None
        credential = None
        if "ticket" in query:
            credential = await database_sync_to_async(_authenticate_ticket)(query["ticket"][0])
        elif len(protocols) == 2 and protocols[0] == BEARER_SUBPROTOCOL:
            subprotocol = BEARER_SUBPROTOCOL
            credential = await database_sync_to_async(_authenticate_bearer)(protocols[1])
        if credential is None:
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        self.user, self.session_id = credential.user, credential.session_id
        self.expires_at = credential.expires_at
        self.group = user_group(self.user.id)
        # Join first, then read the cursor (and whether the session still stands): nothing
        # committed in between can be missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        if self.session_id:
            self.session_group = session_group(self.session_id)
            await self.channel_layer.group_add(self.session_group, self.channel_name)
        refused, self.language, current = await database_sync_to_async(_after_join)(
            credential, _header(self.scope, b"accept-language")
        )
        if refused:
            await self.close()
            return
        await self.accept(subprotocol=subprotocol)
        await self._presence("open")
        if "cursor" in query:
            cursor = _parse_cursor(query["cursor"][0])
            if cursor is None:
                await self._error_close("cursor", "bad_cursor")
                return
            await self.send_json(self._hello(current))
            self.sent_cursor = cursor
            await self._replay_from(cursor)
        else:
            self.sent_cursor = current
            await self.send_json(self._hello(current))
        self.heartbeat_task = asyncio.create_task(self._heartbeat())
        self._watch_expiry()

    def _hello(self, current: int) -> dict[str, Any]:
        hello = {
            "type": "hello",
            "user": str(self.user.id),
            "cursor": current,
            "heartbeat": settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS,
        }
        if self.expires_at is not None:
            hello["expires_at"] = self.expires_at.isoformat()
        return hello

    async def _presence(self, action: str) -> None:
        """Mark the socket open, seen or closed (chat's offline notifications read it); a
        failure is logged, never fatal: at worst someone online also gets a notification."""
        try:
            user_id = self.user.id if self.user is not None else None
            await database_sync_to_async(_presence)(action, self.channel_name, user_id)
        except Exception:
            logger.debug("presence update failed", exc_info=True)

    async def disconnect(self, code: int) -> None:
        for task in (self.heartbeat_task, self.expiry_task):
            if task is not None:
                task.cancel()
        if self.user is not None:
            await self._presence("closed")
        for group in (self.group, self.session_group):
            if group is None:
                continue
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis busy (a mass disconnect): membership expires by itself
                logger.debug("group_discard failed", exc_info=True)

    def _watch_expiry(self) -> None:
        if self.expiry_task is not None:
            self.expiry_task.cancel()
        if self.expires_at is not None:
            self.expiry_task = asyncio.create_task(self._expire(self.expires_at))

    async def _expire(self, at: datetime) -> None:
        """The token behind this socket expired and no newer one came (`reauth`): close."""
        await asyncio.sleep(max(0.0, at.timestamp() - time.time()))
        await self._close_because("token_expired", CLOSE_UNAUTHENTICATED)

    async def _close_because(self, reason: str, code: int) -> None:
        try:
            await self.send_json(
                {
                    "type": "closing",
                    "reason": reason,
                    "message": close_text(reason, language=self.language),
                }
            )
            await self.close(code=code)
        except Exception:  # already gone
            logger.debug("close failed", exc_info=True)

    async def _reauth(self, token: Any) -> None:
        credential = (
            await database_sync_to_async(_authenticate_bearer)(token)
            if isinstance(token, str) and token
            else None
        )
        if (
            credential is None
            or credential.user.id != self.user.id
            or credential.session_id != self.session_id
        ):
            await self.send_json(
                {
                    "type": "error",
                    "code": "reauth_refused",
                    "field": "token",
                    "message": text("reauth_refused", language=self.language),
                }
            )
            return
        if credential.expires_at is not None and (
            self.expires_at is None or credential.expires_at > self.expires_at
        ):
            self.expires_at = credential.expires_at
            self._watch_expiry()
        await self.send_json(
            {
                "type": "reauthed",
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            }
        )

    async def _heartbeat(self) -> None:
        interval = settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS
        try:
            while True:
                await asyncio.sleep(interval)
                await self.send_json({"type": "heartbeat", "cursor": self.sent_cursor})
                await self._presence("seen")
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

    async def _error_close(self, field: str, text_key: str) -> None:
        """An `error` frame (its message in the connection's language), then close (4400)."""
        message = text(text_key, language=self.language)
        await self.send_json(
            {"type": "error", "code": "invalid", "field": field, "message": message}
        )
        await self.close(code=CLOSE_BAD_REQUEST)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            await self.send_json(
                {
                    "type": "error",
                    "code": "invalid_json",
                    "message": text("invalid_json", language=self.language),
                }
            )
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
                        "message": text("bad_cursor", language=self.language),
                    }
                )
                return
            self.sent_cursor = cursor  # the client says what it has; send all after it
            await self._replay_from(cursor)
        elif kind == "reauth":
            await self._reauth(message.get("token"))
        elif kind == "typing":
            await self._typing(message.get("conversation_id"))
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_type",
                    "message": text("unknown_type", language=self.language),
                }
            )

    async def _typing(self, raw: Any) -> None:
        """Relay "I am typing" to the conversation's other members' sockets: ephemeral (never
        stored, not in the cursor sequence, not replayed), only from an active member, at most
        one per `NOTIFICATIONS_CHAT_TYPING_INTERVAL_SECONDS` per conversation and socket."""
        try:
            conversation_id = UUID(str(raw))
        except ValueError:
            await self.send_json(
                {
                    "type": "error",
                    "code": "invalid",
                    "field": "conversation_id",
                    "message": text("bad_conversation", language=self.language),
                }
            )
            return
        key, now = str(conversation_id), time.monotonic()
        if self.typing_sent is None:
            self.typing_sent = {}
        last = self.typing_sent.get(key)
        if last is not None and now - last < settings.NOTIFICATIONS_CHAT_TYPING_INTERVAL_SECONDS:
            return
        audience = await database_sync_to_async(_typing_audience)(conversation_id, self.user.id)
        if audience is None:
            # Not a member: the same answer as for a conversation that does not exist.
            await self.send_json(
                {
                    "type": "error",
                    "code": "not_found",
                    "field": "conversation_id",
                    "message": text("bad_conversation", language=self.language),
                }
            )
            return
        self.typing_sent[key] = now
        frame = {
            "type": "typing",
            "conversation_id": key,
            "user_id": str(self.user.id),
            "cursor": 0,
        }
        envelope = {"type": "deliver", "message": frame}  # i18n-ok: a frame, not a text
        for member in audience:
            try:
                await self.channel_layer.group_send(user_group(member), envelope)
            except Exception:  # ephemeral: a lost typing frame is no loss
                logger.debug("typing relay failed", exc_info=True)

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
        if message.get("type") not in SEQUENCED:
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

    async def deliver_many(self, event: dict[str, Any]) -> None:
        """One layer message for many people (push.send_to_users): this socket's person's
        cursor, if they are among them. The message is shared by every socket of the process:
        never changed here."""
        cursor = event["cursors"].get(str(self.user.id)) if self.user is not None else None
        if cursor is not None:
            await self.deliver({"message": {**event["message"], "cursor": cursor}})

    async def force_close(self, event: dict[str, Any]) -> None:
        await self._close_because(event.get("reason", ""), event.get("code", CLOSE_FORBIDDEN))

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))
