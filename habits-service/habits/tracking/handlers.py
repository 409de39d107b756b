"""The owner's zone became known or moved (`auth.user.registered` / `.updated` with
`time_zone`): their reminders and day closes follow. Runs after the kit's UserRef handler (the
kit's app comes first), so the new zone is already on the UserRef; a stale event the kit
ignored leaves the zone as it was, and rescheduling from it changes nothing."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from habits.tracking import reminders


@event_handler("auth.user.registered", "auth.user.updated")
def on_account_updated(event: Event) -> None:
    if "time_zone" not in event.data:
        return
    try:
        owner_id = UUID(str(event.key))
    except ValueError:
        return
    reminders.reschedule_owner(owner_id=owner_id)
