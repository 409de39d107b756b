"""Helpers for services' tests (wrapped by the fixtures in cotask_common.testing.pytest_plugin).

- `published_events(type_prefix=...)`: what the code under test wrote to the outbox.
- `handle_event(event)`: deliver an event to the registered handlers through the very same
  idempotent path the consumer uses (True = handled, False = duplicate / no handler).
- `make_event(type=..., key=..., data=...)`: an incoming event as another service would send it.
- `example_event(type, version)`: one built from the producer's declaration
  (`cotask_common.contracts`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from cotask_common.contracts.examples import example_payload
from cotask_common.contracts.registry import registry
from cotask_common.events.consumer import handle_event, isolated_handlers
from cotask_common.events.envelope import Event

__all__ = [
    "example_event",
    "handle_event",
    "isolated_handlers",
    "make_event",
    "published_events",
]


def published_events(
    *, type_prefix: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> list[Event]:
    """Events in the outbox (published or not), oldest first, optionally only types starting
    with `type_prefix` (e.g. "social.post." or "social.post.created")."""
    from cotask_common.events.models import OutboxEvent

    rows = OutboxEvent.objects.using(using).order_by("created_at", "id")
    if type_prefix:
        rows = rows.filter(type__startswith=type_prefix)
    return [Event.from_dict(row.payload) for row in rows]


def make_event(
    *,
    type: str,
    key: Any,
    data: dict[str, Any] | None = None,
    actor: Any = None,
    version: int = 1,
    producer: str | None = None,
) -> Event:
    """A valid event of any service (producer defaults to the type's service)."""
    return Event.new(
        type=type, key=key, data=data or {}, actor=actor, version=version, producer=producer
    )


def example_event(
    type: str, version: int | None = None, *, optional: bool = True, **overrides: Any
) -> Event:
    """An incoming event of `type` as its producer would send it: `example_payload` as data,
    keyed by the aggregate the data names (`id`, else `object_id`, else `post_id`), the
    producer's name, a random actor."""
    declaration = registry.get(type, version)
    data = example_payload(type, declaration.version, optional=optional, **overrides)
    key = data.get("id") or data.get("object_id") or data.get("post_id") or str(uuid.uuid4())
    return Event.new(
        type=type,
        key=key,
        data=data,
        actor=uuid.uuid4(),
        version=declaration.version,
        producer=declaration.producer,
    )
