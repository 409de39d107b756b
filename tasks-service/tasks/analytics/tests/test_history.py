"""A generated history of 10,000 changes (create, assign, move, complete, reopen, re-deadline,
re-prioritise, delete; random but seeded) through the tasks services, its events delivered
to the analytics consumer (each twice): the figures equal a recount straight from the tasks
tables, and a rebuild from scratch gives the same rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from django.db import transaction

from cotask_common.users.models import UserRef
from tasks.analytics import selectors
from tasks.analytics.figures import lead_buckets
from tasks.analytics.models import CurrentCount, DayTotals, MonthTotals, TaskFact
from tasks.analytics.selectors import Period
from tasks.analytics.services import rebuild
from tasks.analytics.tests.recount import recount
from tasks.planning import services
from tasks.planning.models import Task
from tasks.rooms.models import Membership, RoomRole

CHANGES = int(__import__("os").environ.get("ANALYTICS_CHANGES", 10_000))
# Changes per transaction (each service call is a savepoint in it): fewer commits; not more,
# or the rooms' rows, updated by every change, pile up versions inside one transaction.
BATCH = 25


def _tables() -> tuple[set[Any], ...]:
    """Every aggregate row that holds a number (a row left all zeros by changes that cancel
    out is as good as none), and every fact row."""
    day_columns = ("created", "completed", "s_pending", "s_in_progress", "s_completed",
                   "overdue", "due")  # fmt: skip
    daily = {
        (*key, *values, tuple(sorted(lead_buckets(lead).items())))
        for *key, lead, values in (
            (room, user, day, lead, rest)
            for room, user, day, lead, *rest in DayTotals.objects.values_list(
                "room_id", "user_id", "day", "lead_pairs", *day_columns
            )
        )
        if any(values) or lead
    }
    current = set(
        CurrentCount.objects.exclude(n=0).values_list("room_id", "user_id", "metric", "n")
    )
    facts = set(
        TaskFact.objects.values_list(
            "task_id", "room_id", "status", "priority", "created_at", "completed_at",
            "completed_by", "deadline", "open_deadline",
        )
    )  # fmt: skip
    month_columns = ("s_pending", "s_in_progress", "s_completed", "overdue", "due")
    monthly = {
        row
        for row in MonthTotals.objects.values_list("room_id", "user_id", "month", *month_columns)
        if any(row[3:])
    }
    return daily, current, facts, monthly


def _history(
    *, rng: random.Random, clock: Any, deliver: Any, rooms: list[Any], people: list[Any]
) -> int:
    members = {
        room.id: [p for p in people if Membership.objects.filter(room=room, user=p).exists()]
        for room in rooms
    }
    live: list[tuple[Any, Any]] = []  # (task id, room id)
    done = 0
    batch = transaction.atomic()
    batch.__enter__()  # changes commit BATCH at a time (each service call is a savepoint)
    flushed = 0
    while done < CHANGES:
        if done - flushed >= BATCH:
            flushed = done
            batch.__exit__(None, None, None)
            # One batch in ten goes through the consumer's own path, each event twice:
            # redeliveries change nothing.
            special = done // BATCH % 40 == 7
            deliver(twice=special, batched=not special)
            batch = transaction.atomic()
            batch.__enter__()
        clock.advance(minutes=rng.randint(1, 40), seconds=rng.randint(0, 59))
        kind = rng.choices(
            ["create", "assign", "move", "complete", "reopen", "deadline", "priority", "delete"],
            weights=[22, 14, 18, 14, 8, 12, 6, 6],
        )[0]
        if kind == "create" or len(live) < 5:
            room = rng.choice(rooms)
            actor = rng.choice(members[room.id])
            due = rng.choice([
                None,
                clock.now.date() + timedelta(days=rng.randint(-3, 10)),
                clock.now + timedelta(hours=rng.randint(-30, 200)),
            ])  # fmt: skip
            parent = None
            siblings = [t for t, r in live if r == room.id]
            if siblings and rng.random() < 0.1:
                parent = rng.choice(siblings)
                if not Task.objects.filter(id=parent, parent__isnull=True).exists():
                    parent = None
            task = services.create_task(
                actor=actor,
                room_id=room.id,
                title=f"T{done}",
                status=rng.choices(["pending", "in_progress", "completed"], [7, 2, 1])[0],
                priority=rng.randint(0, 4),
                due=due,
                assignee_ids=[p.id for p in rng.sample(members[room.id], rng.randint(0, 2))],
                parent_id=parent,
                recurrence="FREQ=DAILY" if rng.random() < 0.03 else "",
            )
            live.append((task.id, room.id))
            done += 1
            continue
        task_id, room_id = rng.choice(live)
        if not Task.objects.filter(id=task_id).exists():  # went with its parent
            live.remove((task_id, room_id))
            continue
        actor = rng.choice(members[room_id])
        if kind == "assign":
            chosen = rng.sample(members[room_id], rng.randint(0, 3))
            services.update_task(actor=actor, task_id=task_id, assignee_ids=[p.id for p in chosen])
        elif kind == "move":
            services.move_task(
                actor=actor,
                task_id=task_id,
                status=rng.choice(["pending", "in_progress", "completed"]),
            )
        elif kind == "complete":
            services.update_task(actor=actor, task_id=task_id, status="completed")
        elif kind == "reopen":
            services.update_task(
                actor=actor, task_id=task_id, status=rng.choice(["pending", "in_progress"])
            )
        elif kind == "deadline":
            due = rng.choice([
                None,
                clock.now.date() + timedelta(days=rng.randint(-5, 5)),
                clock.now + timedelta(hours=rng.randint(-48, 96)),
            ])  # fmt: skip
            services.update_task(actor=actor, task_id=task_id, due=due)
        elif kind == "priority":
            services.update_task(actor=actor, task_id=task_id, priority=rng.randint(0, 4))
        elif kind == "delete":
            services.delete_task(actor=actor, task_id=task_id)
            live.remove((task_id, room_id))
        done += 1
    batch.__exit__(None, None, None)
    deliver()
    return done


def _without_exact(figures: dict[str, Any]) -> dict[str, Any]:
    exact = figures.pop("_exact_lead_times")
    median = figures["lead_time"]["median_seconds"]
    if exact:
        # The reported median is its 5% bucket's upper end: within 5% above the true one.
        true = exact[max(0, -(-len(exact) // 2) - 1)]
        assert true <= median <= max(60.0, true * 1.05 + 1e-6)
    return figures


@pytest.mark.django_db(transaction=True)
def test_analytics_equal_a_recount_after_10000_changes_and_a_rebuild_gives_the_same(
    make_user: Any, make_room: Any, join: Any, clock: Any, deliver: Any
) -> None:
    rng = random.Random(20261203)  # noqa: S311 - a reproducible history
    people = [make_user(username=f"p{i}") for i in range(5)]
    first = make_room(people[0], name="One")
    second = make_room(people[1], name="Two")
    for person in people[1:4]:
        join(first, person, RoomRole.MEMBER)
    for person in (people[0], people[2], people[4]):
        join(second, person, RoomRole.ADMIN if person == people[0] else RoomRole.MEMBER)
    rooms = [first, second]

    assert _history(rng=rng, clock=clock, deliver=deliver, rooms=rooms, people=people) == CHANGES
    assert Task.objects.count() > CHANGES // 20

    today = clock.now.astimezone(UTC).date()
    begin = datetime(2025, 3, 1, tzinfo=UTC).date()
    periods = [Period(begin, min(today, begin + timedelta(days=365)))]
    periods.append(Period(today - timedelta(days=30), today))
    me = UserRef.objects.get(id=people[2].id)
    for period in periods:
        for room in rooms:
            figures = selectors.room_figures(user=people[0], room_id=room.id, period=period)
            assert figures.pop("room_id") == str(room.id)
            expected = _without_exact(
                recount(
                    room_ids=[room.id],
                    user_id=None,
                    start=period.start,
                    end=period.end,
                    now=clock.now,
                )
            )
            assert figures == expected, f"room {room.name} {period}"
            members = selectors.member_figures(user=room.owner, room_id=room.id, period=period)
            for member in members["members"]:
                member_id = member.pop("user_id")
                for key in ("username", "role"):
                    member.pop(key)
                expected = recount(
                    room_ids=[room.id], user_id=UUID(member_id), start=period.start,
                    end=period.end, now=clock.now,
                )  # fmt: skip
                assert member == _without_exact(expected), f"member {member_id} of {room.name}"
        mine = selectors.my_figures(user=me, period=period)
        assert mine.pop("user_id") == str(me.id) and mine.pop("rooms") == 2
        expected = recount(
            room_ids=[first.id, second.id], user_id=me.id, start=period.start, end=period.end,
            now=clock.now,
        )  # fmt: skip
        assert mine == _without_exact(expected)

    live = _tables()
    assert all(live)
    rebuild()
    assert _tables() == live
