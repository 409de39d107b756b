"""tasks-service agenda benchmark: one person's agenda, on real PostgreSQL.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/agenda.py              # generate (kept for reuse), then measure
    .venv/bin/python bench/agenda.py --reseed     # generate the data again
    .venv/bin/python bench/agenda.py --orm        # the ORM twins (the path before hot_sql)

It never touches the test databases: everything lives in its own PostgreSQL database
(`--database`, default `cotask_bench_agenda`, created when missing), its own Redis database
(`--redis-db`, 12) and var folder (`var/bench-agenda`). No Kafka: the projections are written
the way the consumer leaves them.

1. Generate once: the person with `--tasks` (500) open tasks (half in a team room, assigned to
   them, half in their personal space; deadlines from 30 days ago to 30 days ahead, a fifth
   without one but planned this week), 2,000 more tasks of the room's other members (never
   theirs: the query must not read them), `--habits` (20) habits of every schedule kind with
   their last 30 days of check-ins, 14 study days of answer pace, and a forecast of `--cards`
   (5,000) cards due over the week.
2. Measure, one request after another through Django's test client (authentication, routing,
   JSON; no nginx): GET /api/tasks/agenda/?days=7 and ?days=1, `--requests` (300) each, p50/p99,
   the process's CPU per request and the query count (constant whatever the sizes, as the
   agenda's tests assert); then
   POST /api/tasks/agenda/suggestions/ (the planner) 50 times.

Target: the 7-day agenda's p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from http_bench import (
    ROOT,
    bench_process,
    kept_data,
    percentile,
    tokens_for,
)

SERVICE = ROOT / "tasks-service"
TARGET_MS = 20.0
KINDS = ("daily", "weekdays", "times_per_week", "every_n_days", "times_per_day")


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from tasks.agenda.models import (
        CardsOutlook,
        CheckinEntry,
        HabitEntry,
        PlannedDay,
        StudyDay,
        Suggestion,
    )
    from tasks.planning.models import Assignment, Task
    from tasks.planning.services import NO_DEADLINE
    from tasks.rooms.models import Membership, Room, RoomKind, RoomRole

    from cotask_common.users.models import UserRef

    rng = random.Random(args.seed)  # noqa: S311 - reproducible data, not secrets
    with connection.cursor() as cursor:
        for model in (
            Suggestion,
            PlannedDay,
            Assignment,
            Task,
            Membership,
            Room,
            UserRef,
            HabitEntry,
            CheckinEntry,
            CardsOutlook,
            StudyDay,
        ):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    now = datetime.now(tz=UTC)
    today = now.date()
    me = UserRef.objects.create(id=uuid.uuid4(), username="agenda", time_zone="UTC")
    others = UserRef.objects.bulk_create(
        [UserRef(id=uuid.uuid4(), username=f"mate{i}") for i in range(20)]
    )
    team = Room.objects.create(
        kind=RoomKind.TEAM, name="Team", owner=others[0], join_code="benchroom"
    )
    space = Room.objects.create(kind=RoomKind.PERSONAL, name="Me", owner=me)
    Membership.objects.bulk_create(
        [Membership(room=team, user=me, role=RoomRole.MEMBER)]
        + [Membership(room=team, user=u, role=RoomRole.MEMBER) for u in others]
        + [Membership(room=space, user=me, role=RoomRole.OWNER)]
    )

    def task(room: Room, creator: Any, i: int, undated: bool) -> Task:
        row = Task(
            room=room,
            title=f"Task {i}",
            creator=creator,
            priority=rng.randrange(5),
            estimate_minutes=rng.choice((None, 15, 30, 60)),
            position=i * 1024,
        )
        if undated:
            row.due_sort = NO_DEADLINE
        elif rng.random() < 0.5:
            row.due_date = today + timedelta(days=rng.randint(-30, 30))
            row.due_sort = datetime.combine(row.due_date, datetime.min.time(), tzinfo=UTC)
        else:
            row.due_at = row.due_sort = now + timedelta(minutes=rng.randint(-30 * 1440, 30 * 1440))
        return row

    mine = [task(team if i % 2 else space, me, i, undated=i % 5 == 0) for i in range(args.tasks)]
    Task.objects.bulk_create(mine)
    Assignment.objects.bulk_create(
        [Assignment(task=t, user=me) for t in mine if t.room_id == team.id]
    )
    PlannedDay.objects.bulk_create(
        [
            PlannedDay(task=t, user=me, day=today + timedelta(days=rng.randrange(7)))
            for t in mine
            if t.due_sort == NO_DEADLINE
        ]
    )
    theirs = [task(team, rng.choice(others), i, undated=False) for i in range(2000)]
    Task.objects.bulk_create(theirs)
    Assignment.objects.bulk_create([Assignment(task=t, user=rng.choice(others)) for t in theirs])

    version = now
    habits = [
        HabitEntry(
            habit_id=uuid.uuid4(),
            owner_id=me.id,
            name=f"Habit {i}",
            kind=KINDS[i % 5],
            weekdays=[0, 2, 4] if KINDS[i % 5] == "weekdays" else [],
            times=3 if KINDS[i % 5] in ("times_per_week", "times_per_day") else 1,
            interval_days=2 if KINDS[i % 5] == "every_n_days" else 1,
            start_date=today - timedelta(days=90),
            version=version,
        )
        for i in range(args.habits)
    ]
    HabitEntry.objects.bulk_create(habits)
    CheckinEntry.objects.bulk_create(
        [
            CheckinEntry(
                habit_id=h.habit_id,
                owner_id=me.id,
                day=today - timedelta(days=d),
                done=rng.random() < 0.8,
                version=version,
            )
            for h in habits
            for d in range(30)
        ]
    )
    StudyDay.objects.bulk_create(
        [
            StudyDay(
                owner_id=me.id,
                day=today - timedelta(days=d + 1),
                reviews=200,
                duration_ms=200 * 7000,
            )
            for d in range(14)
        ]
    )
    # 5,000 cards: a backlog today, the rest spread over the week.
    split = [args.cards // 5] + [args.cards * 4 // 5 // 6] * 6
    CardsOutlook.objects.create(
        owner_id=me.id,
        days={(today + timedelta(days=i)).isoformat(): n for i, n in enumerate(split)},
        version=version,
    )
    return {
        "user_id": str(me.id),
        "tasks": args.tasks,
        "habits": args.habits,
        "cards": args.cards,
        "day": today.isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="cotask_bench_agenda")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--habits", type=int, default=20)
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--reseed", action="store_true", help="generate the data again")
    parser.add_argument(
        "--orm", action="store_true", help="the ORM twins, not the hand-written SQL (to compare)"
    )
    args = parser.parse_args()

    var_dir, _env, key, kid = bench_process(args, name="bench-agenda", service_dir=SERVICE)
    wanted = {
        "tasks": args.tasks,
        "habits": args.habits,
        "cards": args.cards,
        "day": date.today().isoformat(),
    }
    state = kept_data(
        var_dir,
        still_good=lambda state: (
            not args.reseed and all(state.get(k) == v for k, v in wanted.items())
        ),
        generate=lambda: generate(args),
    )

    from django.db import connection
    from django.test import Client

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import public_jwk

    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    if args.orm:
        from tasks.agenda import hot_sql

        hot_sql.ENABLED = False
    [token] = tokens_for([state["user_id"]], key, kid)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def timed(method: str, path: str) -> tuple[float, Any]:
        started = time.perf_counter()
        response = getattr(client, method)(path, **auth)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return elapsed, response

    lines = [
        "",
        f"agenda in-process (test client, one at a time{', ORM twins' if args.orm else ''}) — "
        f"{args.tasks} open tasks, "
        f"{args.habits} habits, {args.cards:,} cards",
    ]
    passed = True
    for name, path, n in (
        ("7 days", "/api/tasks/agenda/?days=7", args.requests),
        ("1 day", "/api/tasks/agenda/", args.requests),
        ("planner", "/api/tasks/agenda/suggestions/", 50),
    ):
        method = "post" if name == "planner" else "get"
        for _ in range(10):  # warm-up
            timed(method, path)
        _elapsed, response = timed(method, path)
        shown = ""
        if method == "get":
            days = response.json()["days"]
            shown = f", {sum(len(d['tasks']) + len(d['overdue']) for d in days)} tasks shown"
        queries: list[str] = []

        def count(execute: Any, sql: str, *rest: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            timed(method, path)
        cpu = time.process_time()
        times = [timed(method, path)[0] for _ in range(n)]
        # CPU per request beside the wall times: on a shared machine the wall times are noisy.
        cpu_ms = (time.process_time() - cpu) / n * 1000
        p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
        lines.append(
            f"  {name:8} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  CPU {cpu_ms:5.2f} ms/request  "
            f"{len(queries)} queries  ({n} requests{shown})"
        )
        if name == "7 days":
            passed = p99 <= TARGET_MS
    lines.append(
        f"  target: the 7-day agenda's p99 <= {TARGET_MS:.0f} ms: {'met' if passed else 'MISSED'}"
    )
    print("\n".join(lines))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
