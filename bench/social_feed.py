"""social-service feed benchmark: real PostgreSQL and Redis, through nginx.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/social_feed.py                                   # small default
    .venv/bin/python bench/social_feed.py --users 2000 --posts 100000       # moderate
    .venv/bin/python bench/social_feed.py --users 10000 --posts 1000000 \\
        --follows-per-user 200                                              # the target scale

It never touches the test databases: everything lives in its own PostgreSQL database
(`--database`, default `cotask_bench_social`, created when missing; every service gets its usual
schema there), its own Redis database number (`--redis-db`, default 7, keys under
`bench:social:`) and its own var folder (`var/bench-social`). No Kafka: the services use the
embedded bus and their event processes are not started.

1. Generate (progress bars): `--users` UserRefs with their personal pages, `--follows-per-user`
   follows each on average (uniformly random pages, plus everyone follows the first user's
   page, "star": the page with the most followers), `--posts` posts spread over the last 30
   days on random pages, every reader active (FeedState), and every timeline built in Redis
   (the newest `SOCIAL_FEED_TIMELINE_SIZE` ids of the fanned-out pages each user follows).
   Rows go in with COPY. `--reuse` keeps the data of the last run with the same sizes.
2. Start the stack (scripts/stack.py through e2e/harness.Stack, gateway on `--gateway-port`,
   services on `--service-port-base`+N, no Celery workers) and, at `--concurrency` clients
   (32), measure GET /api/social/feed/ (20 posts) for `--sample` users and the same service's
   minimal authenticated endpoint GET /api/social/whoami (the framework's floor): p50, p99 and
   requests per second, with wrk for `--seconds` each when it is installed (else Python
   threads, `--requests` each); then the same pair at `--light-concurrency` clients (4).
3. Creating a post on the star page (every user follows it; `--post-concurrency` clients, 1 by
   default: its owner posting): POST latency p50/p99 through the gateway, and the fan-out
   task's own time to push one post into that many timelines (run here, in-process, as the
   Celery task would, with the fan-out limit lifted so it is pushed whatever the limit).

`--in-process` skips 2 and 3: the floor, feed and post views timed one request at a time through
Django's test client (no nginx, gunicorn or concurrency), with the feed's query count; steadier
than the load test on a shared machine, so the figure to compare code changes with.

Targets: feed >= 60% of the floor's throughput with p99 < 50 ms; posting to a page
with 10,000 followers p99 < 50 ms; its fan-out done within 2 s.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from http_bench import (
    ROOT,
    bench_env,
    copy_objects,
    copy_rows,
    ensure_database,
    load,
    load_wrk,
    percentile,
    setup_django,
    signing_key,
    stack_for,
    tokens_for,
)
from tqdm import tqdm

from cotask_common.ids import uuid7_at

SERVICE = ROOT / "social-service"
KEY_PREFIX = "bench:social:tl:"


# ---------------------------------------------------------------------------------------------
# Data


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from social.feed.models import FeedState
    from social.pages.models import Follow, Page
    from social.posts.models import Post

    from cotask_common.users.models import UserRef

    rng = random.Random(args.seed)  # noqa: S311 - reproducible data, not secrets
    n, per_user = args.users, min(args.follows_per_user, args.users - 1)
    now = datetime.now(tz=UTC)
    now_ms = int(now.timestamp() * 1000)
    start_ms = now_ms - 30 * 24 * 3600 * 1000

    with connection.cursor() as cursor:
        for model in (Post, Follow, FeedState, Page, UserRef):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    user_ids = [uuid7_at(start_ms - 1000 + i % 1000) for i in range(n)]
    page_ids = [uuid7_at(start_ms - 1000 + i % 1000) for i in range(n)]

    # Follows: the star page (user 0) followed by everyone, the rest uniformly random.
    follows: list[list[int]] = []
    followers = [0] * n
    for u in tqdm(range(n), desc="follows (plan)", unit=" users", mininterval=0.5):
        chosen = {0} if u else set()
        while len(chosen) < per_user:
            p = rng.randrange(n)
            if p != u:
                chosen.add(p)
        follows.append(sorted(chosen))
        for p in chosen:
            followers[p] += 1

    # Posts: uniformly over pages and time; ids sort like their creation time.
    post_times = sorted(rng.randrange(start_ms, now_ms) for _ in range(args.posts))
    post_pages = [rng.randrange(n) for _ in range(args.posts)]
    posts_count = [0] * n
    for p in post_pages:
        posts_count[p] += 1
    post_ids = [uuid7_at(ms) for ms in post_times]

    copy_objects(
        UserRef,
        (UserRef(id=user_ids[i], username=f"bench{i}", display_name=f"Bench {i}",
                 email_verified=True, updated_at=now) for i in range(n)),
        n,
        "users",
    )  # fmt: skip
    copy_objects(
        Page,
        (Page(id=page_ids[i], owner_id=user_ids[i], kind="personal", handle=f"bench{i}",
              handle_key=f"bench{i}", name=f"Bench {i}", links=[], tags=[],
              followers_count=followers[i], posts_count=posts_count[i], created_at=now,
              updated_at=now)
         for i in range(n)),
        n,
        "personal pages",
    )  # fmt: skip
    copy_rows(
        Follow._meta.db_table,
        ["id", "page_id", "user_id", "status", "created_at", "approved_at"],
        ((uuid7_at(start_ms), page_ids[p], user_ids[u], "approved", now, now)
         for u in range(n) for p in follows[u]),
        sum(len(f) for f in follows),
        "follows",
    )  # fmt: skip
    copy_rows(
        Post._meta.db_table,
        ["id", "page_id", "text", "tags", "mentions", "media_ids", "like_count", "comment_count",
         "reply_count", "hot_score", "created_at", "deleted_reason"],
        ((post_ids[i], page_ids[post_pages[i]], f"post {i} of bench{post_pages[i]}", "[]", "[]",
          "[]", 0, 0, 0, 0.0, datetime.fromtimestamp(post_times[i] / 1000, tz=UTC), "")
         for i in range(args.posts)),
        args.posts,
        "posts",
    )  # fmt: skip
    copy_rows(
        FeedState._meta.db_table,
        ["user_id", "built_at", "last_read_at"],
        ((user_ids[i], now, now) for i in range(n)),
        n,
        "feed states",
    )
    with connection.cursor() as cursor:
        for model in (UserRef, Page, Follow, Post, FeedState):
            cursor.execute(f"ANALYZE {model._meta.db_table}")

    # Timelines in Redis: per user, the newest ids of the fanned-out pages they follow and of
    # their own page, merged (each page's ids newest first).
    size = settings.SOCIAL_FEED_TIMELINE_SIZE
    limit = settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS
    by_page: list[list[str]] = [[] for _ in range(n)]
    for i in range(args.posts - 1, -1, -1):
        if len(by_page[post_pages[i]]) < size:
            by_page[post_pages[i]].append(str(post_ids[i]))
    from social.feed.timelines import SENTINEL, get_timelines

    client = get_timelines().client
    for keys in _batched(client.scan_iter(match=f"{KEY_PREFIX}*", count=5000), 5000):
        client.delete(*keys)
    pipe = client.pipeline(transaction=False)
    for u in tqdm(range(n), desc="timelines (Redis)", unit=" users", mininterval=0.5):
        sources = [by_page[p] for p in follows[u] if followers[p] <= limit] + [by_page[u]]
        members = list(islice(heapq.merge(*sources, reverse=True), size))
        pipe.zadd(f"{KEY_PREFIX}{user_ids[u]}", {SENTINEL: 0, **dict.fromkeys(members, 0)})
        if u % 200 == 199:
            pipe.execute()
    pipe.execute()
    return {
        "user_ids": [str(u) for u in user_ids],
        "star_page": str(page_ids[0]),
        "star_followers": followers[0],
        "sizes": [args.users, args.posts, args.follows_per_user, args.seed],
    }


def _batched(items: Any, size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--follows-per-user", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sample", type=int, default=500, help="users whose feeds are read")
    parser.add_argument("--requests", type=int, default=4000, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--post-requests", type=int, default=300, help="posts on the star page")
    parser.add_argument(
        "--post-concurrency",
        type=int,
        default=1,
        help="clients posting on the star page at once (1: its owner, one post after another)",
    )
    parser.add_argument("--seconds", type=int, default=20, help="per wrk measurement")
    parser.add_argument(
        "--light-concurrency", type=int, default=4, help="clients of the second, light wrk pair"
    )
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="load with Python threads (--requests each) even when wrk is installed",
    )
    parser.add_argument("--database", default="cotask_bench_social")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--gateway-port", type=int, default=57280)
    parser.add_argument("--service-port-base", type=int, default=57300)
    # 4 single-threaded workers on 2 cores: the feed and the floor are CPU-bound Python, and
    # threads of one worker only queue for its GIL (2 x 4 threads: floor 798 req/s, feed 487,
    # p99 126 ms; 4 x 1: 1,034 and 703, p99 63 ms, same machine, same data).
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the last run's data if sizes match"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="no stack: time the views one request at a time through Django's test client "
        "(steadier than the load test on a busy machine)",
    )
    parser.add_argument("--profile", action="store_true", help="with --in-process: pyinstrument")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-social"
    var_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(args.database)
    env = bench_env(
        database=args.database,
        redis_db=args.redis_db,
        var_dir=var_dir,
        extra={"SOCIAL_FEED_KEY_PREFIX": KEY_PREFIX},
    )
    key, kid = signing_key(var_dir)  # before Django: the services trust the key file they find
    setup_django(env, SERVICE)

    state_file = var_dir / "data.json"
    sizes = [args.users, args.posts, args.follows_per_user, args.seed]
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if not (args.reuse and state.get("sizes") == sizes):
        started = time.monotonic()
        state = generate(args)
        state_file.write_text(json.dumps(state))
        print(f"generated in {time.monotonic() - started:.0f} s", flush=True)

    rng = random.Random(args.seed + 1)  # noqa: S311
    sample = rng.sample(state["user_ids"], min(args.sample, len(state["user_ids"])))
    tokens = tokens_for(sample, key, kid)

    from social.feed.timelines import get_timelines

    store = get_timelines()
    unbuilt = sum(1 for user_id in sample if not store.exists(user_id=uuid.UUID(user_id)))
    if unbuilt:  # Redis lost them (a flush, eviction): each reader's first read rebuilds it
        print(
            f"{unbuilt} of {len(sample)} sampled timelines not in Redis: the warm-up rebuilds them"
        )

    if args.in_process:
        in_process(args, state, tokens, key, kid)
        return

    stack = stack_for(args, name="bench-social", env=env)
    try:
        results = measure(args, stack, state, sample, tokens, key, kid)
    finally:
        stack.stop()
    report(args, state, results)


def measure(
    args: argparse.Namespace,
    stack: Any,
    state: dict[str, Any],
    sample: list[str],
    tokens: list[str],
    key: Any,
    kid: str,
) -> dict[str, Any]:
    port = args.gateway_port
    feed = ["/api/social/feed/?page_size=20"]
    floor = ["/api/social/whoami"]
    common = {"port": port, "method": "GET", "tokens": tokens, "concurrency": args.concurrency}
    # Warm up: every sampled reader once (token cache, connections, PostgreSQL buffers).
    load(paths=feed, total=len(tokens), **common)
    load(paths=floor, total=len(tokens), **common)
    if shutil.which("wrk") and not args.python_client:
        timed = {"port": port, "tokens": tokens, "concurrency": args.concurrency}
        timed |= {"seconds": args.seconds, "var_dir": ROOT / "var" / "bench-social"}
        results: dict[str, Any] = {
            "client": "wrk",
            "floor": load_wrk(path=floor[0], **timed),
            "feed": load_wrk(path=feed[0], **timed),
        }
        # At 32 clients latency is mostly queueing (Little's law: clients / throughput);
        # the same pair at a few clients shows each request's own time.
        timed["concurrency"] = args.light_concurrency
        results["light"] = {
            "floor": load_wrk(path=floor[0], **timed),
            "feed": load_wrk(path=feed[0], **timed),
        }
    else:
        results = {
            "client": "python threads",
            "floor": load(paths=floor, total=args.requests, **common),
            "feed": load(paths=feed, total=args.requests, **common),
        }
    # Posting on the star page (every user follows it).
    star_owner = state["user_ids"][0]
    owner_token = tokens_for([star_owner], key, kid)
    results["post"] = load(
        port=port,
        method="POST",
        paths=["/api/social/pages/bench0/posts/"],
        tokens=owner_token,
        total=args.post_requests,
        concurrency=args.post_concurrency,
        body=json.dumps({"text": "a post from the star page #bench"}).encode(),
    )
    results["fan_out"] = time_fan_out(state)
    return results


def time_fan_out(state: dict[str, Any]) -> dict[str, Any]:
    """The fan-out task's own time for one post of the star page, pushed into every follower's
    timeline (the limit lifted so it is pushed even above SOCIAL_FEED_FANOUT_MAX_FOLLOWERS)."""
    from django.conf import settings
    from social.feed.services import fan_out_post
    from social.feed.timelines import get_timelines
    from social.posts.models import Post

    post = Post.objects.filter(page_id=state["star_page"]).order_by("-id").first()
    limit = settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS
    settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = 10**9
    try:
        started = time.perf_counter()
        pushed = fan_out_post(post_id=post.id)
        elapsed = time.perf_counter() - started
    finally:
        settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = limit
    last = state["user_ids"][-1]
    assert str(post.id) in {
        str(i) for i in get_timelines().read(user_id=last, before=None, limit=5)
    }
    return {
        "timelines": pushed,
        "seconds": elapsed,
        "pushed_in_production": state["star_followers"] <= limit,
    }


def star_post_ids(state: dict[str, Any], *, limit: int) -> list[Any]:
    from social.posts.models import Post

    return list(
        Post.objects.filter(page_id=state["star_page"], deleted_at__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    )


def in_process(
    args: argparse.Namespace, state: dict[str, Any], tokens: list[str], key: Any, kid: str
) -> None:
    """Each view's own time, one request after another through Django's test client (no
    nginx, no gunicorn, no concurrency): the figure to compare code changes with on a shared
    machine. Every sampled reader is read once first (warm-up)."""
    from django.db import connection
    from django.test import Client

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import public_jwk

    # No auth-service to fetch the key set from: trust the bench's signing key directly.
    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    client = Client()
    feed = "/api/social/feed/?page_size=20"

    def get(token: str, path: str = feed) -> float:
        started = time.perf_counter()
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:200]
        return elapsed

    for token in tokens:
        get(token)
    queries: list[str] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(count):
        get(tokens[0])
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    count = min(args.requests, 2000)
    # The process's CPU per phase too: on a machine others share, wall times also measure
    # their load; the CPU this process spent on a request does much less.
    cpu: dict[str, float] = {}
    cpu_started = time.process_time()
    floor_times = [get(tokens[i % len(tokens)], "/api/social/whoami") for i in range(count)]
    cpu["floor"], cpu_started = time.process_time() - cpu_started, time.process_time()
    feed_times = [get(tokens[i % len(tokens)]) for i in range(count)]
    cpu["feed"], cpu_started = time.process_time() - cpu_started, time.process_time()
    owner = tokens_for([state["user_ids"][0]], key, kid)[0]
    body = json.dumps({"text": "a post from the star page #bench"})
    post_times = []
    for _ in range(min(args.post_requests, 200)):
        started = time.perf_counter()
        response = client.post(
            "/api/social/pages/bench0/posts/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {owner}",
        )
        post_times.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content[:200]
    cpu["post"] = time.process_time() - cpu_started
    # Likes (what notifications' end-to-end benchmark drives): each sampled reader likes, then
    # unlikes, a post of the star page.
    star_posts = [str(pk) for pk in star_post_ids(state, limit=50)]
    cpu_started = time.process_time()
    like_times = []
    for i, token in enumerate(tokens[:200]):
        path = f"/api/social/posts/{star_posts[i % len(star_posts)]}/like/"
        for method in (client.post, client.delete):
            started = time.perf_counter()
            response = method(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            like_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:200]
    cpu["like"] = time.process_time() - cpu_started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)

    def line(what: str, times: list[float], phase: str) -> str:
        mean = sum(times) / len(times) * 1000
        return (
            f"  {what}  p50 {percentile(times, 50) * 1000:6.2f} ms  "
            f"p99 {percentile(times, 99) * 1000:6.2f} ms  mean {mean:6.2f} ms  "
            f"CPU {cpu[phase] / len(times) * 1000:6.2f} ms  ({len(times)} requests)"
        )

    print(
        "\n".join(
            [
                "",
                f"social in-process (test client, one at a time) — {args.users:,} users, "
                f"{args.posts:,} posts",
                line("floor GET /api/social/whoami   ", floor_times, "floor"),
                line("feed GET /api/social/feed/ (20)", feed_times, "feed")
                + f", {len(queries)} queries",
                line("post POST on the star page     ", post_times, "post"),
                line("like POST/DELETE .../like/     ", like_times, "like"),
            ]
        ),
        flush=True,
    )


def report(args: argparse.Namespace, state: dict[str, Any], results: dict[str, Any]) -> None:
    floor, feed, post, fan = results["floor"], results["feed"], results["post"], results["fan_out"]
    share = feed["rps"] / floor["rps"] * 100
    lines = [
        "",
        f"social feed benchmark — {args.users:,} users, {args.posts:,} posts, "
        f"{args.follows_per_user} follows/user, {args.concurrency} clients, "
        f"{args.web_workers} gunicorn workers x {args.web_threads} threads, "
        f"{os.cpu_count()} CPUs, "
        f"load from {results['client']}",
        f"  floor  GET /api/social/whoami   p50 {floor['p50']:6.1f} ms  p99 {floor['p99']:6.1f} ms"
        f"  {floor['rps']:7.0f} req/s",
        f"  feed   GET /api/social/feed/    p50 {feed['p50']:6.1f} ms  p99 {feed['p99']:6.1f} ms"
        f"  {feed['rps']:7.0f} req/s  = {share:.0f}% of the floor (target >= 60%, p99 < 50 ms)",
        f"  post   POST on the star page    p50 {post['p50']:6.1f} ms  p99 {post['p99']:6.1f} ms"
        f"  {post['rps']:7.0f} req/s  ({state['star_followers']:,} followers, "
        f"{args.post_concurrency} client(s); target p99 < 50 ms)",
        f"  fan-out of one star post into {fan['timelines']:,} timelines: "
        f"{fan['seconds'] * 1000:.0f} ms (target < 2 s)"
        + ("" if fan["pushed_in_production"] else
           "; above SOCIAL_FEED_FANOUT_MAX_FOLLOWERS it is read live instead (hybrid)"),
    ]  # fmt: skip
    if "light" in results:
        light = results["light"]
        lines.append(f"  at {args.light_concurrency} clients:")
        for name, path in (("floor", "whoami"), ("feed", "feed/")):
            r = light[name]
            lines.append(
                f"  {name:6} GET /api/social/{path:9} p50 {r['p50']:6.1f} ms  "
                f"p99 {r['p99']:6.1f} ms  {r['rps']:7.0f} req/s"
            )
    lines.append(
        f"  Little's law at {args.concurrency} clients: mean latency = clients / throughput = "
        f"{args.concurrency / feed['rps'] * 1000:.0f} ms for the feed"
    )
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
