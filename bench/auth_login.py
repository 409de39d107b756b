"""Benchmark: login throughput of auth-service with its configured Argon2 cost.

Runs auth-service in-process (its real settings: Argon2id t=2, 64 MiB, p=2 unless AUTH_ARGON2_*
say otherwise) on SQLite under var/bench/, with throttles off. Measures the cost of one password
hash, then full logins through Django's test client (request parsing, lookup, Argon2 verify,
session row, two RS256 signatures), serially and from several threads (argon2-cffi releases the
GIL, so threads use every core the way gunicorn threads would).

    .venv/bin/python bench/auth_login.py [--logins 40] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_DIR = ROOT / "auth-service"
PASSWORD = "bench-Passphrase-2026"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=40, help="logins per phase")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hashes", type=int, default=20)
    args = parser.parse_args()

    os.environ["COTASK_VAR_DIR"] = str(ROOT / "var" / "bench")
    for name in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["AUTH_THROTTLE_ENABLED"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.chdir(SERVICE_DIR)
    sys.path.insert(0, str(SERVICE_DIR))

    from cotask_common.entrypoints import prepare

    prepare()  # var/ (COTASK_VAR_DIR) first: importing settings creates nothing
    import django

    django.setup()
    from auth.accounts.models import User
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, make_password
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    user = User.objects.filter(username="bench").first()
    if user is None:
        user = User(username="bench", email="bench@example.com", display_name="Bench")
    user.set_password(PASSWORD)  # re-hashed with the current parameters
    user.save()

    encoded = make_password(PASSWORD)
    hash_ms = []
    for _ in range(args.hashes):
        started = time.perf_counter()
        check_password(PASSWORD, encoded)
        hash_ms.append((time.perf_counter() - started) * 1000)

    def login(client: Client) -> float:
        started = time.perf_counter()
        response = client.post(
            "/api/auth/login/",
            {"login": "bench", "password": PASSWORD},
            content_type="application/json",
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"login failed: {response.status_code} {response.content[:300]!r}")
        return elapsed

    login(Client())  # warm-up: keys, URL resolver, first connection
    serial_client = Client()
    started = time.perf_counter()
    serial_ms = [login(serial_client) for _ in range(args.logins)]
    serial_rps = args.logins / (time.perf_counter() - started)

    per_thread = max(1, args.logins // args.threads)
    threaded_ms: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        from django.db import connection

        client = Client()
        mine = [login(client) for _ in range(per_thread)]
        connection.close()
        with lock:
            threaded_ms.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    threaded_rps = len(threaded_ms) / (time.perf_counter() - started)

    print("auth-service login benchmark (in-process, SQLite, throttles off)")
    print(
        f"  argon2id parameters:      t={settings.AUTH_ARGON2_TIME_COST}, "
        f"m={settings.AUTH_ARGON2_MEMORY_COST_KIB} KiB, p={settings.AUTH_ARGON2_PARALLELISM}"
    )
    print(f"  CPU cores:                {os.cpu_count()}")
    print(
        f"  ms per hash (verify):     median {statistics.median(hash_ms):.1f}, "
        f"min {min(hash_ms):.1f}, max {max(hash_ms):.1f}  ({args.hashes} hashes)"
    )
    print(
        f"  login, 1 thread:          {serial_rps:.1f} requests/s, "
        f"median {statistics.median(serial_ms):.1f} ms per login  ({args.logins} logins)"
    )
    print(
        f"  login, {args.threads} threads:         {threaded_rps:.1f} requests/s, "
        f"median {statistics.median(threaded_ms):.1f} ms per login  ({len(threaded_ms)} logins)"
    )
    share = statistics.median(hash_ms) / statistics.median(serial_ms)
    print(f"  hashing share of a login: {share:.0%}")


if __name__ == "__main__":
    main()
