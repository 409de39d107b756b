"""auth-service's account events, as they concern habits-service. The shared UserRef handler
(cotask_common.users) runs first for the same event, in the same transaction (it keeps the
account's time zone current too); `run_events` finds this module through the kit's handler
autodiscovery."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from habits.tracking.services import user_deleted


@event_handler("auth.user.deleted")
def on_deleted(event: Event) -> None:
    """The person's habits go with their check-ins, pauses and reminders, each announced with
    `habits.habit.deleted`. Running it twice changes nothing the second time."""
    user_deleted(user_id=UUID(str(event.key)))
