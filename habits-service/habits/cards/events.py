"""auth-service's account events, as they concern cards: a deleted account's collection goes.
Found by the kit's handler autodiscovery (`run_events`)."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from habits.cards.services import user_deleted


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    """Decks, notes, cards, reviews and settings go. Running it twice changes nothing."""
    user_deleted(user_id=UUID(str(event.key)))
