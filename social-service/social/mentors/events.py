"""`auth.user.deleted` for mentors: the person's reviews and mentor profile go, and the
aggregates follow (social.moderation.events erases the rest of the person)."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from social.mentors.services import forget_user


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    forget_user(user_id=UUID(str(event.key)))
