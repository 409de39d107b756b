"""Fault injection under a steady mixed load (e2e/mixed_load.py), through nginx on the real stack.

Each test starts the load (reads, posts, likes, uploads, one open websocket per author), lets it
run, injects one fault, lets the stack recover, and then asserts with `MixedLoad.check()`:
no 500 (nor any 5xx but a 503 in the kit's error shape with `Retry-After`, and that only while
the data is out of reach), every write accepted before and during the fault present exactly
once, every notification delivered once, in the REST list, on the live socket (which resumes by
cursor) and by replay from the first cursor, without a gap.

The faults: Redis stopped for 30 s; PostgreSQL restarted; social's event process (relay and
consumer) killed with SIGKILL ten times; nginx reloaded with sockets open. The first two stop
servers of `scripts/infra`, which every client of them feels: like the Kafka outage
(test_outage.py) the suite runs only when asked to (`E2E_FAULTS=1`, for a dedicated machine or
an infrastructure of one's own on `INFRA_*` ports), and a server is stopped only when this
checkout's `scripts/infra` started it. Each test ends only when every `readyz` answers 200.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from harness import ServiceProcess, Stack, wait_for
from mixed_load import MixedLoad
from test_outage import _all_ready, _infra

FAULTS_OPT_IN = "E2E_FAULTS"
REDIS_DOWN_SECONDS = 30
CONSUMER_KILLS = 10

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        os.environ.get(FAULTS_OPT_IN) != "1",
        reason=f"stops Redis and PostgreSQL; set {FAULTS_OPT_IN}=1 on a machine (or INFRA_* "
        "ports) no one else uses",
    ),
]


def _ours(env: dict[str, str], component: str) -> bool:
    """True when this checkout's scripts/infra runs `component` (not another checkout's)."""
    status = _infra(env, "status", component, timeout=60)
    return "running (pid" in status.stdout + status.stderr


@contextmanager
def _stopped(env: dict[str, str], component: str) -> Iterator[None]:
    """`component` stopped for the block and started again (waiting until it answers) before
    the block ends. Nested inside `load.fault(...)`, the fault window (and its grace for
    clients' pools to reconnect) runs from the stop until the server is back, however long
    a busy machine takes to start it again."""
    stopped = _infra(env, "down", component)
    assert stopped.returncode == 0, stopped.stderr
    try:
        yield
    finally:
        started = _infra(env, "up", component)
        assert started.returncode == 0, started.stderr


@pytest.fixture
def load(gateway: str) -> Iterator[MixedLoad]:
    running = MixedLoad(gateway)
    running.setup()
    running.start()
    yield running
    running.stop()


def _recovered(load: MixedLoad, gateway: str, *, then: float = 8) -> list[str]:
    """Every readyz 200, `then` seconds more of load, the load stopped: what went wrong."""
    wait_for(lambda: _all_ready(gateway), timeout=180, interval=1, what="every readyz 200")
    load.run_for(then)
    load.settle()
    load.stop()
    problems = load.check()
    print(load.summary())
    accepted = sum(1 for s in load.samples if 200 <= s.status < 300)
    assert accepted > 20, f"the load hardly ran: {len(load.samples)} requests, {load.notes[-5:]}"
    return problems


def test_redis_stopped_for_30_seconds(
    gateway: str, stack_env: dict[str, str], load: MixedLoad
) -> None:
    if not _ours(stack_env, "redis"):
        pytest.skip("Redis was not started by this checkout's scripts/infra")
    load.run_for(5)
    # Live updates go through the channel layer, which is Redis: a socket cannot be opened
    # while it is away (the handshake's 503); everything else answers from the database.
    with load.fault("redis", may_503={"ws-connect"}), _stopped(stack_env, "redis"):
        load.run_for(REDIS_DOWN_SECONDS)
    assert _recovered(load, gateway) == []


def test_postgresql_restarted(gateway: str, stack_env: dict[str, str], load: MixedLoad) -> None:
    if not _ours(stack_env, "postgres"):
        pytest.skip("PostgreSQL was not started by this checkout's scripts/infra")
    load.run_for(5)
    # Everything lives in the database: any endpoint may say 503 until it is back.
    with load.fault("postgres", may_503={"*"}), _stopped(stack_env, "postgres"):
        load.run_for(3)
    assert _recovered(load, gateway) == []


def test_the_social_event_process_killed_ten_times(
    gateway: str, social_events: ServiceProcess, load: MixedLoad
) -> None:
    load.run_for(3)
    with load.fault("social events killed"):  # the API does not wait on them: no 503 at all
        for _ in range(CONSUMER_KILLS):
            social_events.kill()
            load.run_for(0.5)
            social_events.start()
            load.run_for(2.5)
    assert _recovered(load, gateway) == []


def test_nginx_reloaded_with_sockets_open(gateway: str, stack: Stack, load: MixedLoad) -> None:
    pid_file = stack.var_dir / "nginx" / stack.name / "nginx.pid"
    master = int(Path(pid_file).read_text().strip())
    load.run_for(3)
    with load.fault("nginx reloads"):  # graceful: no 503 either
        for _ in range(3):
            os.kill(master, signal.SIGHUP)
            time.sleep(3)
    assert _recovered(load, gateway) == []
