"""tasks-service analytics benchmark: one analytics read against aggregates of 10,000 and of
1,000,000 tasks, on real PostgreSQL.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/task_analytics.py              # both sizes (data kept for reuse)
    .venv/bin/python bench/task_analytics.py --reseed     # generate the data again
    .venv/bin/python bench/task_analytics.py --explain    # PostgreSQL's plan of each query

It never touches the test databases: its own PostgreSQL database (`--database`, default
`cotask_bench_analytics`, created when missing), its own Redis database (`--redis-db`, 7) and
var folder (`var/bench-analytics`). No stack: each read goes through Django's test client in
this process (routing, token check, view, JSON), one at a time.

Data (COPY, straight into the analytics tables, as the consumer would have left them): two
team rooms of `--members` members with two years of history, one of `--small` tasks and one of
`--large`: a row per day and per person (and the whole room) with created, completed,
lead-time buckets, status and overdue changes and open tasks' deadlines that day (`DayTotals`),
their monthly sums (`MonthTotals`); open work now by priority; and one fact row per task (the
"overdue now" query reads today's deadlines from them by an index). The aggregate rows grow
with days and members, not with tasks; the fact rows grow with tasks.

Measured per size: GET the room's figures for the last 30 days and for a year, the per-member
figures (30 days) and my own (30 days); p50/p99 over `--requests` reads, this process's CPU
time per read (p50), the PostgreSQL backend's CPU per read (mean, from /proc when the server
runs on this machine), the database's execution and planning time of the read's queries
(EXPLAIN ANALYZE) and queries per read. The room reads are cached answers keyed by the room's
figures version (tasks/analytics/answers.py), so each is measured twice: `cold`, the version
raised before every read (what any write of the room does; not timed), and `warm`, served from
the cache; the last column counts what the `X-Page-Cache` header said.
Target: an analytics read <= 10 ms whatever the number of tasks; the verdict per read and mode
is on its p99 in this process, under whatever load the machine has at the time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from http_bench import (
    ROOT,
    backend_cpu_seconds,
    bench_env,
    copy_rows,
    ensure_database,
    percentile,
    setup_django,
    signing_key,
    tokens_for,
)

SERVICE = ROOT / "tasks-service"
DAYS = 730
PRIORITIES = ("none", "low", "medium", "high", "urgent")


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from tasks.analytics.figures import lead_pairs
    from tasks.analytics.models import ROOM, CurrentCount, DayTotals, MonthTotals, TaskFact
    from tasks.rooms.models import Membership, Room, RoomRole

    from cotask_common.users.models import UserRef

    rng = random.Random(args.seed)  # noqa: S311 - reproducible data, not secrets
    with connection.cursor() as cursor:
        for model in (TaskFact, DayTotals, CurrentCount, MonthTotals, Membership, Room):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=DAYS - 1)
    state: dict[str, Any] = {"rooms": {}, "members": args.members}
    for size in (args.small, args.large):
        people = [uuid.uuid4() for _ in range(args.members)]
        UserRef.objects.bulk_create(
            [UserRef(id=p, username=f"a{size}-{i}") for i, p in enumerate(people)]
        )
        room = Room.objects.create(owner_id=people[0], name=f"{size:,} tasks")
        Membership.objects.bulk_create(
            [
                Membership(room=room, user_id=p, role=RoomRole.OWNER if i == 0 else RoomRole.MEMBER)
                for i, p in enumerate(people)
            ]
        )
        per_day = size / DAYS
        # (user, day) → the day's figures, as the consumer's columns; `lead` its lead times.
        days: dict[tuple[uuid.UUID, date], dict[str, int]] = {}
        leads: dict[tuple[uuid.UUID, date], dict[int, int]] = {}
        for user in [ROOM, *people]:
            share = 1.0 if user == ROOM else 2.0 / args.members
            for offset in range(DAYS):
                day = first_day + timedelta(days=offset)
                made = max(0, round(rng.gauss(per_day * share, per_day * share / 4 + 0.1)))
                done = max(0, round(made * rng.uniform(0.6, 1.0)))
                days[user, day] = {
                    "created": made,
                    "completed": done,
                    "s_pending": made - done,
                    "s_in_progress": rng.randint(-2, 2),
                    "s_completed": done,
                    "overdue": rng.randint(-3, 3),
                }
                spread = max(1, done // 8)
                leads[user, day] = {
                    bucket: spread
                    for bucket in sorted(rng.sample(range(40, 200), min(8, max(1, done))))
                }
        current: list[tuple] = []
        for user in [ROOM, *people]:
            share = 1.0 if user == ROOM else 2.0 / args.members
            for priority in PRIORITIES:
                current.append((str(room.id), str(user), f"p:{priority}", int(size * 0.06 * share)))
            # Open tasks' deadlines: 3 a day from 200 days ago to 200 days ahead.
            for offset in range(-200, 200):
                days.setdefault((user, today + timedelta(days=offset)), {})["due"] = 3
        columns = ("created", "completed", "s_pending", "s_in_progress", "s_completed",
                   "overdue", "due")  # fmt: skip
        copy_rows(
            DayTotals._meta.db_table,
            ["room_id", "user_id", "day", *columns, "lead_pairs"],
            (
                (str(room.id), str(user), day.isoformat(),
                 *(values.get(c, 0) for c in columns), lead_pairs(leads.get((user, day), {})))
                for (user, day), values in days.items()
            ),
            len(days),
            f"day rows ({size:,} tasks)",
        )  # fmt: skip
        monthly: dict[tuple, list[int]] = {}
        month_columns = columns[2:]
        for (user, day), values in days.items():
            row = monthly.setdefault((user, day.replace(day=1)), [0] * len(month_columns))
            for index, column in enumerate(month_columns):
                row[index] += values.get(column, 0)
        copy_rows(
            MonthTotals._meta.db_table,
            ["room_id", "user_id", "month", *month_columns],
            ((str(room.id), str(user), month.isoformat(), *values)
             for (user, month), values in monthly.items()),
            len(monthly),
            f"month rows ({size:,} tasks)",
        )  # fmt: skip
        copy_rows(
            CurrentCount._meta.db_table,
            ["room_id", "user_id", "metric", "n"],
            iter(current),
            len(current),
            f"current rows ({size:,} tasks)",
        )
        start = datetime.combine(first_day, clock_time(0), tzinfo=UTC)

        def facts(
            room_id: str = str(room.id),
            members: list[uuid.UUID] = people,
            size: int = size,
            start: datetime = start,
        ) -> Any:
            for _ in range(size):
                created = start + timedelta(seconds=rng.randint(0, DAYS * 86400 - 1))
                status = rng.choices(("pending", "in_progress", "completed"), (3, 1, 6))[0]
                deadline = created + timedelta(hours=rng.randint(-100, 2000))
                open_deadline = deadline if status != "completed" else None
                assignees = json.dumps([str(rng.choice(members))])
                yield (
                    str(uuid.uuid4()), room_id, str(members[0]), status, "medium", assignees,
                    created, None, None, deadline, open_deadline,
                    json.dumps([[created.isoformat(), status]]), None,
                )  # fmt: skip

        copy_rows(
            TaskFact._meta.db_table,
            ["task_id", "room_id", "creator_id", "status", "priority", "assignee_ids",
             "created_at", "completed_at", "completed_by", "deadline", "open_deadline",
             "statuses", "as_of"],
            facts(),
            size,
            f"fact rows ({size:,} tasks)",
        )  # fmt: skip
        state["rooms"][str(size)] = {"room_id": str(room.id), "owner": str(people[0])}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    state["sizes"] = [args.small, args.large]
    state["day"] = today.isoformat()
    return state


def _cpu_ms(pid: int) -> float | None:
    seconds = backend_cpu_seconds(pid)
    return None if seconds is None else seconds * 1000


def measure(args: argparse.Namespace, state: dict[str, Any], key: Any, kid: str) -> None:
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from tasks.analytics import answers, services

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import public_jwk

    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    client = Client()
    today = date.fromisoformat(state["day"])
    month = f"start={(today - timedelta(days=29)).isoformat()}&end={today.isoformat()}"
    year = f"start={(today - timedelta(days=365)).isoformat()}&end={today.isoformat()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    lines = [
        "",
        "tasks analytics reads (in-process, test client, one at a time)",
        f"  load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores): "
        "wall figures under load say little, CPU figures more",
    ]
    verdicts: list[str] = []
    for size in state["sizes"]:
        room = state["rooms"][str(size)]
        room_id = uuid.UUID(room["room_id"])
        token = tokens_for([room["owner"]], key, kid)[0]
        reads = {
            "room, 30 days": f"/api/tasks/analytics/rooms/{room_id}/?{month}",
            "room, a year": f"/api/tasks/analytics/rooms/{room_id}/?{year}",
            "members, 30 d": f"/api/tasks/analytics/rooms/{room_id}/members/?{month}",
            "me, 30 days": f"/api/tasks/analytics/me/?{month}",
        }
        lines.append(f"  {size:>9,} tasks' aggregates ({state['members']} members, {DAYS} days)")
        for name, path in reads.items():
            cached = "/rooms/" in path  # the room reads are cached answers (analytics/answers.py)
            for mode in ("cold", "warm") if cached else ("-",):
                for _ in range(5):  # warm-up
                    client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
                times, cpu, db_cpu, states = [], [], [], Counter()
                for _ in range(args.requests):
                    if mode == "cold":
                        # What a write does: the room's figures version goes up (not timed).
                        with transaction.atomic():
                            services.touch([room_id])
                    db_before = _cpu_ms(backend)
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
                    times.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - started_cpu)
                    db_after = _cpu_ms(backend)
                    if db_before is not None and db_after is not None:
                        db_cpu.append((db_after - db_before) / 1000)
                    states[response.get(answers.HEADER, "-")] += 1
                    assert response.status_code == 200, (path, response.content[:300])
                if mode == "cold":
                    with transaction.atomic():
                        services.touch([room_id])
                with CaptureQueriesContext(connection) as captured:
                    client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
                sql = [q["sql"] for q in captured.captured_queries]
                assert not [q for q in sql if "planning_" in q], "a read touched the tasks tables"
                # The database's own time for the read's queries (EXPLAIN ANALYZE).
                db_ms = 0.0
                with connection.cursor() as cursor:
                    for q in sql:
                        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {q}")
                        plan = cursor.fetchone()[0][0]
                        db_ms += plan["Execution Time"] + plan["Planning Time"]
                p99 = percentile(times, 99) * 1000
                # Mean: /proc counts in clock ticks (10 ms), too coarse for one read's p50.
                backend_cpu = (
                    f"PostgreSQL CPU mean {sum(db_cpu) / len(db_cpu) * 1000:5.2f} ms"
                    if db_cpu
                    else "PostgreSQL CPU n/a"
                )
                served = "/".join(f"{k} {v}" for k, v in sorted(states.items()))
                lines.append(
                    f"    {name:14} {mode:4}  p50 {percentile(times, 50) * 1000:6.2f} ms  "
                    f"p99 {p99:6.2f} ms  CPU p50 {percentile(cpu, 50) * 1000:5.2f} ms  "
                    f"{backend_cpu}  explain {db_ms:5.2f} ms  ({len(sql)} queries; {served})"
                )
                verdicts.append(
                    f"    {size:>9,} {name:14} {mode:4} p99 {p99:6.2f} ms: "
                    + ("met" if p99 <= 10 else "NOT met")
                )
                if args.explain:
                    for q in sql:
                        if q.lstrip().upper().startswith(("SELECT", "WITH")):
                            with connection.cursor() as cursor:
                                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {q}")
                                print("\n".join(r[0] for r in cursor.fetchall()), "\n")
    lines.append("  target: an analytics read <= 10 ms whatever the number of tasks (p99, here")
    lines.append("  in-process under the machine's load at the time):")
    lines.extend(verdicts)
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="cotask_bench_analytics")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-analytics"
    var_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(args.database)
    env = bench_env(database=args.database, redis_db=args.redis_db, var_dir=var_dir)
    key, kid = signing_key(var_dir)
    setup_django(env, SERVICE)

    state_file = var_dir / "data.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    wanted = [args.small, args.large]
    fresh = state.get("day") == datetime.now(UTC).date().isoformat()
    same = state.get("sizes") == wanted and state.get("members") == args.members
    if args.reseed or not same or not fresh:
        started = time.monotonic()
        state = generate(args)
        state_file.write_text(json.dumps(state))
        print(f"generated in {time.monotonic() - started:.0f} s", flush=True)
    measure(args, state, key, kid)


if __name__ == "__main__":
    sys.exit(main())
