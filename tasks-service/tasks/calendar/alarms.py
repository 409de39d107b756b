"""The reminders of a feed's tasks, as the reminders app (tasks.reminders) defines them: each
task's offsets (its override, else the person's defaults) and the local time all-day deadlines
remind at. Read for all of a feed's tasks at once (a fixed number of queries).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from uuid import UUID

DEFAULT_ALL_DAY_TIME = time(9, 0)


def offsets_by_task(*, task_ids: Iterable[UUID], user_id: UUID) -> dict[UUID, list[int]]:
    """{task id: minutes before the deadline} for the person `user_id`."""
    try:
        from tasks.reminders import selectors as reminders
    except ImportError:  # the reminders app is not installed: no alarms
        return {}
    ids = list(task_ids)
    bulk = getattr(reminders, "offsets_for_tasks", None)
    if bulk is not None:
        return dict(bulk(task_ids=ids, user_id=user_id))
    return {
        task_id: list(reminders.offsets_for(task_id=task_id, user_id=user_id)) for task_id in ids
    }


def all_day_time(*, user_id: UUID) -> time:
    try:
        from tasks.reminders import selectors as reminders
    except ImportError:
        return DEFAULT_ALL_DAY_TIME
    return reminders.all_day_time_for(user_id=user_id)
