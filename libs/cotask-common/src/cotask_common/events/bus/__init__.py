"""Choosing the event bus: `get_bus()` for the configured one, `build_bus(...)` for a given one."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from cotask_common.events.bus.base import (
    BusConsumer,
    BusError,
    BusMessage,
    BusUnavailable,
    EventBus,
)

__all__ = [
    "BusConsumer",
    "BusError",
    "BusMessage",
    "BusUnavailable",
    "EventBus",
    "build_bus",
    "bus_from_settings",
    "get_bus",
    "reset_bus",
]

_lock = threading.Lock()
_cached: tuple[int, EventBus] | None = None


def build_bus(
    *,
    backend: str,
    bootstrap_servers: str = "",
    log_path: str | Path | None = None,
    **options: Any,
) -> EventBus:
    """A bus of the given backend ("kafka" or "embedded"); `options` go to its constructor
    (e.g. `timeout`, `partitions`, `topic_prefix` for Kafka; `busy_timeout`, `lease_seconds` for
    embedded)."""
    if backend == "kafka":
        from cotask_common.events.bus.kafka import KafkaBus

        return KafkaBus(bootstrap_servers=bootstrap_servers, **options)
    if backend == "embedded":
        from cotask_common.events.bus.embedded import EmbeddedBus

        if not log_path:
            raise ValueError("the embedded bus needs a log path (EVENT_LOG_PATH)")
        return EmbeddedBus(path=log_path, **options)
    raise ValueError(f"unknown event bus backend {backend!r}; expected 'kafka' or 'embedded'")


def bus_from_settings() -> EventBus:
    from django.conf import settings

    backend = settings.COTASK_EVENT_BUS
    if backend == "kafka":
        return build_bus(
            backend="kafka",
            bootstrap_servers=settings.COTASK_KAFKA_BOOTSTRAP_SERVERS,
            client_id=f"cotask-{settings.COTASK_SERVICE}",
            partitions=settings.COTASK_KAFKA_TOPIC_PARTITIONS,
            replication_factor=settings.COTASK_KAFKA_REPLICATION_FACTOR,
            topic_prefix=settings.COTASK_KAFKA_TOPIC_PREFIX,
        )
    return build_bus(backend=backend, log_path=settings.COTASK_EVENT_LOG_PATH)


def get_bus() -> EventBus:
    """The configured bus, one per process (rebuilt after a fork: Kafka clients are not
    fork-safe, and gunicorn/celery fork workers)."""
    global _cached
    with _lock:
        if _cached is None or _cached[0] != os.getpid():
            _cached = (os.getpid(), bus_from_settings())
        return _cached[1]


def reset_bus() -> None:
    """Forget (and close) the cached bus, e.g. after tests change the bus settings."""
    global _cached
    with _lock:
        cached, _cached = _cached, None
    if cached is not None and cached[0] == os.getpid():
        cached[1].close()
