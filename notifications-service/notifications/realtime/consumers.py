"""The user's websocket: authenticated without putting a token in the URL.

The client offers two subprotocols, `cotask.bearer` and the access token itself
(`new WebSocket(url, ["cotask.bearer", token])`); the server accepts `cotask.bearer`. Browsers send
subprotocols in a header, so the token never appears in access logs. (A short-lived REST ticket is
added with the notifications feature.)
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from cotask_common.security.authentication import authenticate_token

BEARER_SUBPROTOCOL = "cotask.bearer"
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


class UserSocketConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        protocols = self.scope.get("subprotocols") or []
        if len(protocols) != 2 or protocols[0] != BEARER_SUBPROTOCOL:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.user = await database_sync_to_async(authenticate_token)(protocols[1])
        except Exception as exc:  # TokenError, UserBanned
            code = (
                CLOSE_FORBIDDEN
                if getattr(exc, "status_code", 401) == 403
                else CLOSE_UNAUTHENTICATED
            )
            await self.close(code=code)
            return
        self.group = user_group(self.user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=BEARER_SUBPROTOCOL)
        await self.send_json({"type": "hello", "user": str(self.user.id)})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            await self.send_json({"type": "error", "code": "invalid_json"})
            return
        if message.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def push(self, event: dict[str, Any]) -> None:
        """Group messages `{"type": "push", "payload": {...}}` go to the client as they are."""
        await self.send_json(event["payload"])

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))
