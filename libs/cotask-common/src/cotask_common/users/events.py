"""Handlers for auth-service's account events: keep UserRef current in every service."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from cotask_common.users.selectors import invalidate_restrictions
from cotask_common.users.services import apply_user_event

USER_EVENT_TYPES = (
    "auth.user.registered",
    "auth.user.updated",
    "auth.user.email_verified",
    "auth.user.role_changed",
    "auth.user.banned",
    "auth.user.unbanned",
    "auth.user.deactivated",
    "auth.user.reactivated",
    "auth.user.deleted",
)


@event_handler(*USER_EVENT_TYPES)
def on_user_event(event: Event) -> None:
    apply_user_event(
        event_type=event.type,
        user_id=UUID(str(event.key)),
        data=event.data,
        occurred_at=event.occurred_at,
    )
    invalidate_restrictions()
