"""tasks-service board benchmark: a big team room, through nginx, on real PostgreSQL.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/tasks_board.py                  # the target scale (data kept for reuse)
    .venv/bin/python bench/tasks_board.py --in-process     # each view alone, with its queries
    .venv/bin/python bench/tasks_board.py --reseed         # generate the data again

It never touches the test databases: everything lives in its own PostgreSQL database
(`--database`, default `cotask_bench_tasks`, created when missing), its own Redis database
(`--redis-db`, 13) and var folder (`var/bench-tasks`). No Kafka: the services use the embedded bus
and their event processes are not started.

1. Generate once (COPY; kept and reused while the sizes match, `--reseed` to redo): one team room
   with `--members` members (1 owner, 4 admins, viewers for the last 5%, the rest members), 12
   labels and `--tasks` tasks spread over the three columns (30% pending, 10% in progress, 60%
   completed; positions 1024 apart), 0-2 assignees and 0-2 labels each, a deadline on half, a
   subtask in 20 of them and a "blocked by" in 2 of 100; every member's personal space with
   `--personal-tasks` tasks; a `created` history line per task.
2. Start the stack (nginx + the six services' web processes, `--web-workers` single-threaded
   gunicorn workers each, no Celery, no event processes) and measure with `--concurrency` (32)
   and then `--light-concurrency` (4) clients, each request with the next member's token:
   the framework's floor (GET /api/tasks/whoami: authentication, routing, JSON), "my tasks"
   (GET /api/tasks/my-tasks/) and the board (GET /api/tasks/rooms/{id}/board/), p50/p99 and
   requests per second; then `--moves` board moves (POST /api/tasks/tasks/{id}/move/ to a random
   column, before or after one of the first tasks of that column) from `--move-concurrency` (1)
   client(s).

`--in-process` skips 2: the same requests one at a time through Django's test client (no nginx,
no gunicorn, no concurrency), with each request's query count (`--queries` prints them,
`--explain` adds PostgreSQL's plan of each): the figure to compare code changes with on a busy
machine. "my tasks" and the board are measured cold (the shared cache and the process's own
copies emptied before each request: every one renders) and warm (a hit, from the process's own
copy of the page once it has one, as a web worker serves a page it served before).

Targets: my tasks and the board at 32 clients >= 60% of the floor's throughput; their p99 at 4
clients <= 50 ms; a move's p99 <= 30 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from http_bench import (
    ROOT,
    bench_process,
    copy_objects,
    kept_data,
    load,
    percentile,
    stack_for,
    tokens_for,
)

from cotask_common.ids import uuid7_at

SERVICE = ROOT / "tasks-service"
GAP = 1024
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
COLUMNS = ("pending", "in_progress", "completed")
FLOOR = "/api/tasks/whoami"
MY_TASKS = "/api/tasks/my-tasks/"


def board_path(room_id: str) -> str:
    return f"/api/tasks/rooms/{room_id}/board/"


def move_path(task_id: str) -> str:
    return f"/api/tasks/tasks/{task_id}/move/"


# ---------------------------------------------------------------------------------------------
# Data


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from tasks.comments.models import Comment
    from tasks.planning.models import Assignment, Dependency, Task, TaskChange
    from tasks.rooms.models import Label, Membership, MembershipChange, Room, RoomKind, RoomRole

    from cotask_common.users.models import UserRef

    rng = random.Random(args.seed)  # noqa: S311 - reproducible data, not secrets
    now = datetime.now(tz=UTC)
    now_ms = int(now.timestamp() * 1000)
    start_ms = now_ms - 365 * 24 * 3600 * 1000
    TaskLabel = Task.labels.through

    with connection.cursor() as cursor:
        for model in (Comment, TaskChange, Dependency, Assignment, TaskLabel, Task, Label,
                      MembershipChange, Membership, Room, UserRef):  # fmt: skip
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")

    n = args.members
    user_ids = [uuid7_at(start_ms + i) for i in range(n)]
    roles = [
        RoomRole.OWNER if i == 0 else
        RoomRole.ADMIN if i < 5 else
        RoomRole.VIEWER if i >= n - max(1, n // 20) else
        RoomRole.MEMBER
        for i in range(n)
    ]  # fmt: skip
    workers = [i for i in range(n) if roles[i] != RoomRole.VIEWER]
    copy_objects(
        UserRef,
        (UserRef(id=user_ids[i], username=f"bench{i}", display_name=f"Bench {i}",
                 email_verified=True) for i in range(n)),
        n,
        "users",
    )  # fmt: skip

    room = Room(
        id=uuid7_at(start_ms),
        kind=RoomKind.TEAM,
        name="Bench room",
        description="The benchmark's big room",
        owner_id=user_ids[0],
        join_code="".join(secrets.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in "x" * 9),
    )
    personal = [
        Room(id=uuid7_at(start_ms + 1000 + i), kind=RoomKind.PERSONAL, name="Personal space",
             owner_id=user_ids[i], join_code=None)
        for i in range(n)
    ]  # fmt: skip
    copy_objects(Room, [room, *personal], n + 1, "rooms")
    copy_objects(
        Membership,
        [
            *(Membership(room_id=room.id, user_id=user_ids[i], role=roles[i]) for i in range(n)),
            *(Membership(room_id=p.id, user_id=p.owner_id, role=RoomRole.OWNER) for p in personal),
        ],
        2 * n,
        "memberships",
    )
    labels = [
        Label(id=uuid7_at(start_ms + 2000 + i), room_id=room.id, name=f"label {i}",
              color=f"#{rng.randrange(0x1000000):06x}")
        for i in range(12)
    ]  # fmt: skip
    copy_objects(Label, labels, len(labels), "labels")

    # The room's tasks, oldest first (ids follow creation time); statuses 30/10/60.
    count = args.tasks
    task_ids = [uuid7_at(start_ms + 5000 + i * (now_ms - start_ms - 10_000) // count)
                for i in range(count)]  # fmt: skip
    statuses = rng.choices(COLUMNS, weights=(30, 10, 60), k=count)
    # Subtasks: 20% of the tasks are the child of an earlier task that is no one's child.
    parents: list[int | None] = [None] * count
    for i in range(1, count):
        if rng.random() < 0.2:
            p = rng.randrange(i)
            if parents[p] is None:
                parents[i] = p
    next_position = dict.fromkeys(COLUMNS, GAP)

    def room_task(i: int) -> Task:
        status = statuses[i]
        position = next_position[status]
        next_position[status] += GAP
        due_date = due_at = None
        due_sort = NO_DEADLINE  # what the services store for "no deadline" (sorts last)
        kind = rng.random()
        if kind < 0.3:
            due_date = (now + timedelta(days=rng.randint(-60, 60))).date()
            due_sort = datetime(due_date.year, due_date.month, due_date.day, tzinfo=UTC)
        elif kind < 0.5:
            due_at = due_sort = now + timedelta(minutes=rng.randint(-60 * 24 * 60, 60 * 24 * 60))
        created = datetime.fromtimestamp((task_ids[i].int >> 80) / 1000, tz=UTC)  # uuid7 ms
        done = status == "completed"
        return Task(
            id=task_ids[i],
            room_id=room.id,
            parent_id=task_ids[parents[i]] if parents[i] is not None else None,
            title=f"Task {i}: {rng.choice(('fix', 'write', 'review', 'plan', 'ship'))} "
            f"the {rng.choice(('report', 'release', 'design', 'budget', 'tests'))}",
            description=f"What task {i} is about, in a sentence or two.",
            status=status,
            priority=rng.randrange(5),
            position=position,
            due_date=due_date,
            due_at=due_at,
            due_sort=due_sort,
            estimate_minutes=rng.choice((None, 15, 30, 60, 120, 240)),
            creator_id=user_ids[rng.choice(workers)],
            completed_at=created + timedelta(days=1) if done else None,
            completed_by_id=user_ids[rng.choice(workers)] if done else None,
            created_at=created,
            updated_at=created,
        )

    personal_count = args.personal_tasks * n
    personal_ids = [uuid7_at(now_ms - personal_count + j) for j in range(personal_count)]

    def personal_task(j: int) -> Task:
        space = personal[j // args.personal_tasks]
        return Task(
            id=personal_ids[j],
            room_id=space.id,
            title=f"Personal {j}",
            status="pending",
            position=(j % args.personal_tasks + 1) * GAP,
            creator_id=space.owner_id,
            created_at=now,
            updated_at=now,
        )

    copy_objects(Task, (room_task(i) for i in range(count)), count, "tasks")
    copy_objects(Task, (personal_task(j) for j in range(personal_count)), personal_count,
                 "personal tasks")  # fmt: skip
    assignments = []
    for i in range(count):
        k = rng.choices((0, 1, 2), weights=(20, 65, 15))[0]
        for w in rng.sample(workers, k):
            assignments.append(Assignment(task_id=task_ids[i], user_id=user_ids[w]))
    # Half of the personal tasks name their owner (the only assignee they can have).
    assignments += [
        Assignment(task_id=personal_ids[j], user_id=user_ids[j // args.personal_tasks])
        for j in range(0, personal_count, 2)
    ]
    copy_objects(Assignment, assignments, len(assignments), "assignments")
    task_labels = [
        TaskLabel(task_id=task_ids[i], label_id=label.id)
        for i in range(count)
        for label in rng.sample(labels, rng.choices((0, 1, 2), weights=(40, 45, 15))[0])
    ]
    copy_objects(TaskLabel, task_labels, len(task_labels), "task labels")
    dependencies = [
        Dependency(task_id=task_ids[i], blocked_by_id=task_ids[rng.randrange(i)])
        for i in range(1, count)
        if rng.random() < 0.02
    ]  # always on an older task: no cycles
    copy_objects(Dependency, dependencies, len(dependencies), "dependencies")
    copy_objects(
        TaskChange,
        (TaskChange(id=task_ids[i], task_id=task_ids[i], actor_id=user_ids[0], field="created")
         for i in range(count)),
        count,
        "history",
    )  # fmt: skip
    with connection.cursor() as cursor:
        for model in (UserRef, Room, Membership, Label, Task, Assignment, TaskLabel, Dependency,
                      TaskChange):  # fmt: skip
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {
        "sizes": sizes_of(args),
        "room_id": str(room.id),
        "user_ids": [str(u) for u in user_ids],
        "roles": [str(r) for r in roles],
    }


def sizes_of(args: argparse.Namespace) -> list[int]:
    return [args.tasks, args.members, args.personal_tasks, args.seed]


def data_present(state: dict[str, Any], args: argparse.Namespace) -> bool:
    from tasks.planning.models import Task

    return (
        state.get("sizes") == sizes_of(args)
        and Task.objects.filter(room_id=state["room_id"]).count() == args.tasks
    )


def move_plan(state: dict[str, Any], total: int) -> list[tuple[str, bytes]]:
    """`total` moves: a random task of the room to a random column, just before or after one of
    40 random tasks of that column (the anchors, never moved themselves, so every move stays
    valid whatever order concurrent clients run them in). New anchors each run: the gaps next
    to them are fresh, as on a board many people use (a used-up gap renumbers the column)."""
    from tasks.planning.models import Task

    rng = random.Random()  # noqa: S311
    rows = list(
        Task.objects.filter(room_id=state["room_id"], parent__isnull=True).values_list(
            "id", "status"
        )
    )
    anchors = {
        column: rng.sample([str(i) for i, status in rows if status == column], 40)
        for column in COLUMNS
    }
    taken = {a for column in anchors.values() for a in column}
    movable = rng.sample([str(i) for i, _ in rows if str(i) not in taken], total)
    plan = []
    for task_id in movable:
        column = rng.choice(COLUMNS)
        side = rng.choice(("before_id", "after_id"))
        body = {"status": column, side: rng.choice(anchors[column])}
        plan.append((move_path(task_id), json.dumps(body).encode()))
    return plan


# ---------------------------------------------------------------------------------------------
# Measuring


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--personal-tasks", type=int, default=20, help="per member")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--seconds", type=float, default=10, help="per load measurement")
    parser.add_argument(
        "--light-requests", type=int, default=200, help="with --in-process: per endpoint"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--light-concurrency", type=int, default=4)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--move-concurrency", type=int, default=1)
    parser.add_argument("--database", default="cotask_bench_tasks")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--gateway-port", type=int, default=57380)
    parser.add_argument("--service-port-base", type=int, default=57400)
    # Single-threaded workers: the views are CPU-bound Python (see bench/social_feed.py).
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="generate the data again")
    parser.add_argument(
        "--in-process", action="store_true", help="no stack: each view through the test client"
    )
    parser.add_argument("--queries", action="store_true", help="with --in-process: print SQL")
    parser.add_argument("--explain", action="store_true", help="with --queries: and the plans")
    parser.add_argument("--profile", action="store_true", help="with --in-process: cProfile")
    args = parser.parse_args()
    # Stopped (timeout, kill): unwind, so the stack's processes are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    var_dir, env, key, kid = bench_process(args, name="bench-tasks", service_dir=SERVICE)
    state = kept_data(
        var_dir,
        still_good=lambda state: not args.reseed and data_present(state, args),
        generate=lambda: generate(args),
    )

    readers = state["user_ids"]
    movers = [u for u, r in zip(state["user_ids"], state["roles"], strict=True) if r != "viewer"]
    tokens = tokens_for(readers, key, kid)
    move_tokens = tokens_for(movers, key, kid)
    plan = move_plan(state, args.moves)

    if args.in_process:
        in_process(args, state, tokens, move_tokens, plan, key, kid)
        return

    stack = stack_for(args, name="bench-tasks", env=env)
    try:
        results = measure(args, state, tokens, move_tokens, plan)
    finally:
        stack.stop()
    report(args, results)


def measure(
    args: argparse.Namespace,
    state: dict[str, Any],
    tokens: list[str],
    move_tokens: list[str],
    plan: list[tuple[str, bytes]],
) -> dict[str, Any]:
    port = args.gateway_port
    endpoints = {"floor": FLOOR, "my tasks": MY_TASKS, "board": board_path(state["room_id"])}
    common = {"port": port, "method": "GET", "tokens": tokens}
    for path in endpoints.values():  # warm-up (connections, caches, PostgreSQL buffers)
        # Every reader once (no time limit): each one's cached page is filled, as after a
        # while of real use; the in-process run (`--in-process`) measures the misses too.
        load(paths=[path], total=len(tokens), concurrency=args.concurrency, **common)
    results: dict[str, Any] = {"heavy": {}, "light": {}}
    for key, concurrency in (("heavy", args.concurrency), ("light", args.light_concurrency)):
        for name, path in endpoints.items():
            results[key][name] = load(
                paths=[path],
                total=10**9,
                concurrency=concurrency,
                seconds=args.seconds,
                **common,
            )
    results["move"] = load(
        port=port,
        method="POST",
        paths=[path for path, _ in plan],
        bodies=[body for _, body in plan],
        tokens=move_tokens,
        total=len(plan),
        concurrency=args.move_concurrency,
    )
    return results


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    heavy, light, move = results["heavy"], results["light"], results["move"]
    floor_rps = heavy["floor"]["rps"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = [
        "",
        f"tasks board benchmark — {args.tasks:,} tasks, {args.members} members, "
        f"{args.web_workers} gunicorn workers x {args.web_threads} threads, "
        f"{os.cpu_count()} CPUs, load from Python threads",
        f"  at {args.concurrency} clients:",
    ]
    for name in ("floor", "my tasks", "board"):
        r = heavy[name]
        share = r["rps"] / floor_rps * 100
        tail = "" if name == "floor" else (
            f"  = {share:3.0f}% of the floor (>= 60%: {verdict(share >= 60)})"
        )  # fmt: skip
        lines.append(
            f"    {name:9} p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  {r['rps']:6.1f} req/s"
            f"  ({r['count']} requests)" + tail
        )
    lines.append(f"  at {args.light_concurrency} clients:")
    for name in ("floor", "my tasks", "board"):
        r = light[name]
        tail = "" if name == "floor" else f"  (p99 <= 50 ms: {verdict(r['p99'] <= 50)})"
        lines.append(
            f"    {name:9} p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  {r['rps']:6.1f} req/s"
            f"  ({r['count']} requests)" + tail
        )
    lines.append(
        f"  move ({args.move_concurrency} client(s), {args.moves} moves): p50 {move['p50']:6.1f} ms"
        f"  p99 {move['p99']:6.1f} ms  (p99 <= 30 ms: {verdict(move['p99'] <= 30)})"
    )
    print("\n".join(lines), flush=True)


def in_process(
    args: argparse.Namespace,
    state: dict[str, Any],
    tokens: list[str],
    move_tokens: list[str],
    plan: list[tuple[str, bytes]],
    key: Any,
    kid: str,
) -> None:
    """Each view's own time, one request after another through Django's test client, with
    its query count; `--queries`/`--explain` print one request's SQL (and plans)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from tasks.planning import pages

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import public_jwk

    # No auth-service to fetch the key set from: trust the bench's signing key directly.
    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    client = Client()

    def call(method: str, path: str, token: str, body: bytes | None = None) -> float:
        started = time.perf_counter()
        if method == "GET":
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        else:
            response = client.post(
                path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
        elapsed = time.perf_counter() - started
        assert response.status_code < 300, (path, response.status_code, response.content[:300])
        return elapsed

    gets = {"floor": FLOOR, "my tasks": MY_TASKS, "board": board_path(state["room_id"])}
    for path in gets.values():
        for token in tokens[:5]:  # warm-up (the UserRefs exist: nothing to create)
            call("GET", path, token)
    lines = ["", f"tasks in-process (test client, one at a time) — {args.tasks:,} tasks"]

    def line(name: str, times: list[float], queries: int) -> str:
        return (
            f"  {name:14} p50 {percentile(times, 50) * 1000:6.2f} ms  "
            f"p99 {percentile(times, 99) * 1000:6.2f} ms  ({len(times)} requests, "
            f"{queries} queries)"
        )

    def captured(method: str, path: str, token: str, body: bytes | None = None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            call(method, path, token, body)
        if args.queries:
            print(f"\n== {method} {path}: {len(ctx.captured_queries)} queries")
            for q in ctx.captured_queries:
                print(f"-- {q['time']} s\n{q['sql']}")
                if args.explain and q["sql"].lstrip("( ").upper().startswith("SELECT"):
                    with connection.cursor() as cursor:
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {q['sql']}")
                        print("\n".join(f"   {row[0]}" for row in cursor.fetchall()))
        return len(ctx.captured_queries)

    n = min(args.light_requests, 1000)

    def timed(path: str, token: str, *, cold: bool) -> tuple[float, float]:
        if cold:  # the bench's own Redis database: no page cached, every request renders
            cache.clear()
            pages.recent.clear()  # and no copy in this process
        cpu = time.process_time()
        elapsed = call("GET", path, token)
        return elapsed, time.process_time() - cpu

    for name, path in gets.items():
        # The lists and the board are cached pages (tasks.planning.pages): measured cold (each
        # request renders, the cost of a miss) and warm (every reader's page filled first, as
        # the HTTP warm-up does; a hit).
        for state in ("cold", "warm") if name != "floor" else ("warm",):
            if state == "warm":
                for token in tokens:
                    call("GET", path, token)
            else:
                cache.clear()
                pages.recent.clear()
            queries = captured("GET", path, tokens[7])
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            measured = [
                timed(path, tokens[i % len(tokens)], cold=state == "cold") for i in range(n)
            ]
            if profiler is not None:
                import pstats

                profiler.disable()
                print(f"== {name} ({state})")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            times = [elapsed for elapsed, _cpu in measured]
            cpu = sum(c for _elapsed, c in measured) / n
            label = name if name == "floor" else f"{name} {state}"
            lines.append(line(label, times, queries) + f", CPU {cpu * 1000:.1f} ms/request")
    queries = captured("POST", plan[0][0], move_tokens[0], plan[0][1])
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    times = [
        call("POST", p, move_tokens[i % len(move_tokens)], body)
        for i, (p, body) in enumerate(plan[1:])
    ]
    cpu = (time.process_time() - cpu) / max(len(times), 1)
    if profiler is not None:
        import pstats

        profiler.disable()
        print("== move")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    lines.append(line("move", times, queries) + f", CPU {cpu * 1000:.1f} ms/request")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
