"""The figures counted again straight from the tasks tables, in the plainest way (every task,
every day): what the analytics tests hold the aggregates to. It shares only the definitions
with tasks/analytics (the lead-time buckets and their quantile)."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from tasks.analytics.figures import lead_bucket, quantile
from tasks.planning.models import Assignment, Task, TaskChange
from tasks.planning.services import priority_name

OPEN = {"pending", "in_progress"}


def _deadline(task: Any) -> datetime | None:
    if task.due_at is not None:
        return task.due_at
    if task.due_date is not None:
        return datetime.combine(task.due_date + timedelta(days=1), time(0), tzinfo=UTC)
    return None


def recount(
    *, room_ids: list[UUID], user_id: UUID | None, start: date, end: date, now: datetime
) -> dict[str, Any]:
    """The figures of `room_ids` (user_id None: the whole rooms; else that person's)."""
    tasks = list(Task.objects.filter(room_id__in=room_ids))
    assignees: dict[UUID, set[UUID]] = defaultdict(set)
    for task_id, person in Assignment.objects.filter(task__in=tasks).values_list(
        "task_id", "user_id"
    ):
        assignees[task_id].add(person)
    timeline: dict[UUID, list[tuple[datetime, str]]] = defaultdict(list)
    for change in TaskChange.objects.filter(
        task__in=tasks, field__in=["created", "status"]
    ).order_by("created_at", "id"):
        after: Any = change.after
        status = after["status"] if change.field == "created" else after
        timeline[change.task_id].append((change.created_at, str(status)))

    moments = {task_id: [at for at, _status in line] for task_id, line in timeline.items()}

    def status_at(task: Any, moment: datetime) -> str | None:
        """The last status the history gave the task before `moment`."""
        seen = bisect_left(moments.get(task.id, []), moment)
        return timeline[task.id][seen - 1][1] if seen else None

    mine = (lambda t: True) if user_id is None else (lambda t: user_id in assignees[t.id])
    days = []
    created_total = completed_total = 0
    lead: dict[int, int] = defaultdict(int)
    exact: list[float] = []
    created_on: dict[date, int] = defaultdict(int)
    done_on: dict[date, list[Any]] = defaultdict(list)
    for t in tasks:
        if user_id is None or t.creator_id == user_id:
            created_on[t.created_at.astimezone(UTC).date()] += 1
        if t.status == "completed" and (user_id is None or t.completed_by_id == user_id):
            assert t.completed_at is not None
            done_on[t.completed_at.astimezone(UTC).date()].append(t)
    day = start
    while day <= end:
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        created = created_on[day]
        done = done_on[day]
        for t in done:
            seconds = (t.completed_at - t.created_at).total_seconds()
            lead[lead_bucket(seconds)] += 1
            exact.append(seconds)
        by_status = {"pending": 0, "in_progress": 0, "completed": 0}
        overdue = 0
        for t in tasks:
            if not mine(t):
                continue
            status = status_at(t, day_end)
            if status is None:
                continue
            by_status[status] += 1
            deadline = _deadline(t)
            if status in OPEN and deadline is not None and deadline < day_end:
                overdue += 1
        created_total += created
        completed_total += len(done)
        days.append(
            {
                "day": day.isoformat(),
                "created": created,
                "completed": len(done),
                "open": by_status["pending"] + by_status["in_progress"],
                "overdue": overdue,
                "by_status": by_status,
            }
        )
        day += timedelta(days=1)
    start_moment = datetime.combine(start, time(0), tzinfo=UTC)
    open_at_start = sum(1 for t in tasks if mine(t) and status_at(t, start_moment) in OPEN)
    available = open_at_start + created_total
    open_now = [t for t in tasks if mine(t) and t.status in OPEN]
    by_priority = {p: 0 for p in ("none", "low", "medium", "high", "urgent")}
    for t in open_now:
        by_priority[priority_name(t.priority)] += 1
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "created": created_total,
        "completed": completed_total,
        "completion_rate": round(completed_total / available, 4) if available else None,
        "lead_time": {
            "count": len(exact),
            "median_seconds": quantile(lead, 0.5),
            "p90_seconds": quantile(lead, 0.9),
        },
        "now": {
            "open": len(open_now),
            "overdue": len([t for t in open_now if (_deadline(t) or now) < now]),
            "open_by_priority": by_priority,
        },
        "days": days,
        "_exact_lead_times": sorted(exact),
    }
