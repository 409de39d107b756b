"""Event-to-websocket latency through a running stack, as the target defines it: from the response
of the producing API call (a like in social-service, through the gateway) to the notification
frame at the client's websocket.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/notifications_e2e_latency.py --start-stack [--rate 100] [--seconds 10]
    .venv/bin/python bench/notifications_e2e_latency.py --gateway http://127.0.0.1:8080 [...]

The path measured: gateway -> social (like + outbox row, one transaction) -> social's relay ->
the bus -> notifications' consumer (store, commit) -> the channel layer -> the author's socket.
`--authors` accounts each write enough posts, `--likers` accounts like them at `--rate` per
second, each (liker, post) pair once and the same post never twice in a row (so grouping does
not merge frames); every author has one socket open.

The clients run in processes of their own (bench/notifications_clients.py): the likes are sent
open loop (each at its scheduled time, answered or not) over `--workers` keep-alive
connections, and the sockets are read by a separate event loop, so neither the client's rate
nor its timestamps depend on the other's work. Figures (p50 / p90 / p99 / max):
- API call: request sent -> response;
- response -> frame (the headline figure), split at the notification's `updated_at` (stamped by
  the consumer) into response -> stored (relay, bus, consumer) and stored -> frame (commit,
  channel layer, uvicorn, client);
- how late the client sent requests against their schedule (the client is not the limit while
  this stays small), the rate the stack answered, and how busy the machine was.

`--start-stack` starts a lean stack of its own and stops it afterwards: no Celery workers, no
event processes for tasks, habits and media, gateway on `--gateway-port` (57480) and services on
`--service-port-base`+N (57500+N), a database of its own (`--database`, dropped and created afresh),
Redis db `--redis-db` (10), Kafka topics and consumer groups prefixed `bench-e2e.`
(KAFKA_TOPIC_PREFIX: a test suite sharing the broker is not disturbed), generous auth rate
limits, logs in var/bench/e2e/logs/. Against another stack (`--gateway`), that stack must let
this script register and log in `--authors + --likers` accounts quickly (run it with
`AUTH_RATE_LIMIT=120r/m AUTH_RATE_BURST=40 AUTH_THROTTLE_ENABLED=false`, as the e2e suite
does); 429 answers are waited out anyway. `--repeat N` measures N rounds on one setup, after
`--warmup` seconds (2) of likes that are not reported (cold caches and connections).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notifications_clients import (
    busy_share,
    driver,
    listener,
    machine_busy,
    parse_time,
    percentile,
    summary,
)

ROOT = Path(__file__).resolve().parent.parent
TOPIC_PREFIX = "bench-e2e."
_local = threading.local()


def session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def call(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request; 429 answers are waited out (Retry-After)."""
    for _ in range(20):
        response = session().request(method, url, timeout=30, **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers.get("Retry-After") or 1))
    return response


# ---------------------------------------------------------------------------------------------
# A stack of the benchmark's own


def stack_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        raise SystemExit('--start-stack needs PostgreSQL and Redis: eval "$(scripts/infra env)"')
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    for name in ("DATABASE_SCHEMA", "CELERY_BROKER_URL", "S3_ENDPOINT_URL", "CHANNELS_REDIS_URL"):
        env.pop(name, None)
    env.update(
        {
            "DATABASE_URL": urlunparse(urlparse(database_url)._replace(path=f"/{args.database}")),
            "REDIS_URL": urlunparse(urlparse(redis_url)._replace(path=f"/{args.redis_db}")),
            "KAFKA_TOPIC_PREFIX": TOPIC_PREFIX,
            "COTASK_VAR_DIR": str(var_dir),
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "LOG_LEVEL": "WARNING",
            "AUTH_RATE_LIMIT": "120r/m",
            "AUTH_RATE_BURST": "40",
            "AUTH_THROTTLE_ENABLED": "false",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        }
    )
    return env


def fresh_database(name: str) -> None:
    """The benchmark's database, empty: rows and dead tuples left by earlier runs (the outbox,
    notifications, hot counter rows) would make runs incomparable."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def settle_database(name: str) -> None:
    """VACUUM ANALYZE after the setup's inserts, so that autovacuum does not pick the freshly
    filled tables up during the first measured round."""
    import psycopg

    url = urlunparse(urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def start_stack(args: argparse.Namespace) -> Any:
    var_dir = ROOT / "var" / "bench" / "e2e"
    var_dir.mkdir(parents=True, exist_ok=True)
    fresh_database(args.database)
    import redis

    # Its Redis db too: the channel layer's groups and the services' caches of earlier runs.
    redis_url = urlunparse(urlparse(os.environ["REDIS_URL"])._replace(path=f"/{args.redis_db}"))
    redis.Redis.from_url(redis_url).flushdb()
    sys.path.insert(0, str(ROOT / "e2e"))
    from harness import Stack

    skip = [a for s in ("tasks", "habits", "media") for a in ("--skip", f"{s}:events")]
    print(f"starting a stack on :{args.gateway_port} (no workers) …", flush=True)
    return Stack(
        name="bench-e2e",
        gateway_port=args.gateway_port,
        service_port_base=args.service_port_base,
        env=stack_env(args, var_dir),
        extra_args=[
            "--no-workers",
            "--web-workers",
            str(args.web_workers),
            "--web-threads",
            str(args.web_threads),
            *skip,
        ],
    )


# ---------------------------------------------------------------------------------------------
# Setup through the API


def account(gateway: str) -> dict[str, Any]:
    username = f"bench_{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex}"
    registered = call(
        "POST",
        f"{gateway}/api/auth/register/",
        json={"username": username, "email": f"{username}@example.com", "password": password},
    )
    assert registered.status_code == 201, registered.text
    user = {"id": registered.json()["id"], "username": username, "password": password}
    log_in(gateway, user)
    headers = user["headers"]
    deadline = time.monotonic() + 60
    while (
        call("GET", f"{gateway}/api/social/pages/{username}/", headers=headers).status_code != 200
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"social never made the page of {username}: are events running?")
        time.sleep(0.2)
    return user


def log_in(gateway: str, user: dict[str, Any]) -> None:
    login = call(
        "POST",
        f"{gateway}/api/auth/login/",
        json={"login": user["username"], "password": user["password"]},
    )
    assert login.status_code == 200, login.text
    user["headers"] = {"Authorization": f"Bearer {login.json()['access']}"}
    user["logged_in_at"] = time.monotonic()


def fresh_tokens(gateway: str, users: list[dict[str, Any]]) -> None:
    """Access tokens live 5 minutes: log in again those older than 3."""
    stale = [u for u in users if time.monotonic() - u["logged_in_at"] > 180]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda u: log_in(gateway, u), stale))


def post(gateway: str, author: dict[str, Any], n: int) -> str:
    response = call(
        "POST",
        f"{gateway}/api/social/pages/{author['username']}/posts/",
        headers=author["headers"],
        json={"text": f"bench post {n}"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def ticket_url(gateway: str, author: dict[str, Any]) -> str:
    ticket = call("POST", f"{gateway}/api/notifications/ws-ticket/", headers=author["headers"])
    assert ticket.status_code == 201, ticket.text
    url = gateway.replace("http://", "ws://").replace("https://", "wss://")
    return f"{url}/ws/?ticket={ticket.json()['ticket']}"


def setup(gateway: str, args: argparse.Namespace) -> dict[str, Any]:
    total = int(args.rate * args.seconds) * args.repeat + int(args.rate * args.warmup)
    posts_each = math.ceil(total / (args.authors * args.likers))
    print(
        f"setup: {args.authors} authors x {posts_each} posts, {args.likers} likers ({total} likes)",
        flush=True,
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        authors = list(pool.map(lambda _: account(gateway), range(args.authors)))
        likers = list(pool.map(lambda _: account(gateway), range(args.likers)))
        posts = list(
            pool.map(
                lambda pair: (pair[0]["id"], post(gateway, *pair)),
                [(a, n) for n in range(posts_each) for a in authors],
            )
        )
    # Liker-major order: one post is liked again only after every other post was.
    plan = [(liker, post_id) for liker in likers for _author, post_id in posts][:total]
    return {"authors": authors, "likers": likers, "plan": plan}


# ---------------------------------------------------------------------------------------------
# Measuring


def measure_round(
    gateway: str, args: argparse.Namespace, state: dict[str, Any], n: int, seconds: float
) -> dict[str, Any] | None:
    """Round `n` (0-based; -1 is the warm-up, which is not reported) of `seconds`."""
    count = int(args.rate * seconds)
    plan, state["plan"] = state["plan"][:count], state["plan"][count:]
    fresh_tokens(gateway, [*state["authors"], *state["likers"]])
    requests_plan = [
        ("POST", f"/api/social/posts/{post_id}/like/", liker["headers"]) for liker, post_id in plan
    ]
    ctx = multiprocessing.get_context("spawn")
    listen_end, listen_child = ctx.Pipe()
    urls = [ticket_url(gateway, author) for author in state["authors"]]
    listening = ctx.Process(target=listener, args=(listen_child, urls))
    listening.start()
    opened = listen_end.recv()
    assert not opened["failed"], opened
    drive_end, drive_child = ctx.Pipe()
    driving = ctx.Process(
        target=driver, args=(drive_child, gateway, requests_plan, args.rate, args.workers)
    )
    busy_before = machine_busy()
    driving.start()
    listen_end.send((len(plan), time.time() + args.seconds + 60))
    driven = drive_end.recv()
    listened = listen_end.recv()
    results, frames = driven["results"], listened["frames"]
    client_cpu = driven["cpu"] + listened["cpu"]
    busy = busy_share(busy_before, machine_busy())
    driving.join()
    listening.join()
    if n < 0:
        return None

    sent, answered, errors = {}, {}, []
    lateness = []
    for (liker, post_id), (scheduled, at_send, at_answer, status, body) in zip(
        plan, results, strict=True
    ):
        key = (liker["id"], post_id)
        sent[key], answered[key] = at_send, at_answer
        lateness.append((at_send - scheduled) * 1000)
        if status != 200:
            errors.append(f"{status} {body[:200]!r}")
    framed: dict[tuple[str, str], tuple[float, float | None]] = {}
    repeated = 0
    for at, notification in frames:
        key = ((notification.get("actor") or {}).get("id", ""), notification["target"]["id"])
        repeated += key in framed
        framed[key] = (at, parse_time(notification.get("updated_at")))

    keys = [k for k in answered if k in framed]
    after_response = [(framed[k][0] - answered[k]) * 1000 for k in keys]
    to_stored = [(framed[k][1] - answered[k]) * 1000 for k in keys if framed[k][1]]
    stored_to_frame = [(framed[k][0] - framed[k][1]) * 1000 for k in keys if framed[k][1]]
    after_request = [(framed[k][0] - sent[k]) * 1000 for k in keys]
    api = [(answered[k] - sent[k]) * 1000 for k in answered]
    span = max(answered.values()) - min(sent.values())
    print(
        f"  round {n + 1}: {busy}; the two client processes used "
        f"{client_cpu * 1000 / len(plan):.1f} ms of CPU per like",
        flush=True,
    )
    print(
        f"    likes answered {len(answered)} ({len(answered) / max(span, 1e-9):.0f}/s over "
        f"{span:.1f}s), errors {len(errors)}; client sent late by p99 "
        f"{percentile(lateness, 99):.1f} ms, max {max(lateness):.1f} ms"
    )
    if errors:
        print(f"    first error: {errors[0]}")
    print(f"    frames matched {len(keys)}/{len(plan)}, repeated {repeated}")
    for name, values in (
        ("API call (request -> response)", api),
        ("response -> frame (target)", after_response),
        ("  response -> stored", to_stored),
        ("  stored -> frame", stored_to_frame),
        ("request -> frame", after_request),
    ):
        print(f"    {name:31s} {summary(values)}", flush=True)
    if after_response:
        p50, p99 = percentile(after_response, 50), percentile(after_response, 99)
        verdict = "met" if p50 <= 20 and p99 <= 100 else "MISSED"
        print(f"    targets p50 <= 20 ms, p99 <= 100 ms: {verdict}", flush=True)
    return {"values": after_response}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--start-stack", action="store_true", help="run a lean stack of its own")
    parser.add_argument("--gateway-port", type=int, default=57480)
    parser.add_argument("--service-port-base", type=int, default=57500)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (stack)")
    parser.add_argument(
        "--web-threads", type=int, default=1, help="threads per gunicorn worker (stack)"
    )
    parser.add_argument("--database", default="cotask_bench_notifications")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--authors", type=int, default=10)
    parser.add_argument("--likers", type=int, default=10)
    parser.add_argument("--workers", type=int, default=256, help="client HTTP connections")
    parser.add_argument("--repeat", type=int, default=1, help="rounds on one setup")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of likes before measuring (not shown)"
    )
    args = parser.parse_args()
    stack = None
    if args.start_stack:
        stack = start_stack(args)
        gateway = stack.url
    else:
        gateway = args.gateway.rstrip("/")
        try:
            requests.get(f"{gateway}/api/notifications/healthz", timeout=5)
        except requests.RequestException:
            # `make bench` runs every script; this one needs a stack.
            print(f"skipped: no stack answers at {gateway} (start one, or pass --start-stack)")
            return
    try:
        state = setup(gateway, args)
        if stack is not None:
            settle_database(args.database)
        print(
            f"driving {args.rate:.0f} likes/s for {args.seconds:.0f}s through {gateway}"
            f" ({args.repeat} round(s))",
            flush=True,
        )
        if args.warmup:
            # The first likes after setup meet cold caches and connections: not measured.
            measure_round(gateway, args, state, -1, args.warmup)
        rounds = [measure_round(gateway, args, state, n, args.seconds) for n in range(args.repeat)]
        if len(rounds) > 1:
            p50s = [percentile(r["values"], 50) for r in rounds if r["values"]]
            p99s = [percentile(r["values"], 99) for r in rounds if r["values"]]
            print(
                f"  response -> frame over {len(rounds)} rounds: p50 {min(p50s):.1f}-"
                f"{max(p50s):.1f} ms, p99 {min(p99s):.1f}-{max(p99s):.1f} ms"
            )
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
