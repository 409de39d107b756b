"""auth-service's account events, as they concern card import: a deleted account's import jobs
(and any file still waiting) go with the rest of its collection (habits.cards.events)."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from habits.card_transfer.services import user_deleted


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    """Running it twice changes nothing the second time."""
    user_deleted(user_id=UUID(str(event.key)))
