"""The events progress posts are made from (tasks-service's and habits-service's), and the
account's language (auth-service's) they are written in."""

from __future__ import annotations

import uuid

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from social.progress import services


@event_handler("tasks.task.completed")
def on_task_completed(event: Event) -> None:
    services.task_completed(event_id=event.id, data=event.data)


@event_handler("habits.streak.milestone")
def on_streak_milestone(event: Event) -> None:
    services.streak_milestone(event_id=event.id, data=event.data)


@event_handler("habits.cards.review_summary")
def on_review_summary(event: Event) -> None:
    services.review_summary(event_id=event.id, data=event.data)


@event_handler("tasks.plan.accepted")
def on_plan_accepted(event: Event) -> None:
    services.plan_accepted(event_id=event.id, data=event.data)


@event_handler("tasks.room.milestone")
def on_room_milestone(event: Event) -> None:
    services.room_milestone(event_id=event.id, data=event.data)


@event_handler("auth.user.registered", "auth.user.updated")
def on_account(event: Event) -> None:
    services.language_set(
        user_id=uuid.UUID(str(event.key)),
        language=event.data.get("language"),
        version=event.occurred_at,
    )
