"""Fixtures of the agenda tests: the planning tests' permission cast, a frozen clock, tasks
made through the planning service, and habits' events delivered through the consumer's own
idempotent path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tasks.analytics.tests.conftest import clock  # noqa: F401
from tasks.planning.tests.conftest import cast, join, make_room, warm  # noqa: F401

TODAY = date(2025, 3, 3)  # a Monday; the clock says 08:00 UTC


@pytest.fixture(autouse=True)
def _settings(settings: Any, clock: Any) -> None:  # noqa: F811
    clock.now = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    settings.AGENDA_DAY_MINUTES = 240
    settings.AGENDA_TASK_MINUTES = 30
    settings.AGENDA_HABIT_MINUTES = 10
    settings.AGENDA_CARD_SECONDS = 10


@pytest.fixture
def make_task() -> Callable[..., Any]:
    """`make_task(actor, room, title, due=None, priority=0, assignees=(), estimate=None)`."""
    from tasks.planning.services import create_task

    def factory(
        actor: Any,
        room: Any,
        title: str = "Task",
        *,
        due: Any = None,
        priority: int = 0,
        assignees: tuple[Any, ...] = (),
        estimate: int | None = None,
    ) -> Any:
        return create_task(
            actor=actor,
            room_id=room.id,
            title=title,
            due=due,
            priority=priority,
            estimate_minutes=estimate,
            assignee_ids=[a.id for a in assignees],
        )

    return factory


@pytest.fixture
def habit_event(clock: Any) -> Callable[..., Any]:  # noqa: F811
    """`habit_event(type, owner, **data)`: a habits-service event (`make_event`), not yet
    delivered; `at` sets its `occurred_at` (to test order)."""
    from cotask_common.events.testing import make_event

    def factory(type: str, owner: Any, *, at: datetime | None = None, **data: Any) -> Any:
        data = {"owner_id": str(owner.id), **data}
        now = clock.now
        clock.now = at or now
        try:
            return make_event(type=type, key=data.get("habit_id") or owner.id, data=data)
        finally:
            clock.now = now

    return factory


def habit_data(habit_id: Any, name: str = "Read", kind: str = "daily", **schedule: Any) -> dict:
    return {
        "habit_id": str(habit_id),
        "habit_name": name,
        "schedule": {
            "kind": kind,
            "weekdays": schedule.get("weekdays", []),
            "times": schedule.get("times", 1),
            "interval_days": schedule.get("interval_days", 1),
        },
        "start_date": str(schedule.get("start_date", TODAY - timedelta(days=30))),
        "time_zone": "UTC",
        "archived": schedule.get("archived", False),
    }


@pytest.fixture
def deliver() -> Callable[..., bool]:
    """`deliver(event)`: through the consumer's idempotent path (True: handled)."""
    from cotask_common.events.testing import handle_event

    return handle_event
