"""auth-service's account events, as they concern tasks-service. The shared UserRef handler
(cotask_common.users) runs first for the same event, in the same transaction; `run_events`
(the outbox relay and the consumer, started by `make run` and docker-compose) finds this module
through the kit's handler autodiscovery.

An account's deletion touches rooms, tasks and comments; it lives here because every one of
those hangs off a room, and `tasks.rooms.services.user_deleted` imports the others lazily."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from tasks.rooms.services import user_deleted


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    """The person leaves every team room (`tasks.room.left`, reason `account_deleted`); rooms
    they owned go to the longest-standing admin (else member, else viewer) or are deleted when
    nobody else is in them; their personal space is deleted; their assignments go; their
    comments become tombstones. Running it twice changes nothing the second time."""
    user_deleted(user_id=UUID(str(event.key)))
