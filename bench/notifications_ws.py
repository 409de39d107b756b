"""notifications-service websocket benchmark: event-to-frame latency and idle connections.

    eval "$(scripts/infra env)"      # REDIS_URL (required: uvicorn and the event processes
                                     # share the channel layer), DATABASE_URL (PostgreSQL,
                                     # required), KAFKA_BOOTSTRAP_SERVERS (else the embedded log)
    .venv/bin/python bench/notifications_ws.py [--via bus|handler] [--rate 100] [--seconds 10]
                                               [--users 50] [--idle 5000] [--repeat 1]

It runs notifications-service under uvicorn (one process) on scratch schemas of the database
(`bench_notifications`, `bench_outbox`), Kafka topics and consumer groups prefixed `bench.`
(KAFKA_TOPIC_PREFIX, so a test run sharing the broker is not disturbed), and the websocket
clients in a process of their own (their timestamps must not wait for the bench's own work;
see bench/notifications_clients.py). Then:

1. latency: `--users` sockets are open; `social.like.created` events are committed at `--rate`
   per second, each for one of the users, and timed from that commit to the frame at the client:
   - `--via bus` (default): each event is committed to an outbox exactly as social's like
     transaction does it (`publish_event`: the row and the NOTIFY); a relay process (the kit's
     `run_relay`, as social's `run_events` runs it) publishes it to the bus, and notifications'
     consumer process (`manage.py consume_events`) stores it and pushes it through Redis to
     uvicorn. Everything after social's transaction: the part the notifications side owns.
   - `--via handler`: this process calls `handle_event` (store, commit, push) itself: the
     consumer's own work without the relay, the bus and the consumer loop.
   Each figure is split at the notification's `updated_at` (stamped by the consumer) into
   "commit -> stored" and "stored -> frame". The SQL, Redis, Kafka and uvicorn servers are real.
2. idle: `--idle` more sockets connect and stay; the server process's resident memory is read
   from /proc before and after, and the server's log is searched for errors (Redis read
   timeouts, exhausted pools) while they connect.

`--repeat N` runs the latency phase N times (the machine may be shared: report the spread).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notifications_clients import (
    busy_share,
    idle_holder,
    listener,
    machine_busy,
    parse_time,
    percentile,
    summary,
)

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "notifications-service"
CONSUMER_SCHEMA = "bench_notifications"
OUTBOX_SCHEMA = "bench_outbox"
TOPIC_PREFIX = "bench."
# A traceback in uvicorn's log: its first line, and the exception it ended with.
SERVER_ERROR = "Exception in ASGI application"
EXCEPTION_LINE = re.compile(r"^([\w.]+(?:Error|Exception)): ?(.*)$", re.MULTILINE)


def server_errors(log_path: Path, start: int) -> tuple[int, dict[str, int]]:
    """Tracebacks logged after byte `start`, and how many ended in each exception."""
    text = log_path.read_bytes()[start:].decode(errors="replace")
    kinds: dict[str, int] = {}
    for chunk in text.split(SERVER_ERROR)[1:]:
        found = EXCEPTION_LINE.findall(chunk)
        kind = f"{found[-1][0]}: {found[-1][1][:40]}" if found else "?"
        kinds[kind] = kinds.get(kind, 0) + 1
    return text.count(SERVER_ERROR), kinds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_env(var_dir: Path, schema: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "COTASK_VAR_DIR": str(var_dir),
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-secret"),
            "DATABASE_SCHEMA": schema,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "KAFKA_TOPIC_PREFIX": TOPIC_PREFIX,
            "EVENT_LOG_PATH": str(var_dir / "events.sqlite3"),
        }
    )
    return env


def setup_django(env: dict[str, str], *, as_service: str | None = None) -> None:
    """Django for notifications-service in this process; `as_service` pretends to be another
    service (the outbox and relay of the bus path stand in for social's)."""
    os.environ.update(env)
    sys.path.insert(0, str(SERVICE))
    os.chdir(SERVICE)
    from cotask_common.entrypoints import prepare

    prepare()  # var/ (COTASK_VAR_DIR) first: importing settings creates nothing
    import django

    django.setup()
    if as_service:
        from django.conf import settings

        settings.COTASK_SERVICE = as_service


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=SERVICE,
        env=env,
        check=True,
    )


def make_tickets(user_ids: list[uuid.UUID]) -> list[str]:
    from django.utils import timezone
    from notifications.inbox.models import Recipient, WsTicket
    from notifications.inbox.services import _digest

    Recipient.objects.bulk_create([Recipient(id=u) for u in user_ids], ignore_conflicts=True)
    tickets = [secrets.token_urlsafe(32) for _ in user_ids]
    expires = timezone.now() + timedelta(minutes=30)
    WsTicket.objects.bulk_create(
        [
            WsTicket(digest=_digest(t), user_id=u, username="bench", expires_at=expires)
            for t, u in zip(tickets, user_ids, strict=True)
        ],
        batch_size=1000,
    )
    return tickets


def like_data(post_id: str, author: uuid.UUID, liker: uuid.UUID) -> dict[str, Any]:
    # A valid social.like.created (v2, cotask_common/contracts/social.py): publish_event checks.
    return {
        "target_type": "post",
        "target_id": post_id,
        "post_id": post_id,
        "comment_id": None,
        "target_author_id": str(author),
        "user_id": str(liker),
        "recipient_ids": [str(author)],
    }


def produce(
    plan: list[tuple[str, uuid.UUID]], liker: uuid.UUID, rate: float, via: str
) -> dict[str, float]:
    """Commit one like event per plan entry at `rate`; return {post id: commit time}."""
    from django.db import transaction

    from cotask_common.events.consumer import handle_event
    from cotask_common.events.envelope import Event
    from cotask_common.events.outbox import publish_event

    committed: dict[str, float] = {}
    started = time.time()
    for n, (post_id, author) in enumerate(plan):
        time.sleep(max(0.0, started + n / rate - time.time()))
        data = like_data(post_id, author, liker)
        if via == "bus":
            with transaction.atomic():  # what social's like transaction adds to its own writes
                publish_event(type="social.like.created", key=post_id, actor=liker, data=data)
        else:
            event = Event.new(
                type="social.like.created", key=post_id, actor=liker, data=data, producer="social"
            )
            committed[post_id] = time.time()  # handle_event includes the commit: time it all
            handle_event(event)
            continue
        committed[post_id] = time.time()
    return committed


def outbox_producer(
    conn: Any, env: dict[str, str], plan: list[tuple[str, uuid.UUID]], liker: uuid.UUID, rate: float
) -> None:
    """Child process: social's side of the bus path (its outbox, in OUTBOX_SCHEMA)."""
    setup_django(env, as_service="social")
    conn.recv()  # go
    conn.send(produce(plan, liker, rate, "bus"))


def relay(conn: Any, env: dict[str, str]) -> None:
    """Child process: the outbox relay as social's `run_events` runs it (LISTEN/NOTIFY wakeup)."""
    setup_django(env, as_service="social")
    from cotask_common.events.bus import get_bus
    from cotask_common.events.relay import run_relay

    stop = threading.Event()
    threading.Thread(target=lambda: (conn.recv(), stop.set()), daemon=True).start()
    run_relay(bus=get_bus(), stop_event=stop)


def warm_up(outbox_env: dict[str, str], count: int = 20) -> None:
    """Events through the bus path until the consumer stores them: its group has joined and the
    topics exist before anything is timed."""
    from notifications.inbox.models import Notification

    ctx = multiprocessing.get_context("spawn")
    author = uuid.uuid4()
    plan = [(str(uuid.uuid4()), author) for _ in range(count)]
    started = time.time()
    parent, child = ctx.Pipe()
    producer = ctx.Process(target=outbox_producer, args=(child, outbox_env, plan, uuid.uuid4(), 20))
    producer.start()
    parent.send("go")
    parent.recv()
    producer.join()
    while Notification.objects.filter(recipient_id=author).count() < count:
        if time.time() - started > 120:
            raise SystemExit(
                "the consumer stored nothing within 120 s: see var/bench/.../consumer.log"
            )
        time.sleep(0.2)
    print(f"warm-up: {count} events through the bus in {time.time() - started:.1f}s", flush=True)


def start_server(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--backlog",
            "4096",
            "--ws-per-message-deflate",  # as the stack and the container run it
            "false",
        ],
        cwd=SERVICE,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("uvicorn did not start")


def latency_round(
    url: str,
    args: argparse.Namespace,
    outbox_env: dict[str, str],
    round_no: int,
    watched: dict[str, int],
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    authors = [uuid.uuid4() for _ in range(args.users)]
    liker = uuid.uuid4()
    tickets = make_tickets(authors)
    total = int(args.rate * args.seconds)
    plan = [(str(uuid.uuid4()), authors[i % args.users]) for i in range(total)]

    listen_end, listen_child = ctx.Pipe()
    listening = ctx.Process(
        target=listener, args=(listen_child, [f"{url}?ticket={t}" for t in tickets])
    )
    listening.start()
    opened = listen_end.recv()
    if opened["failed"]:
        print(f"  {opened['failed']} of {args.users} sockets failed to open", flush=True)

    watched = {**watched, "clients": listening.pid}
    if args.via == "bus":
        producer_end, producer_child = ctx.Pipe()
        producer = ctx.Process(
            target=outbox_producer, args=(producer_child, outbox_env, plan, liker, args.rate)
        )
        producer.start()
        time.sleep(1.0)  # its Django is set up meanwhile
        watched["producer"] = producer.pid
        cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
        busy_before = machine_busy()
        producer_end.send("go")
        listen_end.send((total, time.time() + args.seconds + 60))
        committed = producer_end.recv()
    else:
        cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
        busy_before = machine_busy()
        listen_end.send((total, time.time() + args.seconds + 60))
        committed = produce(plan, liker, args.rate, "handler")
    result = listen_end.recv()
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in watched.items()}
    busy = busy_share(busy_before, machine_busy())
    listening.join()
    if args.via == "bus":
        producer.join()

    to_frame, to_stored, stored_to_frame = [], [], []
    rows = []
    for at, notification in result["frames"]:
        post_id = notification["target"]["id"]
        if post_id not in committed:
            continue
        to_frame.append((at - committed[post_id]) * 1000)
        stored = parse_time(notification.get("updated_at"))
        if stored is not None:
            to_stored.append((stored - committed[post_id]) * 1000)
            stored_to_frame.append((at - stored) * 1000)
        rows.append((committed[post_id], stored or 0.0, at))
    if args.csv:
        with open(args.csv, "a") as out:  # one line per frame: round, commit, stored, frame
            out.writelines(f"{round_no},{c:.6f},{s:.6f},{f:.6f}\n" for c, s, f in sorted(rows))
    print(f"  round {round_no}: frames {len(to_frame)}/{total}", flush=True)
    for name, values in (
        ("commit -> frame", to_frame),
        ("commit -> stored", to_stored),
        ("stored -> frame", stored_to_frame),
    ):
        print(f"    {name:18s} {summary(values)}", flush=True)
    print(
        "    CPU ms per event: "
        + ", ".join(f"{name} {seconds * 1000 / total:.1f}" for name, seconds in cpu.items())
        + f"; {busy}",
        flush=True,
    )
    return {"frames": len(to_frame), "total": total, "values": to_frame}


def idle_phase(url: str, count: int, server_pid: int, log_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    tickets = make_tickets([uuid.uuid4() for _ in range(count)])
    time.sleep(1)
    log_start = log_path.stat().st_size
    before = rss_mib(server_pid)
    parent, child = ctx.Pipe()
    holder = ctx.Process(target=idle_holder, args=(child, [f"{url}?ticket={t}" for t in tickets]))
    holder.start()
    opened = parent.recv()
    time.sleep(8)  # longer than the channel layer's 5 s blocking read: idle time is tested too
    after = rss_mib(server_pid)
    parent.send("close")
    dropped = parent.recv()["dropped"]
    holder.join()
    errors, kinds = server_errors(log_path, log_start)
    print(
        f"  opened {opened['opened']} sockets in {opened['seconds']:.1f}s "
        f"({opened['failed']} failed, {dropped} dropped by the server while idle)"
    )
    print(
        f"  server RSS {before:.0f} MiB -> {after:.0f} MiB with {opened['opened']} open sockets "
        f"({(after - before) * 1024 / max(opened['opened'], 1):.1f} KiB per connection); "
        f"server errors while connecting: {errors}"
    )
    for kind, count in sorted(kinds.items()):
        print(f"    {count} x {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--via", choices=("bus", "handler"), default="bus")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--idle", type=int, default=5000, help="0 skips the idle phase")
    parser.add_argument("--repeat", type=int, default=1, help="latency rounds")
    parser.add_argument("--csv", help="append each frame's times (round, commit, stored, frame)")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        # `make bench` runs every script; this one needs the servers.
        print("skipped: needs REDIS_URL and a PostgreSQL DATABASE_URL (scripts/infra env)")
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the children inherit it too
    var_dir = ROOT / "var" / "bench" / "notifications"
    var_dir.mkdir(parents=True, exist_ok=True)
    consumer_env = service_env(var_dir, CONSUMER_SCHEMA)
    outbox_env = service_env(var_dir, OUTBOX_SCHEMA)
    migrate(consumer_env)
    if args.via == "bus":
        migrate(outbox_env)
    setup_django(consumer_env)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # only for this process's own setup
    from django.conf import settings

    port = free_port()
    log_path = var_dir / "uvicorn.log"
    server = start_server(port, consumer_env, log_path)
    url = f"ws://127.0.0.1:{port}/ws/"
    helpers: list[tuple[Any, Any]] = []
    watch: list[tuple[str, Any]] = []  # processes whose CPU time is reported
    try:
        if args.via == "bus":
            consumer = subprocess.Popen(
                [sys.executable, "manage.py", "consume_events"],
                cwd=SERVICE,
                env=consumer_env,
                stdout=open(var_dir / "consumer.log", "wb"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
            helpers.append((consumer, None))
            watch.append(("consumer", consumer))
            ctx = multiprocessing.get_context("spawn")
            relay_end, relay_child = ctx.Pipe()
            relaying = ctx.Process(target=relay, args=(relay_child, outbox_env))
            relaying.start()
            helpers.append((relaying, relay_end))
            watch.append(("relay", relaying))
            warm_up(outbox_env)
        print(
            f"database: {settings.DATABASES['default']['ENGINE']}; bus: {settings.COTASK_EVENT_BUS}"
            f"; channel layer: {settings.CHANNEL_LAYERS['default']['BACKEND']}; "
            f"uvicorn pid {server.pid}"
        )
        print(
            f"latency: {args.rate:.0f} events/s for {args.seconds:.0f}s over {args.users} sockets"
            f" (via {args.via}: commit -> frame)",
            flush=True,
        )
        watched = {"uvicorn": server.pid, **{name: p.pid for name, p in watch}}
        rounds = [latency_round(url, args, outbox_env, n + 1, watched) for n in range(args.repeat)]
        if len(rounds) > 1:
            p50s = [percentile(r["values"], 50) for r in rounds if r["values"]]
            p99s = [percentile(r["values"], 99) for r in rounds if r["values"]]
            print(
                f"  over {len(rounds)} rounds: p50 {min(p50s):.1f}-{max(p50s):.1f} ms "
                f"(median {statistics.median(p50s):.1f}), p99 {min(p99s):.1f}-{max(p99s):.1f} ms "
                f"(median {statistics.median(p99s):.1f})"
            )
        if args.idle:
            print(f"idle: {args.idle} connections to one uvicorn process", flush=True)
            idle_phase(url, args.idle, server.pid, log_path)
    finally:
        for process, pipe in helpers:
            if pipe is not None:
                pipe.send("stop")
                process.join(timeout=15)
            else:
                process.terminate()
                process.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


if __name__ == "__main__":
    main()
