"""notifications-service websocket benchmark: event-to-frame latency and idle connections.

    eval "$(scripts/infra env)"      # REDIS_URL (required: uvicorn and this process share the
                                     # channel layer) and DATABASE_URL (optional; SQLite otherwise)
    .venv/bin/python bench/notifications_ws.py [--rate 100] [--seconds 10] [--users 50]
                                               [--idle 5000]

It runs notifications-service under uvicorn (one process) in a scratch schema / database,
then:
1. latency: `--users` sockets are open; this process handles `social.like.created` events at
   `--rate` per second through the consumer's own path (`handle_event`: store, commit, push
   through Redis) and times each from the start of handling to the frame at the client
   (p50 / p99 / max). The social API and the Kafka hop are not included (see the report).
2. idle: `--idle` more sockets connect and stay; the server process's resident memory is read
   from /proc before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "notifications-service"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup_django(var_dir: Path) -> None:
    os.environ["COTASK_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ["DATABASE_SCHEMA"] = "bench_notifications"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    # Only this script's setup runs the ORM inside its event loop (sequentially); the server
    # does not get this variable.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sys.path.insert(0, str(SERVICE))
    os.chdir(SERVICE)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_tickets(user_ids: list[uuid.UUID]) -> list[str]:
    import secrets

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


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
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
        ],
        cwd=SERVICE,
        env=env,
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


async def open_sockets(url: str, tickets: list[str], concurrency: int = 200) -> list:
    import websockets

    sockets: list = []
    semaphore = asyncio.Semaphore(concurrency)

    async def one(ticket: str) -> None:
        async with semaphore:
            ws = await websockets.connect(
                f"{url}?ticket={ticket}", open_timeout=60, ping_interval=None, max_queue=64
            )
            await ws.recv()  # hello
            sockets.append(ws)

    await asyncio.gather(*(one(t) for t in tickets))
    return sockets


async def latency_phase(url: str, *, users: int, rate: float, seconds: float) -> list[float]:
    from cotask_common.events.testing import handle_event, make_event

    author_ids = [uuid.uuid4() for _ in range(users)]
    liker = uuid.uuid4()
    tickets = make_tickets(author_ids)
    sockets = await open_sockets(url, tickets)
    started: dict[str, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    done = asyncio.Event()

    async def reader(ws) -> None:
        async for raw in ws:
            received = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "notification":
                continue
            target = message["notification"]["target"]["id"]
            latencies.append((received - started.pop(target)) * 1000)
            if len(latencies) >= total:
                done.set()

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]

    def produce() -> None:
        interval = 1 / rate
        next_at = time.perf_counter()
        for i in range(total):
            post_id = str(uuid.uuid4())
            author = author_ids[i % users]
            event = make_event(
                type="social.like.created",
                key=post_id,
                actor=liker,
                data={
                    "target_kind": "post",
                    "target_id": post_id,
                    "post_id": post_id,
                    "target_author_id": str(author),
                    "user_id": str(liker),
                },
            )
            started[post_id] = time.perf_counter()
            handle_event(event)
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=seconds + 30)
    except TimeoutError:
        print(f"  only {len(latencies)}/{total} frames arrived", flush=True)
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    return latencies


async def idle_phase(url: str, *, count: int, server_pid: int) -> tuple[float, float, int]:
    tickets = make_tickets([uuid.uuid4() for _ in range(count)])
    await asyncio.sleep(1)
    before = rss_mib(server_pid)
    started = time.perf_counter()
    sockets = await open_sockets(url, tickets)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(3)
    after = rss_mib(server_pid)
    print(f"  opened {len(sockets)} sockets in {elapsed:.1f}s", flush=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return before, after, len(sockets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--idle", type=int, default=5000)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit('REDIS_URL is required (eval "$(scripts/infra env)")')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it too
    var_dir = ROOT / "var" / "bench" / "notifications"
    var_dir.mkdir(parents=True, exist_ok=True)
    setup_django(var_dir)
    from django.conf import settings

    port = free_port()
    server_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    server = start_server(port, server_env)
    url = f"ws://127.0.0.1:{port}/ws/"
    try:
        print(
            f"database: {settings.DATABASES['default']['ENGINE']}; channel layer: "
            f"{settings.CHANNEL_LAYERS['default']['BACKEND']}; uvicorn pid {server.pid}"
        )
        print(
            f"latency: {args.rate:.0f} events/s for {args.seconds:.0f}s over {args.users} "
            "sockets (handle_event -> frame)",
            flush=True,
        )
        latencies = asyncio.run(
            latency_phase(url, users=args.users, rate=args.rate, seconds=args.seconds)
        )
        if latencies:
            print(
                f"  frames {len(latencies)}  p50 {statistics.median(latencies):.1f} ms  "
                f"p99 {percentile(latencies, 99):.1f} ms  max {max(latencies):.1f} ms"
            )
        print(f"idle: {args.idle} connections to one uvicorn process", flush=True)
        before, after, opened = asyncio.run(idle_phase(url, count=args.idle, server_pid=server.pid))
        print(
            f"  server RSS {before:.0f} MiB -> {after:.0f} MiB with {opened} open sockets "
            f"({(after - before) * 1024 / max(opened, 1):.1f} KiB per connection)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


if __name__ == "__main__":
    main()
