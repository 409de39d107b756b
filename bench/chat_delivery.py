"""Chat delivery through the real stack (issue 19's benchmark): a message sent through nginx to
the frames on the members' open sockets, and history pages under load.

    eval "$(scripts/infra env)"     # PostgreSQL, Redis, Kafka (without it: the embedded log)
    .venv/bin/python bench/chat_delivery.py          # 1,000,000 messages stored (made once)
    .venv/bin/python bench/chat_delivery.py --messages 100000 --reuse --phases direct

The path measured: nginx -> social's gunicorn (the message row, the outbox event, one
transaction) -> social's `run_events` (the relay) -> the bus -> notifications' `run_events`
(a frame per member in their socket sequence, committed) -> the Redis channel layer ->
notifications' uvicorn -> the socket. The stack is scripts/stack.py (through e2e/harness.Stack):
nginx, the six web processes, the event processes of social and notifications (the two on the
path; auth, tasks, habits and media run none), no Celery workers. Everything lives in a database
of its own (`--database`, created when missing; every service gets its usual schema), Redis db
`--redis-db` (flushed first), Kafka topics and consumer groups prefixed `--topic-prefix`, logs in
var/bench/chat-delivery/logs/. The people are made here (UserRefs in social's schema, tokens
signed with the key auth-service serves) and their conversations through social's services, so
their setup events travel the same path before anything is timed. The per-person message rate
limit is off (`SOCIAL_CHAT_MESSAGE_RATE=`): the bench's senders send more than people do.

1. direct: `--pairs` direct conversations, each recipient with a socket open; messages are sent
   open loop at `--rate` per second for `--seconds` (each at its scheduled time, answered or not,
   from a client process of its own, bench/notifications_clients.py), round-robin over the
   senders, after `--warmup` seconds that are not reported. Send -> frame is from the request
   leaving the client to the recipient's `chat` frame (the headline: what a person waits for),
   also split into the API call and response -> frame. Target: p50 <= 20 ms, p99 <= 100 ms,
   at the rate asked (the stack must answer at least 95% of it).
2. group: a group of `--group` members, every member (the sender too) with a socket open; the
   admin sends `--group-repeats` messages `--group-interval` seconds apart; for each, the time
   from the request to the last of the group's sockets getting it. Target: p99 <= 250 ms.
3. history: the reader of `--messages` messages over `--conversations` direct conversations
   (bench/social_chat.py's generator, COPY; `--reuse` keeps them) reads history pages (the
   newest, a deep `before=`, an `around=`, in turn) at `--history-clients` clients (4) through
   nginx. Target: p99 <= 20 ms.

After each phase: the CPU milliseconds each process of the stack used per message (per request),
read from /proc, and how busy the whole machine was; on a shared machine the CPU figures are
the ones to compare, the wall-clock ones are only met or NOT met for that run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse, urlunparse

import requests
from http_bench import (
    ROOT,
    bench_env,
    ensure_database,
    load,
    setup_django,
    signing_key,
    tokens_for,
)
from notifications_clients import (
    busy_share,
    driver,
    listener,
    machine_busy,
    percentile,
    summary,
)

SERVICE = ROOT / "social-service"
VAR_DIR = ROOT / "var" / "bench" / "chat-delivery"
CHAT = "/api/social/chat"
PHASES = ("direct", "group", "history")


# ---------------------------------------------------------------------------------------------
# The stack's processes and their CPU


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _label(pid: int) -> str | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        cwd = Path(os.readlink(f"/proc/{pid}/cwd")).name
    except OSError:
        return None
    if "nginx" in command:
        return "gateway"
    service = cwd.removesuffix("-service")
    if "run_events" in command:
        return f"{service}:events"
    if "uvicorn" in command or "gunicorn" in command:
        return f"{service}:web"
    return None  # stack.py itself, and anything else


def stack_cpu(root: int) -> dict[str, float]:
    """CPU seconds so far of every process under the stack's, summed per label."""
    totals: dict[str, float] = defaultdict(float)
    pending = [root]
    while pending:
        pid = pending.pop()
        pending += _children(pid)
        label = _label(pid)
        if label is None:
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[label] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return totals


def cpu_report(before: dict[str, float], after: dict[str, float], count: int, what: str) -> str:
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    used = {k: v for k, v in used.items() if v * 1000 / max(count, 1) >= 0.05}
    total = sum(used.values())
    parts = ", ".join(
        f"{k} {v * 1000 / count:.1f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1])
    )
    return f"CPU ms per {what}: {parts}; stack total {total * 1000 / max(count, 1):.1f}"


# ---------------------------------------------------------------------------------------------
# Setup


def make_people(count: int, prefix: str) -> list[uuid.UUID]:
    from cotask_common.users.models import UserRef

    ids = [uuid.uuid4() for _ in range(count)]
    UserRef.objects.bulk_create(
        [UserRef(id=u, username=f"{prefix}{str(u)[:8]}") for u in ids], batch_size=1000
    )
    return ids


def start_stack(args: argparse.Namespace, env: dict[str, str]) -> Any:
    sys.path.insert(0, str(ROOT / "e2e"))
    from harness import Stack

    skip = [a for s in ("auth", "tasks", "habits", "media") for a in ("--skip", f"{s}:events")]
    print(
        f"starting the stack on :{args.gateway_port} (nginx, six web processes, the event"
        " processes of social and notifications, no workers) …",
        flush=True,
    )
    return Stack(
        name="bench-chat",
        gateway_port=args.gateway_port,
        service_port_base=args.service_port_base,
        env=env,
        extra_args=[
            "--no-workers",
            *("--web-workers", str(args.web_workers), "--web-threads", str(args.web_threads)),
            *skip,
        ],
    )


def socket_urls(gateway: str, tokens: list[str]) -> list[str]:
    session = requests.Session()
    urls = []
    for token in tokens:
        response = session.post(
            f"{gateway}/api/notifications/ws-ticket/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        urls.append(f"{gateway.replace('http://', 'ws://')}/ws/?ticket={response.json()['ticket']}")
    return urls


def open_sockets(urls: list[str]) -> tuple[Any, Any]:
    ctx = multiprocessing.get_context("spawn")
    end, child = ctx.Pipe()
    process = ctx.Process(target=listener, args=(child, urls, 100, "chat"))
    process.start()
    opened = end.recv()
    if opened["failed"]:
        raise SystemExit(f"{opened['failed']} of {len(urls)} sockets did not open")
    return process, end


def drive(
    gateway: str, plan: list[tuple[Any, ...]], rate: float, listen_end: Any, expected: int
) -> tuple[list[Any], list[Any], float]:
    """Send `plan` at `rate` while the listener collects `expected` frames."""
    ctx = multiprocessing.get_context("spawn")
    drive_end, drive_child = ctx.Pipe()
    process = ctx.Process(target=driver, args=(drive_child, gateway, plan, rate, 64))
    process.start()
    listen_end.send((expected, time.time() + len(plan) / rate + 60))
    driven = drive_end.recv()
    listened = listen_end.recv()
    process.join()
    return driven["results"], listened["frames"], driven["cpu"] + listened["cpu"]


def message_plan(
    pairs: list[tuple[str, str]], count: int, tag: str
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """(method, path, headers, body) per message, round-robin over (conversation, token)."""
    plan, texts = [], []
    for n in range(count):
        conversation, token = pairs[n % len(pairs)]
        text = f"bench {tag} {n}"
        texts.append(text)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        path = f"{CHAT}/conversations/{conversation}/messages/"
        plan.append(("POST", path, headers, json.dumps({"text": text}).encode()))
    return plan, texts


def check_answers(results: list[Any]) -> None:
    errors = [f"{status} {body[:200]!r}" for *_times, status, body in results if status != 201]
    if errors:
        raise SystemExit(f"{len(errors)} sends failed, e.g. {errors[0]}")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# ---------------------------------------------------------------------------------------------
# Phases


def direct_phase(args: argparse.Namespace, gateway: str, stack: Any) -> None:
    from social.chat import services

    senders, recipients = make_people(args.pairs, "sender"), make_people(args.pairs, "recipient")
    key, kid = signing_key(VAR_DIR)
    sender_tokens = tokens_for([str(u) for u in senders], key, kid)
    recipient_tokens = tokens_for([str(u) for u in recipients], key, kid)
    pairs = []
    for sender, recipient, token in zip(senders, recipients, sender_tokens, strict=True):
        conversation, _created = services.start_direct(actor_id=sender, user_id=recipient)
        pairs.append((str(conversation.id), token))
    if args.warmup:  # cold connections, caches and consumer: not reported
        process, listen_end = open_sockets(socket_urls(gateway, recipient_tokens))
        plan, _texts = message_plan(pairs, int(args.rate * args.warmup), "warmup")
        results, _frames, _cpu = drive(gateway, plan, args.rate, listen_end, len(plan))
        process.join()
        check_answers(results)
    process, listen_end = open_sockets(socket_urls(gateway, recipient_tokens))
    count = int(args.rate * args.seconds)
    plan, texts = message_plan(pairs, count, "direct")
    cpu_before, busy_before = stack_cpu(stack.process.pid), machine_busy()
    results, frames, client_cpu = drive(gateway, plan, args.rate, listen_end, count)
    cpu_after, busy = stack_cpu(stack.process.pid), busy_share(busy_before, machine_busy())
    process.join()
    check_answers(results)
    arrived = {
        frame["data"].get("text"): at
        for at, frame in frames
        if frame.get("event") == "message_created"
    }
    sent = {text: result for text, result in zip(texts, results, strict=True)}
    to_frame = [(arrived[t] - r[1]) * 1000 for t, r in sent.items() if t in arrived]
    after_response = [(arrived[t] - r[2]) * 1000 for t, r in sent.items() if t in arrived]
    api = [(r[2] - r[1]) * 1000 for r in results]
    late = [(r[1] - r[0]) * 1000 for r in results]
    span = max(r[2] for r in results) - min(r[1] for r in results)
    rate = len(results) / max(span, 1e-9)
    print(f"\n1. direct: {count} messages at {args.rate:.0f}/s over {args.pairs} conversations")
    print(
        f"   answered {len(results)} ({rate:.0f}/s), frames {len(to_frame)}/{count};"
        f" client sent late by p99 {percentile(late, 99):.1f} ms; {busy}"
    )
    for name, values in (
        ("send -> frame (target)", to_frame),
        ("  API call", api),
        ("  response -> frame", after_response),
    ):
        print(f"   {name:24s} {summary(values)}")
    print(f"   {cpu_report(cpu_before, cpu_after, count, 'message')}")
    print(f"   (the two client processes: {client_cpu * 1000 / count:.1f} ms per message)")
    ok = (
        len(to_frame) == count
        and rate >= 0.95 * args.rate
        and percentile(to_frame, 50) <= 20
        and percentile(to_frame, 99) <= 100
    )
    print(f"   target p50 <= 20 ms, p99 <= 100 ms at {args.rate:.0f}/s: {verdict(ok)}", flush=True)


def group_phase(args: argparse.Namespace, gateway: str, stack: Any) -> None:
    from social.chat import services

    members = make_people(args.group, "member")
    key, kid = signing_key(VAR_DIR)
    tokens = tokens_for([str(u) for u in members], key, kid)
    group = services.create_group(actor_id=members[0], name="bench", member_ids=members[1:])
    urls = socket_urls(gateway, tokens)
    time.sleep(2)  # the group's creation event reaches notifications (its projection)
    process, listen_end = open_sockets(urls)
    plan, texts = message_plan([(str(group.id), tokens[0])], args.group_repeats + 1, "group")
    expected = len(plan) * args.group
    cpu_before, busy_before = stack_cpu(stack.process.pid), machine_busy()
    results, frames, _client = drive(gateway, plan, 1 / args.group_interval, listen_end, expected)
    cpu_after, busy = stack_cpu(stack.process.pid), busy_share(busy_before, machine_busy())
    process.join()
    check_answers(results)
    by_text: dict[str, list[float]] = defaultdict(list)
    for at, frame in frames:
        if frame.get("event") == "message_created":
            by_text[frame["data"].get("text")].append(at)
    everyone, each, first, api, incomplete = [], [], [], [], 0
    for n, (text, result) in enumerate(zip(texts, results, strict=True)):
        arrivals = by_text.get(text, [])
        if n == 0:
            continue  # the first message warms the path up: not reported
        if len(arrivals) < args.group:
            incomplete += 1
            continue
        everyone.append((max(arrivals) - result[1]) * 1000)
        each += [(at - result[1]) * 1000 for at in arrivals]
        first.append((min(arrivals) - result[2]) * 1000)
        api.append((result[2] - result[1]) * 1000)
    print(
        f"\n2. group: {args.group_repeats} messages to a group of {args.group}, every member's"
        f" socket open; {incomplete} did not reach every socket within a minute; {busy}"
    )
    print(f"   send -> every socket (target) {summary(everyone)}")
    print(f"   send -> each socket           {summary(each)}")
    print(f"     API call                    {summary(api)}")
    print(f"     response -> first socket    {summary(first)}")
    print(f"   {cpu_report(cpu_before, cpu_after, len(plan), 'group message')}")
    ok = not incomplete and bool(everyone) and percentile(everyone, 99) <= 250
    print(f"   target p99 <= 250 ms on every socket: {verdict(ok)}", flush=True)


def history_phase(args: argparse.Namespace, gateway: str, stack: Any, reader_id: uuid.UUID) -> None:
    from social.chat.models import Membership, Message

    membership = Membership.objects.filter(user_id=reader_id).order_by("-conversation__activity_id")
    conversation_id = membership.values_list("conversation_id", flat=True).first()
    ids = list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    base = f"{CHAT}/conversations/{conversation_id}/messages/"
    paths = [base, f"{base}?before={ids[len(ids) // 10]}", f"{base}?around={ids[len(ids) // 2]}"]
    key, kid = signing_key(VAR_DIR)
    tokens = tokens_for([str(reader_id)], key, kid)
    port = int(urlparse(gateway).port or 80)
    load(port=port, method="GET", paths=paths, tokens=tokens, total=60, concurrency=1)  # warm
    cpu_before, busy_before = stack_cpu(stack.process.pid), machine_busy()
    result = load(
        port=port,
        method="GET",
        paths=paths,
        tokens=tokens,
        total=args.history_requests,
        concurrency=args.history_clients,
    )
    cpu_after, busy = stack_cpu(stack.process.pid), busy_share(busy_before, machine_busy())
    print(
        f"\n3. history: {args.history_requests} pages (newest, before=, around=) at"
        f" {args.history_clients} clients; {Message.objects.count():,} messages stored, the"
        f" conversation read has {len(ids):,}; {busy}"
    )
    print(f"   p50 {result['p50']:.1f} ms  p99 {result['p99']:.1f} ms  {result['rps']:.0f} pages/s")
    print(f"   {cpu_report(cpu_before, cpu_after, int(result['count']), 'page')}")
    print(f"   target p99 <= 20 ms: {verdict(result['p99'] <= 20)}", flush=True)


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="cotask_bench_chat_delivery")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--topic-prefix", default="bench-chat.")
    parser.add_argument("--gateway-port", type=int, default=57680)
    parser.add_argument("--service-port-base", type=int, default=57700)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated")
    parser.add_argument("--rate", type=float, default=100.0, help="direct messages per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not reported")
    parser.add_argument("--pairs", type=int, default=50, help="direct conversations")
    parser.add_argument("--group", type=int, default=500, help="group members")
    parser.add_argument("--group-repeats", type=int, default=20)
    parser.add_argument("--group-interval", type=float, default=1.0, help="seconds")
    parser.add_argument("--messages", type=int, default=1_000_000, help="stored for history")
    parser.add_argument("--conversations", type=int, default=100, help="the reader's")
    parser.add_argument("--history-clients", type=int, default=4)
    parser.add_argument("--history-requests", type=int, default=3000)
    parser.add_argument("--reuse", action="store_true", help="keep stored messages of this size")
    args = parser.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        # `make bench` runs every script; this one needs the servers.
        print('skipped: needs PostgreSQL and Redis (eval "$(scripts/infra env)")')
        return
    import redis

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    ensure_database(args.database)
    redis_url = urlunparse(urlparse(os.environ["REDIS_URL"])._replace(path=f"/{args.redis_db}"))
    redis.Redis.from_url(redis_url).flushdb()  # channel-layer groups of earlier runs
    extra = {"SOCIAL_CHAT_MESSAGE_RATE": "", "KAFKA_TOPIC_PREFIX": args.topic_prefix}
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):  # bench_env leaves Kafka out; this path needs it
        extra["KAFKA_BOOTSTRAP_SERVERS"] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    env = bench_env(database=args.database, redis_db=args.redis_db, var_dir=VAR_DIR, extra=extra)
    setup_django(env, SERVICE)
    signing_key(VAR_DIR)  # made before the stack starts: auth-service serves it

    reader_id = None
    if "history" in phases:
        import social_chat

        gen = SimpleNamespace(
            messages=args.messages, conversations=args.conversations, reuse=args.reuse
        )
        print(f"history: {args.messages:,} messages (COPY, once per size) …", flush=True)
        reader_id = social_chat.generate(gen)  # before the others: it empties the tables

    from django.conf import settings

    stack = start_stack(args, env)
    try:
        print(
            f"bus: {settings.COTASK_EVENT_BUS}; database {args.database}; gateway {stack.url};"
            f" logs in {stack.log_dir.relative_to(ROOT)}",
            flush=True,
        )
        if "direct" in phases:
            direct_phase(args, stack.url, stack)
        if "group" in phases:
            group_phase(args, stack.url, stack)
        if reader_id is not None:
            history_phase(args, stack.url, stack, reader_id)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
