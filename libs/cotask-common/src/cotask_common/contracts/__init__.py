"""Event contracts as code: every event type is declared here, per producing service.

`cotask_common.contracts.<service>` (one module per service) declares each of the service's
event types and versions as a TypedDict decorated with `@declare(...)`: its fields (with a
docstring under each), what the key is, and which services consume it and what they do.
`publish_event` refuses a type or version that is not declared and data that does not match the
declaration; docs/events.md is generated from these modules (`make events-doc`); consumers'
tests feed their handlers `example_payload(type, version)` (as events:
`cotask_common.events.testing.example_event`).

The declarations live in the kit, not in the services, because they are the shared contract:
a consumer's tests import the producer's declarations, and services never import each other.
"""

from __future__ import annotations

from cotask_common.contracts.examples import example_payload
from cotask_common.contracts.registry import (
    SERVICES,
    Declaration,
    InvalidEventData,
    UndeclaredEvent,
    declare,
    registry,
    validate_event_data,
)

__all__ = [
    "SERVICES",
    "Declaration",
    "InvalidEventData",
    "UndeclaredEvent",
    "declare",
    "example_payload",
    "registry",
    "validate_event_data",
]
