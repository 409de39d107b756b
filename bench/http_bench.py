"""The harness of the HTTP benchmarks that load one service through nginx and compare an
endpoint with the framework's floor (bench/social_feed.py, bench/tasks_board.py): the bench
environment (its own PostgreSQL database, Redis database and var folder, no Kafka), Django set up
in this process for generating data (COPY), signed access tokens, the stack (scripts/stack.py
through e2e/harness.Stack) and the load clients (wrk when installed, else Python threads).

Run as a script it only prints this text: `make bench` runs every file in bench/.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")


# ---------------------------------------------------------------------------------------------
# Setup


def bench_env(
    *, database: str, redis_db: int, var_dir: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of the bench and of the stack it starts: the configured PostgreSQL and
    Redis servers, but a database and Redis database of the bench's own; no Kafka, Celery or
    S3 (the embedded bus; no event processes run); tokens signed with a key file in `var_dir`."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        raise SystemExit('needs PostgreSQL and Redis: eval "$(scripts/infra env)" first')
    db = urlparse(database_url)
    env = dict(os.environ)
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "CELERY_BROKER_URL", "S3_ENDPOINT_URL"):
        env.pop(name, None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_SCHEMA", None)
    env.update(
        {
            "DATABASE_URL": urlunparse(db._replace(path=f"/{database}")),
            "REDIS_URL": urlunparse(urlparse(redis_url)._replace(path=f"/{redis_db}")),
            "COTASK_VAR_DIR": str(var_dir),
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "JWT_PRIVATE_KEY_FILE": str(var_dir / "jwt-signing-key.pem"),
            "LOG_LEVEL": "WARNING",
            "AUTH_THROTTLE_ENABLED": "false",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            **(extra or {}),
        }
    )
    return env


def ensure_database(name: str) -> None:
    import psycopg

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit('needs PostgreSQL and Redis: eval "$(scripts/infra env)" first')
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(env: dict[str, str], service_dir: Path) -> None:
    """This process becomes the service (its settings, its database schema), migrated."""
    os.environ.clear()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(service_dir))
    os.chdir(service_dir)
    from cotask_common.entrypoints import prepare

    prepare()  # var/ (COTASK_VAR_DIR) first: importing settings creates nothing
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def setup_in_process(
    *, database: str, service_dir: Path, var_name: str, extra: dict[str, str] | None = None
) -> None:
    """This process becomes the service on a database of the bench's own (created when
    missing), migrated, with no Redis or Kafka (the embedded bus): the setup of the benches
    that measure a service's code in process."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit('needs PostgreSQL: eval "$(scripts/infra env)" first')
    ensure_database(database)
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL", "DATABASE_SCHEMA"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DATABASE_URL": urlunparse(urlparse(url)._replace(path=f"/{database}")),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "COTASK_VAR_DIR": str(ROOT / "var" / var_name),
            "LOG_LEVEL": "WARNING",
            **(extra or {}),
        }
    )
    sys.path.insert(0, str(service_dir))
    os.chdir(service_dir)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_process(
    args: Any, *, name: str, service_dir: Path, signed: bool = True
) -> tuple[Path, dict[str, str], Any, str]:
    """The usual start of a bench that measures one service: its var dir (`var/<name>`), its
    database (created when missing) and environment, a signing key made before Django (the
    services trust the key file they find; `signed=False`: none) and this process set up as
    the service. Returns (var_dir, env, key, kid)."""
    var_dir = ROOT / "var" / name
    var_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(args.database)
    env = bench_env(database=args.database, redis_db=args.redis_db, var_dir=var_dir)
    key, kid = signing_key(var_dir) if signed else (None, "")
    setup_django(env, service_dir)
    return var_dir, env, key, kid


def kept_data(
    var_dir: Path,
    *,
    still_good: Callable[[dict[str, Any]], bool],
    generate: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The state of the data an earlier run generated (`var_dir/data.json`) while
    `still_good(state)` says it fits this run's sizes; else the data generated again."""
    state_file = var_dir / "data.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if not still_good(state):
        started = time.monotonic()
        state = generate()
        state_file.write_text(json.dumps(state))
        print(f"generated in {time.monotonic() - started:.0f} s", flush=True)
    return state


def signing_key(var_dir: Path) -> tuple[Any, str]:
    """The bench's RS256 key (made once, kept in `var_dir`): auth-service signs with it and
    serves it in its key set, so the tokens made here verify in every service."""
    from cotask_common.security.signing import (
        generate_private_key,
        key_id,
        load_private_key,
        private_key_to_pem,
    )

    path = var_dir / "jwt-signing-key.pem"
    if path.exists():
        key = load_private_key(path.read_bytes())
    else:
        key = generate_private_key()
        path.write_bytes(private_key_to_pem(key))
        path.chmod(0o600)
    return key, key_id(key.public_key())


def tokens_for(user_ids: list[str], key: Any, kid: str) -> list[str]:
    from django.conf import settings

    from cotask_common.security.signing import encode_token, standard_claims

    return [
        encode_token(
            standard_claims(
                user_id=user_id,
                username=f"bench-{user_id[-6:]}",
                role="user",
                email_verified=True,
                session_id=uuid.uuid4().hex,
                token_type="access",
                lifetime=timedelta(hours=2),
                issuer=settings.COTASK_JWT_ISSUER,
                audience=settings.COTASK_JWT_AUDIENCE,
            ),
            private_key=key,
            kid=kid,
        )
        for user_id in user_ids
    ]


def start_stack(
    *,
    name: str,
    env: dict[str, str],
    gateway_port: int,
    service_port_base: int,
    web_workers: int,
    web_threads: int,
) -> Any:
    """nginx and the six services' web processes (no Celery workers, no event processes)."""
    sys.path.insert(0, str(ROOT / "e2e"))
    from harness import Stack

    skip = [arg for s in SERVICES for arg in ("--skip", f"{s}:events")]
    print("starting the stack (nginx + six services, no workers) …", flush=True)
    return Stack(
        name=name,
        gateway_port=gateway_port,
        service_port_base=service_port_base,
        env=env,
        extra_args=[
            "--no-workers",
            *("--web-workers", str(web_workers), "--web-threads", str(web_threads)),
            *skip,
        ],
    )


def stack_for(args: Any, *, name: str, env: dict[str, str]) -> Any:
    """`start_stack` with a benchmark's usual options (`--gateway-port`, `--service-port-base`,
    `--web-workers`, `--web-threads`)."""
    return start_stack(
        name=name,
        env=env,
        gateway_port=args.gateway_port,
        service_port_base=args.service_port_base,
        web_workers=args.web_workers,
        web_threads=args.web_threads,
    )


# ---------------------------------------------------------------------------------------------
# Data


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple], total: int, what: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in tqdm(rows, total=total, desc=what, unit=" rows", mininterval=0.5):
                copy.write_row(row)


def copy_objects(model: Any, objects: Iterable[Any], total: int, what: str) -> None:
    """COPY unsaved model instances into the model's table: every concrete column, as the ORM
    would write it (defaults, JSON), so a field added later needs no change here. An
    auto_now(_add) time set on the instance is kept (else now); an auto-increment id comes from
    the database."""
    from django.db import connection
    from django.db.models import AutoField

    fields = [
        f for f in model._meta.concrete_fields if not (isinstance(f, AutoField) and f.primary_key)
    ]  # BigAutoField is an AutoField subclass

    def value(obj: Any, field: Any) -> Any:
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if auto and getattr(obj, field.attname) is not None:
            return getattr(obj, field.attname)  # a time the generator set (backdated rows)
        return field.pre_save(obj, True)

    def rows() -> Iterable[tuple]:
        for obj in objects:
            yield tuple(f.get_db_prep_save(value(obj, f), connection) for f in fields)

    copy_rows(model._meta.db_table, [f.column for f in fields], rows(), total, what)


# ---------------------------------------------------------------------------------------------
# Measuring


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load(
    *,
    port: int,
    method: str,
    paths: list[str],
    tokens: list[str],
    total: int,
    concurrency: int,
    body: bytes | None = None,
    bodies: list[bytes] | None = None,
    seconds: float | None = None,
) -> dict[str, float]:
    """`total` requests (or as many as `seconds` allow, if given) from `concurrency` threads
    (keep-alive connections), request i with paths[i % len], tokens[i % len] and the body (or
    bodies[i % len]); returns p50/p99 in ms, requests per second and the count. Any answer
    >= 300 fails the run."""
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(total))
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds if seconds else None

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None or (deadline is not None and time.perf_counter() > deadline):
                break
            data = bodies[i % len(bodies)] if bodies else body
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            conn.request(method, paths[i % len(paths)], body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            if response.status >= 300:
                errors.append(f"{response.status} {payload[:300]!r}")
            latencies.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return {
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rps": len(latencies) / wall,
        "count": len(latencies),
    }


WRK_SCRIPT = """
-- Each line of the file: a token, and optionally the path its reader requests.
local targets, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do
    local token, path = line:match("^(%S+)%s*(%S*)$")
    targets[#targets + 1] = {token, path ~= "" and path or nil}
  end
  i = math.random(#targets)
end
function request()
  i = i % #targets + 1
  local token, path = targets[i][1], targets[i][2]
  return wrk.format(nil, path, {Authorization = "Bearer " .. token})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def load_wrk(
    *, port: int, path: str, tokens: list[str], seconds: float, concurrency: int,
    var_dir: Path, paths: list[str] | None = None,
) -> dict[str, float]:  # fmt: skip
    """GET `path` with wrk (C, event loop: the client takes little of the CPU the server needs)
    for `seconds`, `concurrency` keep-alive connections on 2 threads, each request with the
    next token (and, given `paths`, as `load` pairs them: request i with tokens[i % len]
    and paths[i % len]);
    p50/p99 in ms, requests per second. Any non-2xx/3xx answer fails the run."""
    script, token_file = var_dir / "tokens.lua", var_dir / "tokens.txt"
    script.write_text(WRK_SCRIPT)
    pairs = math.lcm(len(tokens), len(paths)) if paths else len(tokens)
    lines = [
        f"{tokens[i % len(tokens)]} {paths[i % len(paths)]}" if paths else tokens[i]
        for i in range(pairs)
    ]
    token_file.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}{path}", "--",
         str(token_file)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    fields = next(line for line in out.splitlines() if line.startswith("WRK ")).split()[1:]
    requests, duration_us, p50_us, p99_us, errors = (int(f) for f in fields)
    if errors:
        raise SystemExit(f"{errors} failed requests to {path}:\n{out}")
    return {"p50": p50_us / 1000, "p99": p99_us / 1000, "rps": requests / duration_us * 1e6}


def timed_load(
    *, port: int, paths: list[str], tokens: list[str], seconds: float, concurrency: int,
    var_dir: Path, python_client: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """GETs for `seconds` from `concurrency` keep-alive clients, request i with paths[i % len]
    and tokens[i % len], after a warm-up of every worker: with wrk when it is installed (the
    clients then take little of the 2 cores the service needs), else (or `python_client`)
    Python threads, whose per-request CPU competes with the service's. `client` names which."""
    if shutil.which("wrk") and not python_client:
        timed = {"port": port, "path": paths[0], "paths": paths, "tokens": tokens,
                 "concurrency": concurrency, "var_dir": var_dir}  # fmt: skip
        load_wrk(seconds=2, **timed)  # warm every worker
        return {**load_wrk(seconds=seconds, **timed), "client": "wrk"}
    common = {"port": port, "method": "GET", "paths": paths, "tokens": tokens}
    load(total=200, concurrency=concurrency, **common)  # warm every worker
    result = load(total=10**9, concurrency=concurrency, seconds=seconds, **common)
    return {**result, "client": "Python threads"}


def backend_cpu_seconds(pid: int | None = None) -> float | None:
    """CPU seconds Django's PostgreSQL session in this process (or the backend `pid`, read
    once beforehand to keep the query out of a timed loop) has used so far, None when the
    server is not on this machine: a read's database work, without the machine's other load."""
    if pid is None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    print(__doc__)
