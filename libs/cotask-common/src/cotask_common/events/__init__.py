"""The event bus, outbox and consumer of the CoTask services (Django app `cotask_events`).

Everyday names are importable from here, loaded lazily so listing the app in INSTALLED_APPS does
not import models before Django is ready:

    from cotask_common.events import Event, event_handler, publish_event
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Event": "cotask_common.events.envelope",
    "EventValidationError": "cotask_common.events.envelope",
    "publish_event": "cotask_common.events.outbox",
    "OutboxError": "cotask_common.events.outbox",
    "event_handler": "cotask_common.events.consumer",
    "handle_event": "cotask_common.events.consumer",
    "consume": "cotask_common.events.consumer",
    "relay_once": "cotask_common.events.relay",
    "run_relay": "cotask_common.events.relay",
    "get_bus": "cotask_common.events.bus",
    "build_bus": "cotask_common.events.bus",
    "BusUnavailable": "cotask_common.events.bus",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
