"""Handlers for auth-service's account events: keep UserRef current in every service."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

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
    if event.type == "auth.user.deleted":
        # Old events about the person (their names, their likes) leave this service's outbox
        # now; after commit, so a rolled-back handler forgets nothing.
        from cotask_common.tasks import forget_user_events

        user_id = str(event.key)
        transaction.on_commit(lambda: forget_user_events.delay(user_id))
