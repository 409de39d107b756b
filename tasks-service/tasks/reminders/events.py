"""A person's zone became known or moved (`auth.user.registered` / `.updated` with
`time_zone`): their reminders follow. Runs after the kit's UserRef handler (the kit's app comes
first), so the new zone is already on the UserRef."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from tasks.reminders import scheduling


@event_handler("auth.user.registered", "auth.user.updated")
def on_account_updated(event: Event) -> None:
    if "time_zone" not in event.data:
        return
    try:
        user_id = UUID(str(event.key))
    except ValueError:
        return
    scheduling.reschedule_person(user_id=user_id)
