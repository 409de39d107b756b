"""habits-service's events as the agenda keeps them, and tasks-service's own completed tasks
(tasks/agenda/services.py). The consumer runs each handler once per event id; the services
skip an event older than the row it would change, so order does not matter."""

from __future__ import annotations

from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from tasks.agenda import services


@event_handler("habits.habit.saved")
def on_habit_saved(event: Event) -> None:
    services.habit_saved(event=event)


@event_handler("habits.habit.deleted")
def on_habit_deleted(event: Event) -> None:
    services.habit_deleted(event=event)


@event_handler("habits.checkin.recorded")
def on_checkin_recorded(event: Event) -> None:
    services.checkin_changed(event=event, done=bool(event.data.get("done")))


@event_handler("habits.checkin.undone")
def on_checkin_undone(event: Event) -> None:
    services.checkin_changed(event=event, done=False)


@event_handler("habits.cards.forecast")
def on_cards_forecast(event: Event) -> None:
    services.cards_forecast(event=event)


@event_handler("habits.cards.review_summary")
def on_review_summary(event: Event) -> None:
    services.review_summary(event=event)


@event_handler("tasks.task.completed")
def on_task_completed(event: Event) -> None:
    services.task_completed(task_id=UUID(str(event.data["task_id"])))
