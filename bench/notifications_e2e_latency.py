"""Event-to-websocket latency through a running stack, as issue 6 defines it: from the response
of the producing API call (a like in social-service, through the gateway) to the notification
frame at the client's websocket.

    .venv/bin/python bench/notifications_e2e_latency.py --gateway http://127.0.0.1:8080 \\
        [--rate 100] [--seconds 10] [--authors 10] [--likers 10]

The path measured: gateway → social (like + outbox row, one transaction) → social's relay →
the bus → notifications' consumer (store, commit) → the channel layer → the author's socket.
`--authors` accounts each write enough posts, `--likers` accounts like them at `--rate` per
second, each (liker, post) pair once and the same post never twice in a row (so grouping does
not merge frames); every author has one socket open. Figures: p50 / p99 / max of response →
frame (negative when the frame beat the HTTP response) and of request → frame.

The stack must let this script register and log in `--authors + --likers` accounts quickly: run
it with `AUTH_RATE_LIMIT=120r/m AUTH_RATE_BURST=40 AUTH_THROTTLE_ENABLED=false` (as the e2e
suite does); 429 answers are waited out anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def account(gateway: str) -> dict[str, Any]:
    username = f"bench_{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex}"
    registered = call(
        "POST",
        f"{gateway}/api/auth/register/",
        json={"username": username, "email": f"{username}@example.com", "password": password},
    )
    assert registered.status_code == 201, registered.text
    login = call(
        "POST", f"{gateway}/api/auth/login/", json={"login": username, "password": password}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access']}"}
    deadline = time.monotonic() + 60
    while (
        call("GET", f"{gateway}/api/social/pages/{username}/", headers=headers).status_code != 200
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"social never made the page of {username}: are events running?")
        time.sleep(0.2)
    return {"id": registered.json()["id"], "username": username, "headers": headers}


def post(gateway: str, author: dict[str, Any], n: int) -> str:
    response = call(
        "POST",
        f"{gateway}/api/social/pages/{author['username']}/posts/",
        headers=author["headers"],
        json={"text": f"bench post {n}"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def open_socket(gateway: str, author: dict[str, Any]) -> Any:
    import websockets

    ticket = call("POST", f"{gateway}/api/notifications/ws-ticket/", headers=author["headers"])
    assert ticket.status_code == 201, ticket.text
    url = gateway.replace("http://", "ws://").replace("https://", "wss://")
    ws = await websockets.connect(
        f"{url}/ws/?ticket={ticket.json()['ticket']}", open_timeout=30, ping_interval=None
    )
    hello = json.loads(await ws.recv())
    assert hello["type"] == "hello", hello
    return ws


async def measure(args: argparse.Namespace) -> None:
    gateway = args.gateway.rstrip("/")
    total = int(args.rate * args.seconds)
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

    sockets = [await open_socket(gateway, a) for a in authors]
    requested: dict[tuple[str, str], float] = {}
    responded: dict[tuple[str, str], float] = {}
    framed: dict[tuple[str, str], float] = {}
    unmatched = 0
    all_in = asyncio.Event()

    async def reader(ws: Any) -> None:
        nonlocal unmatched
        async for raw in ws:
            at = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "notification":
                continue
            notification = message["notification"]
            key = ((notification.get("actor") or {}).get("id", ""), notification["target"]["id"])
            if key in framed:
                unmatched += 1
            framed[key] = at
            if len(framed) >= total:
                all_in.set()

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    errors: list[str] = []

    def like(liker: dict[str, Any], post_id: str) -> None:
        key = (liker["id"], post_id)
        requested[key] = time.perf_counter()
        response = call(
            "POST", f"{gateway}/api/social/posts/{post_id}/like/", headers=liker["headers"]
        )
        responded[key] = time.perf_counter()
        if response.status_code != 200:
            errors.append(f"{response.status_code} {response.text[:200]}")

    def produce() -> None:
        with ThreadPoolExecutor(max_workers=32) as pool:
            interval = 1 / args.rate
            next_at = time.perf_counter()
            for liker, post_id in plan:
                pool.submit(like, liker, post_id)
                next_at += interval
                time.sleep(max(0.0, next_at - time.perf_counter()))

    print(f"driving {total} likes at {args.rate:.0f}/s through {gateway}", flush=True)
    started = time.perf_counter()
    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        await asyncio.wait_for(all_in.wait(), timeout=args.seconds + 60)
    except TimeoutError:
        print(f"  only {len(framed)}/{total} frames arrived within {args.seconds + 60:.0f}s")
    producer.join(timeout=60)
    achieved = len(responded) / max(max(responded.values(), default=started) - started, 1e-9)
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()

    keys = [k for k in responded if k in framed]
    after_response = [(framed[k] - responded[k]) * 1000 for k in keys]
    after_request = [(framed[k] - requested[k]) * 1000 for k in keys]
    api = [(responded[k] - requested[k]) * 1000 for k in responded]
    print(f"  likes answered {len(responded)} ({achieved:.0f}/s), errors {len(errors)}")
    if errors:
        print(f"  first error: {errors[0]}")
    print(f"  frames matched {len(keys)}/{total}, repeated {unmatched}")
    for name, values in (
        ("API call (request -> response)", api),
        ("response -> frame (issue 6)", after_response),
        ("request -> frame", after_request),
    ):
        if values:
            print(
                f"  {name:32s} p50 {statistics.median(values):7.1f} ms  "
                f"p99 {percentile(values, 99):7.1f} ms  max {max(values):7.1f} ms"
            )
    if after_response:
        p50, p99 = statistics.median(after_response), percentile(after_response, 99)
        verdict = "met" if p50 <= 20 and p99 <= 100 else "MISSED"
        print(f"  targets p50 <= 20 ms, p99 <= 100 ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--authors", type=int, default=10)
    parser.add_argument("--likers", type=int, default=10)
    args = parser.parse_args()
    try:
        requests.get(f"{args.gateway.rstrip('/')}/api/notifications/healthz", timeout=5)
    except requests.RequestException:
        # `make bench` runs every script; this one needs a stack (make run, or --gateway).
        print(f"skipped: no stack answers at {args.gateway} (start one, or pass --gateway)")
        return
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
