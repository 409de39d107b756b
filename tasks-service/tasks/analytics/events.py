"""tasks-service's own task and room events, as analytics keeps them (tasks/analytics/services.py).

The consumer (`run_events` / `consume_events`) runs each handler once per event id, and a
task's events come in order (its id is the key)."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from tasks.analytics import services


@event_handler(*services.TASK_EVENTS)
def on_task(event: Event) -> None:
    services.apply_task_event(event)


@event_handler("tasks.room.deleted")
def on_room_deleted(event: Event) -> None:
    services.forget_room(room_id=UUID(str(event.data["id"])))
