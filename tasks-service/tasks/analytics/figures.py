"""What one task adds to the aggregate tables, as plain data: the consumer applies the
difference a change makes (new contribution minus old), the rebuild adds every task's. So
live updates and a rebuild give the same rows by construction.

Days are UTC days. A task counts as:
- `created` on the day it was created (the room, and its creator);
- `completed` and `lt:<bucket>` (lead time, created → completed) on the day it was completed,
  while it is completed (the room, and who completed it); reopening takes it back;
- `s:<status>` from the day it entered a status to the day it left it, so the running sum is
  the number in each status at a day's end (the room, and each current assignee);
- `overdue` from the later of the day it became open and the day its deadline passed
  (`deadline` before that day's end) until it stopped being open;
- `p:<priority>` and `due:<day>` in the current counts while it is open.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID

from tasks.analytics.models import ROOM

OPEN = ("pending", "in_progress")
STATUSES = ("pending", "in_progress", "completed")
# The daily metrics that are changes (their running sum is a count at a day's end).
RUNNING = ("s:pending", "s:in_progress", "s:completed", "overdue")
PRIORITIES = ("none", "low", "medium", "high", "urgent")
# Lead-time buckets: under a minute, then 5% wide (a reported median or p90 is the upper end of
# its bucket: at most 5% above the true value).
BUCKET_BASE = 60.0
BUCKET_RATIO = 1.05

DailyKey = tuple[str, UUID, UUID, date, str]
CurrentKey = tuple[str, UUID, UUID, str]


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def deadline_of(*, due_date: date | None, due_at: datetime | None) -> datetime | None:
    """When a deadline passes: the moment, or the start (UTC) of the day after an all-day date."""
    if due_at is not None:
        return due_at
    if due_date is not None:
        return datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=UTC)
    return None


def lead_bucket(seconds: float) -> int:
    if seconds < BUCKET_BASE:
        return 0
    return math.floor(math.log(seconds / BUCKET_BASE) / math.log(BUCKET_RATIO)) + 1


def bucket_upper(bucket: int) -> float:
    """The largest lead time (seconds) a bucket holds."""
    return BUCKET_BASE * BUCKET_RATIO**bucket


def quantile(buckets: dict[int, int], q: float) -> float | None:
    """The nearest-rank quantile `q` of a histogram, as its bucket's upper end (seconds)."""
    return quantiles(buckets, (q,))[0]


def quantiles(buckets: dict[int, int] | list[int], qs: tuple[float, ...]) -> list[float | None]:
    """`quantile` of each of `qs` (ascending), the buckets sorted and walked once. `buckets`
    may also be dense (`counts[bucket]`, as `hot_sql` sums them): then the ranks are found
    by bisecting the running totals, no walk in Python."""
    if isinstance(buckets, list):
        return _dense_quantiles(buckets, qs)
    total = sum(buckets.values())
    if total <= 0:
        return [None] * len(qs)
    ranks = [max(1, math.ceil(q * total)) for q in qs]
    found: list[float | None] = []
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        while len(found) < len(ranks) and seen >= ranks[len(found)]:
            found.append(round(bucket_upper(bucket), 1))
        if len(found) == len(ranks):
            return found
    return found + [None] * (len(ranks) - len(found))  # pragma: no cover - ranks <= total


def _dense_quantiles(counts: list[int], qs: tuple[float, ...]) -> list[float | None]:
    if min(counts, default=0) < 0:  # never in a consistent histogram: walk it as a dict
        return quantiles({bucket: n for bucket, n in enumerate(counts) if n}, qs)
    running = list(accumulate(counts))
    total = running[-1] if running else 0
    if total <= 0:
        return [None] * len(qs)
    # The first bucket whose running total reaches the rank (running totals never decrease).
    return [round(bucket_upper(bisect_left(running, max(1, math.ceil(q * total)))), 1) for q in qs]


def lead_pairs(buckets: dict[int, int]) -> str:
    """A day's lead times as `DayTotals.lead_pairs` keeps them: `bucket,n,bucket,n,…` by
    bucket, zero amounts left out ("" for none)."""
    return ",".join(f"{bucket},{n}" for bucket, n in sorted(buckets.items()) if n)


def lead_buckets(pairs: str) -> dict[int, int]:
    """`lead_pairs` read back: {bucket: n}."""
    values = [int(value) for value in pairs.split(",")] if pairs else []
    return dict(zip(values[0::2], values[1::2], strict=True))


@dataclass
class Fact:
    """What the figures need of a task (the `TaskFact` row, as plain data)."""

    task_id: UUID
    room_id: UUID
    creator_id: UUID | None
    status: str
    priority: str
    assignee_ids: list[UUID]
    created_at: datetime
    completed_at: datetime | None
    completed_by: UUID | None
    deadline: datetime | None
    statuses: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


def contributions(fact: Fact) -> Counter[Any]:
    """The task's share of every aggregate row: `("d", room, user, day, metric)` and
    `("c", room, user, metric)` keys with their amounts (zero amounts left out)."""
    out: Counter[Any] = Counter()
    room = fact.room_id
    created_day = utc_day(fact.created_at)
    for user in (ROOM, fact.creator_id):
        if user is not None:
            out["d", room, user, created_day, "created"] += 1
    if fact.status == "completed" and fact.completed_at is not None:
        day = utc_day(fact.completed_at)
        seconds = max(0.0, (fact.completed_at - fact.created_at).total_seconds())
        bucket = f"lt:{lead_bucket(seconds)}"
        for user in (ROOM, fact.completed_by):
            if user is not None:
                out["d", room, user, day, "completed"] += 1
                out["d", room, user, day, bucket] += 1
    people = [ROOM, *fact.assignee_ids]
    overdue_from = utc_day(fact.deadline) if fact.deadline is not None else None
    for index, (since, status) in enumerate(fact.statuses):
        start = utc_day(since)
        end = utc_day(fact.statuses[index + 1][0]) if index + 1 < len(fact.statuses) else None
        spans = [(start, end, f"s:{status}")]
        if status in OPEN and overdue_from is not None:
            late = max(start, overdue_from)
            if end is None or late < end:
                spans.append((late, end, "overdue"))
        for first, last, metric in spans:
            for user in people:
                out["d", room, user, first, metric] += 1
                if last is not None:
                    out["d", room, user, last, metric] -= 1
    if fact.is_open:
        for user in people:
            out["c", room, user, f"p:{fact.priority}"] += 1
            if fact.deadline is not None:
                out["c", room, user, f"due:{utc_day(fact.deadline).isoformat()}"] += 1
    return Counter({key: n for key, n in out.items() if n})


def difference(before: Counter[Any], after: Counter[Any]) -> dict[Any, int]:
    """after - before, keeping negative amounts, without zeros."""
    keys = set(before) | set(after)
    return {key: after[key] - before[key] for key in keys if after[key] != before[key]}
