"""tasks-service benchmark: one deadline reminder pass over 1,000,000 tasks with deadlines, on
real PostgreSQL, in process (the pass is what Celery beat runs every minute).

    .venv/bin/python bench/task_reminders.py            # data kept for reuse
    .venv/bin/python bench/task_reminders.py --reseed   # generate the data again
    make bench-task-reminders

It never touches the test databases: its own PostgreSQL database (`--database`, default
`cotask_bench_reminders`, created when missing) and Redis database (`--redis-db`, 8). No Kafka:
events stay in the outbox table (emptied before each pass).

1. Generate once (COPY; reused while the sizes match): `--people` people in rooms of 10 (zones
   UTC, Europe/Kyiv, America/New_York, Asia/Tokyo), `--tasks` open tasks with a deadline each
   (one in four all-day) spread over the next `--days` days from the generation, one assignee
   each, and their reminder rows (the default offsets, a day and an hour before, plus the
   overdue notice: three rows per task, computed by tasks/reminders/scheduling.py's rules).
2. A realistic pass: the clock at a moment inside the generated spread; the pass sends the rows
   that came due in the minute before (what a minute's beat finds), `--passes` times.
3. A heavy pass: `--heavy` (10,000) rows made due a minute ago (a beat outage's catch-up).
The figures: the pass's wall time, its queries, and the plan of its claim (the partial index).
Target: one pass <= 1 s. The machine may be shared: run it twice and read the better.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from http_bench import (
    ROOT,
    bench_process,
    copy_objects,
    copy_rows,
    kept_data,
)

from cotask_common.ids import uuid7_at

SERVICE = ROOT / "tasks-service"
ZONES = ("UTC", "Europe/Kyiv", "America/New_York", "Asia/Tokyo")
OFFSETS = (1440, 60)
ROOM_SIZE = 10


def say(line: str) -> None:
    print(line, flush=True)


def sizes_of(args: argparse.Namespace) -> list[Any]:
    return [args.people, args.tasks, args.days, args.seed]


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from tasks.planning.models import Assignment, Task
    from tasks.reminders.models import Reminder
    from tasks.reminders.scheduling import overdue_at_for, remind_at_for
    from tasks.rooms.models import Membership, Room

    from cotask_common.users.models import UserRef

    rng = random.Random(args.seed)  # noqa: S311 - reproducible data, not secrets
    start = datetime.now(tz=UTC).replace(second=0, microsecond=0)
    start_ms = int(start.timestamp() * 1000)
    with connection.cursor() as cursor:
        for model in (Reminder, Assignment, Task, Membership, Room, UserRef):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")

    user_ids = [uuid7_at(start_ms - 20_000_000 + i) for i in range(args.people)]
    zones = [rng.choice(ZONES) for _ in range(args.people)]
    copy_objects(
        UserRef,
        (UserRef(id=user_ids[i], username=f"bench{i}", time_zone=zones[i], email_verified=True)
         for i in range(args.people)),
        args.people,
        "users",
    )  # fmt: skip
    rooms = args.people // ROOM_SIZE
    room_ids = [uuid7_at(start_ms - 19_000_000 + i) for i in range(rooms)]
    copy_objects(
        Room,
        (Room(id=room_ids[r], name=f"Room {r}", owner_id=user_ids[r * ROOM_SIZE])
         for r in range(rooms)),
        rooms,
        "rooms",
    )  # fmt: skip
    copy_objects(
        Membership,
        (Membership(room_id=room_ids[i // ROOM_SIZE], user_id=user_ids[i],
                    role="owner" if i % ROOM_SIZE == 0 else "member")
         for i in range(rooms * ROOM_SIZE)),
        rooms * ROOM_SIZE,
        "memberships",
    )  # fmt: skip

    zone_objects = {name: ZoneInfo(name) for name in ZONES}
    spread = args.days * 86400
    task_ids = [uuid7_at(start_ms - 10_000_000 + i) for i in range(args.tasks)]
    plan = []  # (task id, room, assignee, due_date, due_at, due_sort)
    for i in range(args.tasks):
        person = rng.randrange(rooms * ROOM_SIZE)
        at = start + timedelta(seconds=rng.randrange(3 * 3600, spread))
        if i % 4 == 0:
            day = at.date()
            due_date, due_at = day, None
            due_sort = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            due_date, due_at, due_sort = None, at.replace(second=0), at.replace(second=0)
        plan.append(
            (task_ids[i], room_ids[person // ROOM_SIZE], person, due_date, due_at, due_sort)
        )

    task_columns = ["id", "room_id", "title", "description", "status", "priority", "position",
                    "due_date", "due_at", "due_sort", "creator_id", "recurrence", "created_at",
                    "updated_at"]  # fmt: skip
    copy_rows(
        Task._meta.db_table,
        task_columns,
        ((tid, room, f"Task {n}", "", "pending", n % 5, n * 1024, due_date, due_at, due_sort,
          user_ids[person], "", start, start)
         for n, (tid, room, person, due_date, due_at, due_sort) in enumerate(plan)),
        args.tasks,
        "tasks",
    )  # fmt: skip
    copy_rows(
        Assignment._meta.db_table,
        ["task_id", "user_id", "assigned_at"],
        ((tid, user_ids[person], start) for tid, _room, person, *_rest in plan),
        args.tasks,
        "assignments",
    )

    def reminder_rows():
        n = 0
        for tid, _room, person, due_date, due_at, due_sort in plan:
            zone = zone_objects[zones[person]]
            for minutes in OFFSETS:
                at = remind_at_for(due_date=due_date, due_at=due_at, minutes_before=minutes,
                                   zone=zone, all_day_time=args.all_day_time)  # fmt: skip
                n += 1
                yield (uuid7_at(start_ms + n), tid, user_ids[person], "reminder", minutes,
                       due_sort, at, None, None, start)  # fmt: skip
            n += 1
            yield (uuid7_at(start_ms + n), tid, user_ids[person], "overdue", 0, due_sort,
                   overdue_at_for(due_date=due_date, due_at=due_at, zone=zone), None, None,
                   start)  # fmt: skip

    copy_rows(
        Reminder._meta.db_table,
        ["id", "task_id", "user_id", "kind", "minutes_before", "due_sort", "remind_at",
         "sent_at", "snoozed_at", "created_at"],
        reminder_rows(),
        args.tasks * (len(OFFSETS) + 1),
        "reminders",
    )  # fmt: skip
    with connection.cursor() as cursor:
        for model in (UserRef, Room, Membership, Task, Assignment, Reminder):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return {"sizes": sizes_of(args), "start": start.isoformat()}


def data_present(state: dict[str, Any], args: argparse.Namespace) -> bool:
    from tasks.planning.models import Task

    return state.get("sizes") == sizes_of(args) and Task.objects.count() == args.tasks


def _reset(ids: list[Any]) -> None:
    """The rows a pass sent become pending again and the outbox empty: the next run finds the
    same work."""
    from django.apps import apps
    from django.db import connection
    from tasks.reminders.models import Reminder

    Reminder.objects.filter(id__in=ids).update(sent_at=None)
    outbox = next(m for m in apps.get_models() if "outbox" in m._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {outbox._meta.db_table}")


def one_pass(now: datetime, runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from tasks.reminders import sending
    from tasks.reminders.models import Reminder

    due = list(
        Reminder.objects.filter(sent_at__isnull=True, remind_at__lte=now).values_list(
            "id", flat=True
        )
    )
    times, cpu, result, queries = [], [], None, 0
    for _ in range(runs):
        _reset(due)
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = sending.send_due_reminders(now=now)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        queries = len(ctx.captured_queries)
    _reset(due)
    return {"due": len(due), "best": min(times) * 1000, "runs": times, "result": result,
            "queries": queries, "cpu": min(cpu) * 1000}  # fmt: skip


def claim_plan(now: datetime) -> str:
    from django.db import connection
    from tasks.reminders.models import Reminder

    claim = (
        Reminder.objects.filter(sent_at__isnull=True, remind_at__lte=now)
        .order_by("remind_at")
        .values_list("id")[:5000]
    )
    sql, params = claim.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) {sql}", params)
        return "\n".join(f"      {row[0]}" for row in cursor.fetchall())


def report(name: str, r: dict[str, Any]) -> None:
    res = r["result"]
    verdict = "met" if r["best"] <= 1000 else "NOT met"
    say(
        f"  {name}: {r['due']:,} due -> {res.sent:,} reminders + {res.overdue:,} overdue sent,"
        f" {res.skipped:,} skipped, {res.batches} batch(es), {r['queries']} queries;"
        f" best {r['best']:.1f} ms of {len(r['runs'])} (this process's CPU {r['cpu']:.0f} ms)"
        f" ({', '.join(f'{t * 1000:.0f}' for t in r['runs'])} ms)  (<= 1 s: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90, help="deadlines spread over")
    parser.add_argument("--heavy", type=int, default=10_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database", default="cotask_bench_reminders")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--reseed", action="store_true", help="generate the data again")
    args = parser.parse_args()
    args.all_day_time = datetime.strptime("09:00", "%H:%M").time()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    var_dir, _env, _key, _kid = bench_process(
        args, name="bench-task-reminders", service_dir=SERVICE, signed=False
    )
    state = kept_data(
        var_dir,
        still_good=lambda state: not args.reseed and data_present(state, args),
        generate=lambda: generate(args),
    )

    from tasks.reminders.models import Reminder

    start = datetime.fromisoformat(state["start"])
    say(
        f"\ntask reminders benchmark — {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the start; "
        f"{args.tasks:,} tasks with deadlines over {args.days} days, "
        f"{Reminder.objects.count():,} reminder rows"
    )
    # A minute of the beat: the clock a day into the spread, the rows due in the minute before
    # (earlier ones marked sent, as earlier passes would have).
    now = start + timedelta(days=1, hours=3, minutes=17)
    Reminder.objects.filter(sent_at__isnull=True, remind_at__lte=now - timedelta(minutes=1)).update(
        sent_at=now - timedelta(minutes=1)
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Reminder._meta.db_table}")
    report("a minute's pass", one_pass(now, args.passes))
    say("    the claim's plan:\n" + claim_plan(now))

    # A catch-up: `--heavy` pending rows of the next days made due a minute ago.
    ids = list(
        Reminder.objects.filter(sent_at__isnull=True, remind_at__gt=now)
        .order_by("remind_at")
        .values_list("id", "remind_at")[: args.heavy]
    )
    Reminder.objects.filter(id__in=[i for i, _at in ids]).update(
        remind_at=now - timedelta(minutes=1)
    )
    try:
        report(f"a catch-up pass ({args.heavy:,} due)", one_pass(now, args.passes))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Reminder._meta.db_table} AS r SET remind_at = u.at "  # noqa: S608
                "FROM jsonb_to_recordset(%s::jsonb) AS u(id uuid, at timestamptz) "
                "WHERE r.id = u.id",
                [json.dumps([{"id": str(i), "at": at.isoformat()} for i, at in ids])],
            )
    say(f"  load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
