"""Soak: the fault suite's mixed load (e2e/mixed_load.py) on the real stack for `--minutes` (10),
then the error rate, p50/p99 per endpoint per minute, and every process's memory at the start
and the end (flat: grew by 10% or less).

    eval "$(scripts/infra env)"
    .venv/bin/python bench/soak.py [--minutes 10]             # a stack of its own
    .venv/bin/python bench/soak.py --gateway http://127.0.0.1:8080 --pid <stack.py pid>

The load: authors post, fans like each post once, everyone reads the home feed, `whoami` and
their tasks, fans upload small images, every author keeps a websocket open (resuming by cursor).
`--workers` threads send it, each pausing `--pause` seconds between requests.

Its own stack (the default): nginx, the six web processes and every service's event process
(the real Kafka, PostgreSQL, Redis and S3 of `scripts/infra`; no Celery workers, which the load
does not need), gateway on `--gateway-port` (57880) and services on `--service-port-base`+N
(57900+N), a database of its own (`--database`, made afresh), Redis db `--redis-db` (11), Kafka
topics and consumer groups prefixed `bench-soak.`, logs in var/bench/soak/logs/. Memory is read
from /proc for every process under the stack (`--pid` names the root of another stack's).
`--warmup` seconds (60) of load come first and are not reported: the first minute of a Python
process fills its caches and imports, which is growth, not a leak.

After the load it waits for the events to land and checks, as the fault suite does, that every
accepted write is there once and every notification arrived once (the soak fails otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))

from http_bench import percentile  # noqa: E402
from mixed_load import MixedLoad, Sample, process_tree, rss_kib  # noqa: E402

TOPIC_PREFIX = "bench-soak."
FLAT = 1.10  # memory at the end within 10% of the start


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=60, help="seconds, not reported")
    parser.add_argument("--gateway", help="a running stack's gateway (else: a stack of its own)")
    parser.add_argument("--pid", type=int, help="with --gateway: the root process of that stack")
    parser.add_argument("--gateway-port", type=int, default=57880)
    parser.add_argument("--service-port-base", type=int, default=57900)
    parser.add_argument("--database", default="cotask_bench_soak")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="load threads")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between requests")
    parser.add_argument("--authors", type=int, default=3)
    parser.add_argument("--fans", type=int, default=3)
    return parser.parse_args()


def start_stack(args: argparse.Namespace) -> Any:
    import psycopg
    import redis
    from harness import Stack

    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        raise SystemExit('needs the real servers: eval "$(scripts/infra env)" first')
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        raise SystemExit("needs Kafka (KAFKA_BOOTSTRAP_SERVERS): the events are part of the load")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    own_redis = urlunparse(urlparse(redis_url)._replace(path=f"/{args.redis_db}"))
    redis.Redis.from_url(own_redis).flushdb()
    var_dir = ROOT / "var" / "bench" / "soak"
    var_dir.mkdir(parents=True, exist_ok=True)
    from cotask_common.security.signing import generate_private_key, private_key_to_pem

    key = var_dir / "jwt-signing-key.pem"
    key.write_bytes(private_key_to_pem(generate_private_key()))
    key.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.pop("DATABASE_SCHEMA", None)
    env.update(
        {
            "DATABASE_URL": urlunparse(urlparse(database_url)._replace(path=f"/{args.database}")),
            "REDIS_URL": own_redis,
            "KAFKA_TOPIC_PREFIX": TOPIC_PREFIX,
            "COTASK_VAR_DIR": str(var_dir),
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "JWT_PRIVATE_KEY_FILE": str(key),
            "LOG_LEVEL": "WARNING",
            "AUTH_RATE_LIMIT": "120r/m",
            "AUTH_RATE_BURST": "40",
            "AUTH_THROTTLE_ENABLED": "false",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        }
    )
    env.pop("CELERY_BROKER_URL", None)  # no workers run: nothing would take the tasks
    print(f"starting a stack on :{args.gateway_port} (no Celery workers) …", flush=True)
    return Stack(
        name="bench-soak",
        gateway_port=args.gateway_port,
        service_port_base=args.service_port_base,
        env=env,
        extra_args=["--no-workers", "--web-workers", str(args.web_workers)],
    )


def memory(root: int | None) -> dict[str, tuple[int, int]]:
    """label -> (pid, RSS in KiB) of every process under `root`."""
    if root is None:
        return {}
    found = {}
    for pid, label in sorted(process_tree(root).items()):
        rss = rss_kib(pid)
        if rss is not None:
            found[f"{label} [{pid}]"] = (pid, rss)
    return found


def report(samples: list[Sample], started: float, minutes: int) -> float:
    """The per-minute table; returns the error rate."""
    endpoints = sorted({s.endpoint for s in samples if s.endpoint != "upload-check"})
    heads = ("minute", "requests", "p50 ms", "p99 ms", "errors")
    print(f"\n{'endpoint':<10} " + " ".join(f"{h:>8}" for h in heads))
    for endpoint in endpoints:
        for minute in range(minutes):
            low, high = started + 60 * minute, started + 60 * (minute + 1)
            these = [s for s in samples if s.endpoint == endpoint and low <= s.at < high]
            if not these:
                continue
            times = [s.seconds * 1000 for s in these]
            errors = sum(1 for s in these if failed(s))
            print(
                f"{endpoint:<10} {minute + 1:>8} {len(these):>8} {percentile(times, 50):>8.1f} "
                f"{percentile(times, 99):>8.1f} {errors:>8}"
            )
    measured = [s for s in samples if s.at >= started and s.endpoint != "upload-check"]
    errors = [s for s in measured if failed(s)]
    throttled = sum(1 for s in measured if s.status == 429)
    rate = len(errors) / max(1, len(measured))
    print(
        f"\nrequests {len(measured)}, errors {len(errors)} ({rate:.3%}), throttled (429) "
        f"{throttled}, {len(measured) / (60 * minutes):.1f} requests/s"
    )
    for sample in errors[:10]:
        print(f"  {sample.endpoint} {sample.status}: {sample.detail[:200]}")
    return rate


def failed(sample: Sample) -> bool:
    return sample.status == 0 or (sample.status >= 400 and sample.status != 429)


def main() -> int:
    args = arguments()
    stack = None if args.gateway else start_stack(args)
    gateway = args.gateway or stack.url
    root = args.pid if args.gateway else stack.process.pid
    try:
        load = MixedLoad(
            gateway,
            authors=args.authors,
            fans=args.fans,
            workers=args.workers,
            pause=args.pause,
        )
        load.setup()
        load.start()
        print(f"warming up for {args.warmup:.0f} s …", flush=True)
        load.run_for(args.warmup)
        started, before = time.monotonic(), memory(root)
        minutes = max(1, round(args.minutes))
        for minute in range(minutes):
            load.run_for(60 * args.minutes / minutes)
            print(f"  minute {minute + 1}: {len(load.samples)} requests so far", flush=True)
        after = memory(root)
        load.settle()
        load.stop()
        rate = report(load.samples, started, minutes)

        print(f"\n{'process':<40} {'start MiB':>10} {'end MiB':>10} {'change':>8}")
        flat = True
        for name, (_, rss) in before.items():
            if name not in after:
                print(f"{name:<40} {rss / 1024:>10.1f} {'gone':>10}")
                flat = False
                continue
            end = after[name][1]
            change = end / rss - 1
            flat &= end <= rss * FLAT
            print(f"{name:<40} {rss / 1024:>10.1f} {end / 1024:>10.1f} {change:>+8.1%}")
        total_before = sum(rss for _, rss in before.values())
        total_after = sum(rss for name, (_, rss) in after.items() if name in before)
        print(
            f"{'all':<40} {total_before / 1024:>10.1f} {total_after / 1024:>10.1f} "
            f"{total_after / max(1, total_before) - 1:>+8.1%}"
        )
        print(f"memory flat within 10%: {'yes' if flat else 'NO'}")

        problems = load.write_problems() + load.notification_problems()
        print(
            f"writes and notifications after the soak: {'all there once' if not problems else ''}"
        )
        for problem in problems[:20]:
            print(f"  {problem}")
        return 1 if problems or rate > 0.01 else 0
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
