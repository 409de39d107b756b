"""`auth.user.deleted` for chat: the person's messages stay, from "a deleted account", their
text removed (moderation's handler erases the rest of the person in the same transaction)."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from social.chat.services import erase_user_messages


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    erase_user_messages(user_id=UUID(str(event.key)))
