"""Fixtures of the event bus contract suite: every test using `bus` / `make_bus` runs once per
backend. Kafka runs against KAFKA_BOOTSTRAP_SERVERS (set in CI) and is skipped only when that
variable is unset; the embedded log lives in a temporary file."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cotask_common.contracts.testing import declared
from cotask_common.events.bus import EventBus, build_bus
from cotask_common.events.consumer import HandlerRegistry, isolated_handlers
from events.support import DEADLINE, aggregates_in_use, unique_name

KAFKA_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
# Nothing listens here: the "broker is down" address.
DEAD_KAFKA = "127.0.0.1:59999"

BACKENDS = [
    "embedded",
    pytest.param(
        "kafka",
        marks=pytest.mark.skipif(
            not KAFKA_SERVERS,
            reason="KAFKA_BOOTSTRAP_SERVERS is not set (CI sets it; run scripts/infra up locally)",
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_bus(backend: str, tmp_path: Path) -> Iterator[Callable[..., EventBus]]:
    """`make_bus()` for the backend under test; `make_bus(reachable=False)` for one that cannot
    reach its log/broker (a closed port, a path that cannot be created)."""
    created: list[EventBus] = []
    log_path = tmp_path / "events.sqlite3"
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, so nothing can be created beneath it")

    def factory(*, reachable: bool = True, **options: Any) -> EventBus:
        if backend == "kafka":
            options.setdefault("timeout", 5.0 if reachable else 2.0)
            bus = build_bus(
                backend="kafka",
                bootstrap_servers=KAFKA_SERVERS if reachable else DEAD_KAFKA,
                client_id="cotask-contract-tests",
                **options,
            )
        else:
            path = log_path if reachable else blocker / "events.sqlite3"
            bus = build_bus(backend="embedded", log_path=path, **options)
        created.append(bus)
        return bus

    yield factory
    for bus in created:
        bus.close()


@pytest.fixture
def bus(make_bus: Callable[..., EventBus]) -> EventBus:
    return make_bus()


@pytest.fixture
def handlers() -> Iterator[HandlerRegistry]:
    """An empty handler registry for the test (autodiscovered handlers are put back after)."""
    with isolated_handlers() as registry:
        yield registry


# The verbs the suite publishes for its made-up aggregates (declared per test, any data).
TEST_VERBS = ("created", "updated", "renamed", "archived", "greeted", "liked", "gone")


@pytest.fixture
def aggregate() -> Iterator[str]:
    """A fresh aggregate name: event types `kit.<aggregate>.<verb>`, topic `kit.<aggregate>`, so
    reruns against a long-lived Kafka never see old messages. Its types are declared (with any
    data) for the test, as `publish_event` publishes declared types only."""
    name = unique_name("t")
    with declared(f"kit.{name}.{verb}" for verb in TEST_VERBS):
        yield name


@pytest.fixture
def group() -> str:
    return unique_name("g")


@pytest.fixture
def deadline_stop() -> Iterator[Callable[[float], threading.Event]]:
    """`deadline_stop(seconds)`: a stop event that sets itself after `seconds`, so a consumer
    under test can never hang the suite."""
    timers: list[threading.Timer] = []

    def factory(seconds: float = DEADLINE) -> threading.Event:
        event = threading.Event()
        timer = threading.Timer(seconds, event.set)
        timer.daemon = True
        timer.start()
        timers.append(timer)
        return event

    yield factory
    for timer in timers:
        timer.cancel()


@pytest.fixture(autouse=True)
def _delete_test_topics() -> Iterator[None]:
    """Keep a long-lived broker tidy: drop the topics (and DLQs) this test created."""
    aggregates_in_use.clear()
    yield
    if not KAFKA_SERVERS or not aggregates_in_use:
        return
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": KAFKA_SERVERS})
    names = {f"kit.{a}{suffix}" for a in aggregates_in_use for suffix in ("", ".dlq")}
    try:
        doomed = sorted(names & set(admin.list_topics(timeout=5).topics))
        if doomed:
            for future in admin.delete_topics(doomed, operation_timeout=5).values():
                future.result(timeout=10)
    except KafkaException as exc:  # tidying up must not fail a test
        warnings.warn(f"could not delete test topics: {exc}", stacklevel=1)
