"""Polling helpers of the event bus contract suite (deadlines, never fixed sleeps)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from cotask_common.events.bus import BusConsumer, BusMessage, EventBus
from cotask_common.events.envelope import Event

DEADLINE = 45.0


# Aggregate names handed out during the current test; their topics are deleted afterwards.
aggregates_in_use: list[str] = []


def unique_name(prefix: str = "t") -> str:
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    if prefix == "t":
        aggregates_in_use.append(name)
    return name


def drain(consumer: BusConsumer, *, count: int, timeout: float = DEADLINE) -> list[BusMessage]:
    """Poll until `count` messages arrived or the deadline passed (then fewer are returned)."""
    received: list[BusMessage] = []
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None:
            received.append(message)
    return received


def drain_until(
    consumer: BusConsumer, *, stop: Callable[[BusMessage], bool], timeout: float = DEADLINE
) -> list[BusMessage]:
    """Poll until a message matching `stop` arrived (included); fails at the deadline. Used with
    a sentinel published last to prove that nothing *else* arrives, without a fixed sleep."""
    received: list[BusMessage] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        received.append(message)
        if stop(message):
            return received
    raise AssertionError(f"the sentinel did not arrive within {timeout}s; got {received}")


def send(bus: EventBus, *events: Event) -> None:
    """Put events on the bus as the relay would (envelope JSON, keyed by aggregate)."""
    bus.ensure_topics(sorted({event.topic for event in events}))
    bus.publish(
        [
            BusMessage(
                topic=event.topic,
                key=event.key,
                value=event.to_json(),
                headers={"event-id": str(event.id), "event-type": event.type},
            )
            for event in events
        ]
    )
