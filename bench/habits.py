"""habits-service benchmark: check-ins through nginx, a year's heatmap of a long-lived habit and
one reminder pass over 100,000 due habits, on real PostgreSQL.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/habits.py                 # everything (data kept for reuse)
    .venv/bin/python bench/habits.py --in-process    # no stack: in-process check-ins, heatmap, pass
    .venv/bin/python bench/habits.py --reseed        # generate the data again
    make bench-habits

It never touches the test databases: everything lives in its own PostgreSQL database
(`--database`, default `cotask_bench_habits`, created when missing), its own Redis database
(`--redis-db`, 12) and var folder (`var/bench-habits`). No Kafka: the services use the embedded
bus and their event processes are not started (events stay in the outbox table).

1. Generate once (COPY; reused while the sizes match): `--checkin-users` people with one daily
   habit each and a year of check-ins (9 days in 10); one daily habit with `--heatmap-years`
   years of check-ins; `--reminder-habits` daily habits of `--reminder-owners` people (zones
   UTC, Europe/Kyiv, America/New_York, Asia/Tokyo), a 07:30 reminder each, a fifth of them
   already checked in today.
2. Check-in in process (`--checkin-requests`, 500; 0 skips it): the PUT through Django's test
   client one at a time, this process's CPU per request and the queries of one, the figure to
   compare code changes with on a shared machine (`--orm`: by the ORM twins of
   `habits.tracking.hot_sql`; `--profile`: cProfile of the CPU, kept in var/bench-habits).
   Then through the stack (nginx + the services' web processes, `--web-workers` gunicorn
   workers): `--checkin-concurrency` (4) clients PUT today's check-in of their own habit for
   `--seconds` (each a year of history: the figures walk on from the habit's stored engine
   state, the events are written to the outbox).
3. Heatmap: `stats.heatmap` of the 5-year habit for this year in this process (one query + the
   engine), `--heatmap-runs` times; and the endpoint through nginx from one client.
4. Reminder pass: every reminder made due a minute ago, the outbox emptied, then one call of
   the beat's pass (`habits.tracking.reminders.send_due_reminders`), `--passes` times; the
   PostgreSQL CPU printed is summed over every session the pass runs its batches in
   (`--sessions N` overrides the pass's own number), the last pass's and each pass's. The
   80,000 reminders that fire go out as one `habits.reminder.due` event per owner and instant
   (`events` in the result: 8,000 here, the owners with a habit due).

Targets: check-in p99 <= 20 ms at 4 clients; the heatmap <= 10 ms; one pass <= 1 s.
The machine the figures come from may be shared: run it twice and read the better.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from http_bench import (
    ROOT,
    backend_cpu_seconds,
    bench_process,
    copy_objects,
    kept_data,
    load,
    percentile,
    stack_for,
    tokens_for,
)

from cotask_common.ids import uuid7_at

SERVICE = ROOT / "habits-service"
ZONES = ("UTC", "Europe/Kyiv", "America/New_York", "Asia/Tokyo")


def checkin_path(habit_id: str) -> str:
    return f"/api/habits/habits/{habit_id}/checkins/"


def heatmap_path(habit_id: str, year: int) -> str:
    return f"/api/habits/habits/{habit_id}/heatmap/?year={year}"


# ---------------------------------------------------------------------------------------------
# Data


def sizes_of(args: argparse.Namespace) -> list[Any]:
    return [
        args.checkin_users,
        args.heatmap_years,
        args.reminder_habits,
        args.reminder_owners,
        args.seed,
        datetime.now(tz=UTC).date().isoformat(),  # "today" moves: regenerate on another day
    ]


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from habits.tracking.models import Checkin, Habit, Pause, Reminder

    from cotask_common.users.models import UserRef

    rng = random.Random(args.seed)  # noqa: S311 - reproducible data, not secrets
    now = datetime.now(tz=UTC)
    today = now.date()
    now_ms = int(now.timestamp() * 1000)
    with connection.cursor() as cursor:
        for model in (Reminder, Checkin, Pause, Habit, UserRef):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")

    people = args.checkin_users + 1 + args.reminder_owners
    user_ids = [uuid7_at(now_ms - 10_000_000 + i) for i in range(people)]
    zones = ["UTC"] * (args.checkin_users + 1) + [
        rng.choice(ZONES) for _ in range(args.reminder_owners)
    ]
    copy_objects(
        UserRef,
        (UserRef(id=user_ids[i], username=f"bench{i}", display_name=f"Bench {i}",
                 email_verified=True, time_zone=zones[i]) for i in range(people)),
        people,
        "users",
    )  # fmt: skip

    def habit(i: int, owner: int, start: date, name: str) -> Habit:
        return Habit(
            id=uuid7_at(now_ms - 5_000_000 + i),
            owner_id=user_ids[owner],
            name=name,
            start_date=start,
            position=i,
        )

    year_ago = today - timedelta(days=365)
    checkin_habits = [habit(i, i, year_ago, f"Run {i}") for i in range(args.checkin_users)]
    long_start = today - timedelta(days=round(args.heatmap_years * 365.25))
    long_habit = habit(args.checkin_users, args.checkin_users, long_start, "Read")
    first_owner = args.checkin_users + 1
    reminder_habits = [
        habit(args.checkin_users + 1 + j, first_owner + j % args.reminder_owners,
              today - timedelta(days=30), f"Stretch {j}")
        for j in range(args.reminder_habits)
    ]  # fmt: skip
    all_habits = [*checkin_habits, long_habit, *reminder_habits]
    copy_objects(Habit, all_habits, len(all_habits), "habits")

    def history(h: Habit, through: date) -> list[Checkin]:
        out, day = [], h.start_date
        while day <= through:
            if rng.random() < 0.9:
                out.append(Checkin(habit_id=h.id, day=day, value=Decimal(1)))
            day += timedelta(days=1)
        return out

    yesterday = today - timedelta(days=1)
    checkins = [c for h in checkin_habits for c in history(h, yesterday)]
    checkins += history(long_habit, yesterday)
    # A fifth of the reminder habits already checked in on their owner's today.
    for j, h in enumerate(reminder_habits):
        if j % 5 == 0:
            local = now.astimezone(ZoneInfo(zones[first_owner + j % args.reminder_owners]))
            checkins.append(Checkin(habit_id=h.id, day=local.date(), value=Decimal(1)))
    copy_objects(Checkin, checkins, len(checkins), "check-ins")
    copy_objects(
        Reminder,
        (Reminder(habit_id=h.id, local_time=clock(7, 30), next_fire_at=now)
         for h in reminder_habits),
        len(reminder_habits),
        "reminders",
    )  # fmt: skip
    with connection.cursor() as cursor:
        for model in (UserRef, Habit, Checkin, Reminder):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {
        "sizes": sizes_of(args),
        "checkin_users": [str(user_ids[i]) for i in range(args.checkin_users)],
        "checkin_habits": [str(h.id) for h in checkin_habits],
        "long_owner": str(user_ids[args.checkin_users]),
        "long_habit": str(long_habit.id),
    }


def close_day(state: dict[str, Any]) -> None:
    """What the beat's day close does every local midnight for every habit: a recount that
    stores the engine state the check-ins and this year's heatmap start from (the COPY above
    wrote the rows without it)."""
    from django.db import transaction
    from habits.tracking import services
    from habits.tracking.models import Habit

    today = datetime.now(tz=UTC).date()
    with transaction.atomic():
        habit = Habit.objects.select_for_update().get(id=state["long_habit"])
        services.refresh_figures(habit, today=today)


def data_present(state: dict[str, Any], args: argparse.Namespace) -> bool:
    from habits.tracking.models import Reminder

    return state.get("sizes") == sizes_of(args) and Reminder.objects.count() == args.reminder_habits


# ---------------------------------------------------------------------------------------------
# Measuring


def measure_checkins(args: argparse.Namespace, state: dict[str, Any], tokens: list[str]) -> dict:
    paths = [checkin_path(h) for h in state["checkin_habits"]]
    bodies = [json.dumps({"value": v}).encode() for v in ("1", "1", "2")]
    common = {"port": args.gateway_port, "method": "PUT", "paths": paths, "tokens": tokens}
    load(total=len(paths), concurrency=args.checkin_concurrency, bodies=bodies, **common)  # warm
    return load(
        total=10**9,
        concurrency=args.checkin_concurrency,
        seconds=args.seconds,
        bodies=bodies,
        **common,
    )


def measure_checkins_in_process(
    args: argparse.Namespace, state: dict[str, Any], key: Any, kid: str
) -> dict:
    """The check-in PUT through Django's test client, one at a time (no nginx, no gunicorn):
    this process's CPU per request and the queries of one, the figures to compare code
    changes with on a shared machine. `--profile` prints cProfile's top functions."""
    from django.db import connection
    from django.test import Client

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import public_jwk

    # No auth-service to fetch the key set from: trust the bench's signing key directly.
    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    if args.orm:
        from habits.tracking import hot_sql

        hot_sql.ENABLED = False
    tokens = tokens_for(state["checkin_users"], key, kid)
    paths = [checkin_path(h) for h in state["checkin_habits"]]
    bodies = [json.dumps({"value": v}) for v in ("1", "1", "2")]
    client = Client()

    def put(i: int) -> float:
        started = time.perf_counter()
        response = client.put(
            paths[i % len(paths)],
            bodies[i % len(bodies)],
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[i % len(tokens)]}",
        )
        elapsed = time.perf_counter() - started
        assert response.status_code in (200, 201), response.content[:300]
        return elapsed

    for i in range(len(paths)):  # warm: every habit's stored state made once
        put(i)
    queries: list[str] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(count):
        put(0)
    n = args.checkin_requests
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not waits
        profiler.enable()
    cpu = time.process_time()
    times = [put(i) for i in range(n)]
    cpu_ms = (time.process_time() - cpu) / n * 1000
    if profiler is not None:
        import pstats

        profiler.disable()
        profiler.dump_stats(ROOT / "var" / "bench-habits" / "checkin.prof")  # for pstats
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return {
        "cpu": cpu_ms,
        "p50": percentile(times, 50) * 1000,
        "p99": percentile(times, 99) * 1000,
        "queries": len(queries),
        "count": n,
    }


def measure_heatmap_http(args: argparse.Namespace, state: dict[str, Any], token: str) -> dict:
    year = datetime.now(tz=UTC).year
    common = {"port": args.gateway_port, "method": "GET", "tokens": [token], "concurrency": 1}
    path = heatmap_path(state["long_habit"], year)
    load(paths=[path], total=20, **common)
    return load(paths=[path], total=args.heatmap_runs, **common)


def measure_heatmap_in_process(args: argparse.Namespace, state: dict[str, Any]) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from habits.tracking import stats
    from habits.tracking.models import Checkin, Habit

    habit = Habit.objects.select_related("owner").get(id=state["long_habit"])
    today = datetime.now(tz=UTC).date()
    for _ in range(10):
        stats.heatmap(habit, year=today.year, today=today)
    times = []
    for _ in range(args.heatmap_runs):
        started = time.perf_counter()
        days = stats.heatmap(habit, year=today.year, today=today)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        stats.heatmap(habit, year=today.year, today=today)
    return {
        "p50": percentile(times, 50) * 1000,
        "p99": percentile(times, 99) * 1000,
        "best": min(times) * 1000,
        "queries": len(ctx.captured_queries),
        "days": len(days),
        "checkins": Checkin.objects.filter(habit=habit).count(),
    }


def measure_reminder_pass(args: argparse.Namespace) -> dict | str:
    try:
        from habits.tracking import reminders
    except ImportError as error:
        return f"not measured: the reminder pass is not on this branch ({error})"
    send = getattr(reminders, "send_due_reminders", None)
    if send is None:
        return "not measured: habits.tracking.reminders.send_due_reminders is missing"
    from django.apps import apps
    from django.db import connection
    from habits.tracking.models import Reminder

    outbox = next(
        (m for m in apps.get_models() if "outbox" in m._meta.db_table),
        None,
    )
    from django.test.utils import CaptureQueriesContext

    runs: list[float] = []
    cpus: list[float] = []
    server_cpus: list[float | None] = []
    counts: list[int] = []
    result: Any = None
    # The pass may run its batches in several sessions (threads): each session's PostgreSQL
    # CPU is read around its share of the work, and summed.
    sessions_cpu: list[float | None] = []
    batches = getattr(reminders, "_batches", None)
    if batches is not None:

        def measured(*args: Any, **kwargs: Any) -> Any:
            before = backend_cpu_seconds()
            try:
                return batches(*args, **kwargs)
            finally:
                after = backend_cpu_seconds()
                ok = before is not None and after is not None
                sessions_cpu.append(after - before if ok else None)  # type: ignore[operator]

        reminders._batches = measured
    for _ in range(args.passes):
        now = datetime.now(tz=UTC)
        Reminder.objects.update(next_fire_at=now - timedelta(minutes=1), last_fired_day=None)
        if outbox is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {outbox._meta.db_table}")
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Reminder._meta.db_table}")
        server = backend_cpu_seconds()
        sessions_cpu.clear()
        cpu = time.process_time()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            options: dict[str, Any] = {"set_based": False} if args.row_by_row else {}
            if args.sessions:
                options["sessions"] = args.sessions
            result = send(now=now, **options)
        runs.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        after = backend_cpu_seconds()
        if sessions_cpu and None not in sessions_cpu:
            server_cpus.append(sum(sessions_cpu))  # type: ignore[arg-type]
        else:
            server_cpus.append(after - server if after is not None and server is not None else None)
        counts.append(len(queries.captured_queries))
    due = Reminder.objects.filter(next_fire_at__lte=datetime.now(tz=UTC)).count()
    return {
        "runs": [r * 1000 for r in runs],
        "best": min(runs) * 1000,
        "result": result,
        "left_due": due,
        "queries": counts[-1],
        "cpu": min(cpus),
        "server_cpu": server_cpus[-1],
        "server_cpus": server_cpus,
        "sessions": max(1, len(sessions_cpu)),
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def say(line: str) -> None:
    print(line, flush=True)


def report_checkin(args: argparse.Namespace, c: dict) -> None:
    say(
        f"  check-in PUT through nginx, {args.checkin_concurrency} clients, a year of history"
        f" each: p50 {c['p50']:6.1f} ms  p99 {c['p99']:6.1f} ms  {c['rps']:6.1f} req/s"
        f"  ({c['count']} requests; p99 <= 20 ms: {verdict(c['p99'] <= 20)})"
    )


def report_checkin_in_process(c: dict) -> None:
    say(
        f"  check-in PUT in process (test client, one at a time, {c['count']} requests):"
        f" CPU {c['cpu']:5.2f} ms/request  {c['queries']} queries  p50 {c['p50']:5.1f} ms"
        f"  p99 {c['p99']:5.1f} ms  (the 20 ms target is the figure through nginx)"
    )


def report_heatmap_http(hh: dict) -> None:
    say(
        f"  heatmap endpoint through nginx, 1 client: p50 {hh['p50']:5.1f} ms  "
        f"p99 {hh['p99']:5.1f} ms  ({hh['count']} requests)"
    )


def report_heatmap(args: argparse.Namespace, h: dict) -> None:
    say(
        f"  heatmap of a year, {h['checkins']:,} check-ins over {args.heatmap_years} years, "
        f"in process ({h['queries']} query): p50 {h['p50']:5.1f} ms  p99 {h['p99']:5.1f} ms  "
        f"best {h['best']:5.1f} ms  (p50 <= 10 ms: {verdict(h['p50'] <= 10)})"
    )


def report_reminders(args: argparse.Namespace, r: dict | str) -> None:
    if isinstance(r, str):
        say(f"  reminder pass: {r}")
        return
    runs = ", ".join(f"{x:.0f}" for x in r["runs"])
    say(
        f"  reminder pass over {args.reminder_habits:,} due habits: best {r['best']:.0f} ms"
        f" (runs: {runs} ms; <= 1 s: {verdict(r['best'] <= 1000)}); returned {r['result']},"
        f" {r['left_due']} still due"
    )
    server = "n/a" if r["server_cpu"] is None else f"{r['server_cpu']:.2f} s"
    if len(r["server_cpus"]) > 1 and None not in r["server_cpus"]:
        server += f" (each pass: {', '.join(f'{x:.2f}' for x in r['server_cpus'])} s)"
    say(
        f"    {r['queries']} queries (this thread's); CPU: this process {r['cpu']:.2f} s, its"
        f" {r['sessions']} PostgreSQL session(s) {server} in all (the pass's own work, whatever"
        " else the machine runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkin-users", type=int, default=100)
    parser.add_argument("--heatmap-years", type=int, default=5)
    parser.add_argument("--reminder-habits", type=int, default=100_000)
    parser.add_argument("--reminder-owners", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--seconds", type=float, default=10, help="check-in load")
    parser.add_argument("--checkin-concurrency", type=int, default=4)
    parser.add_argument("--heatmap-runs", type=int, default=200)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--database", default="cotask_bench_habits")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--gateway-port", type=int, default=57580)
    parser.add_argument("--service-port-base", type=int, default=57600)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="generate the data again")
    parser.add_argument(
        "--row-by-row",
        action="store_true",
        help="time the reminder pass's row-by-row path (SQLite's) instead of the set-based one",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=0,
        help="database sessions of the reminder pass (default: the pass's own, SQL_SESSIONS)",
    )
    parser.add_argument("--in-process", action="store_true", help="no stack, no check-in load")
    parser.add_argument(
        "--checkin-requests", type=int, default=500, help="check-ins timed in process"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process check-ins")
    parser.add_argument(
        "--orm",
        action="store_true",
        help="the in-process check-ins by the ORM twins of habits.tracking.hot_sql",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    var_dir, env, key, kid = bench_process(args, name="bench-habits", service_dir=SERVICE)
    state = kept_data(
        var_dir,
        still_good=lambda state: not args.reseed and data_present(state, args),
        generate=lambda: generate(args),
    )
    close_day(state)

    say(
        f"\nhabits benchmark — {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the start"
    )
    if not args.in_process:
        tokens = tokens_for(state["checkin_users"], key, kid)
        long_token = tokens_for([state["long_owner"]], key, kid)[0]
        stack = stack_for(args, name="bench-habits", env=env)
        try:
            say(
                f"  (stack: {args.web_workers} gunicorn workers x {args.web_threads} threads, "
                "load from Python threads)"
            )
            report_checkin(args, measure_checkins(args, state, tokens))
            report_heatmap_http(measure_heatmap_http(args, state, long_token))
        finally:
            stack.stop()
    if args.checkin_requests:
        report_checkin_in_process(measure_checkins_in_process(args, state, key, kid))
    report_heatmap(args, measure_heatmap_in_process(args, state))
    if args.passes:
        report_reminders(args, measure_reminder_pass(args))
    say(f"  load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
