"""The event envelope every CoTask service publishes and consumes (see ARCHITECTURE.md, Events).

On the wire an event is one JSON object:
`{"id", "type", "version", "occurred_at", "producer", "key", "actor", "data"}`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from cotask_common.contracts.names import TYPE_PATTERN, EventValidationError
from cotask_common.ids import uuid7

PRODUCER_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_KEY_LENGTH = 255
FIELDS = ("id", "type", "version", "occurred_at", "producer", "key", "actor", "data")


def topic_for(event_type: str) -> str:
    """`social.post.created` -> `social.post` (one topic per aggregate)."""
    if not TYPE_PATTERN.match(event_type):
        raise EventValidationError([_type_problem(event_type)])
    return event_type.rsplit(".", 1)[0]


def validate_event_type(event_type: str) -> str:
    if not isinstance(event_type, str) or not TYPE_PATTERN.match(event_type):
        raise EventValidationError([_type_problem(event_type)])
    return event_type


def _type_problem(value: Any) -> str:
    return (
        "type must look like '<service>.<aggregate>.<verb>' "
        f"(lowercase letters, digits, '_'; e.g. 'social.post.created'), got {value!r}"
    )


def to_json_data(data: Any) -> Any:
    """Plain JSON values only: UUIDs, datetimes, decimals become strings exactly as consumers will
    see them, so the producer's in-memory event equals the one on the wire."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@dataclass(frozen=True, kw_only=True)
class Event:
    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    producer: str
    key: str
    actor: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise EventValidationError(problems)

    @classmethod
    def new(
        cls,
        *,
        type: str,
        key: Any,
        data: dict[str, Any] | None = None,
        producer: str | None = None,
        actor: Any = None,
        version: int = 1,
    ) -> Event:
        """A fresh event: a new UUID v7 id, `occurred_at` now. `producer` defaults to the service
        named by the type; keys and actors may be UUIDs (stored as strings)."""
        if not isinstance(data, dict | None):
            raise EventValidationError([f"data must be a JSON object, got {_kind(data)}"])
        if isinstance(type, str) and producer is None:
            producer = type.split(".", 1)[0]
        return cls(
            id=uuid7(),
            type=type,
            version=version,
            occurred_at=datetime.now(UTC),
            producer=producer or "",
            key=str(key) if isinstance(key, uuid.UUID | int) else key,
            actor=str(actor) if isinstance(actor, uuid.UUID | int) else actor,
            data=to_json_data(data or {}),
        )

    @property
    def topic(self) -> str:
        return self.type.rsplit(".", 1)[0]

    @property
    def service(self) -> str:
        return self.type.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "version": self.version,
            "occurred_at": format_time(self.occurred_at),
            "producer": self.producer,
            "key": self.key,
            "actor": self.actor,
            "data": self.data,
        }

    def to_json(self) -> bytes:
        try:
            text = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise EventValidationError([f"data is not JSON-serializable: {exc}"]) from exc
        return text.encode("utf-8")

    @classmethod
    def from_dict(cls, raw: Any) -> Event:
        if not isinstance(raw, dict):
            raise EventValidationError([f"an event must be a JSON object, got {_kind(raw)}"])
        problems = [f"missing field {name!r}" for name in FIELDS if name not in raw]
        # Unknown fields are ignored on purpose: a newer producer may add some.
        event_id: Any = raw.get("id")
        try:
            event_id = uuid.UUID(str(event_id))
        except ValueError:
            if "id" in raw:
                problems.append(f"id must be a UUID, got {raw.get('id')!r}")
        occurred_at: Any = raw.get("occurred_at")
        if "occurred_at" in raw:
            try:
                occurred_at = parse_time(occurred_at)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            raise EventValidationError(problems)
        return cls(
            id=event_id,
            type=raw["type"],
            version=raw["version"],
            occurred_at=occurred_at,
            producer=raw["producer"],
            key=raw["key"],
            actor=raw["actor"],
            data=raw["data"],
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        try:
            parsed = json.loads(raw)
        except UnicodeDecodeError as exc:
            raise EventValidationError([f"payload is not UTF-8: {exc}"]) from exc
        except ValueError as exc:
            raise EventValidationError([f"payload is not JSON: {exc}"]) from exc
        return cls.from_dict(parsed)


def format_time(value: datetime) -> str:
    """UTC ISO 8601 with microseconds and a `Z`, e.g. `2025-01-02T03:04:05.123456Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"occurred_at must be an ISO 8601 string, got {_kind(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"occurred_at must be ISO 8601, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"occurred_at must carry a time zone (UTC), got {value!r}")
    return parsed.astimezone(UTC)


def _problems(event: Event) -> list[str]:
    problems: list[str] = []
    if not isinstance(event.id, uuid.UUID):
        problems.append(f"id must be a UUID, got {event.id!r}")
    if not isinstance(event.type, str) or not TYPE_PATTERN.match(event.type):
        problems.append(_type_problem(event.type))
    if isinstance(event.version, bool) or not isinstance(event.version, int) or event.version < 1:
        problems.append(f"version must be a positive integer, got {event.version!r}")
    if not isinstance(event.occurred_at, datetime) or event.occurred_at.tzinfo is None:
        problems.append(
            f"occurred_at must be a time-zone-aware datetime, got {event.occurred_at!r}"
        )
    if not isinstance(event.producer, str) or not PRODUCER_PATTERN.match(event.producer):
        problems.append(f"producer must be a service name like 'social', got {event.producer!r}")
    if not isinstance(event.key, str) or not event.key or len(event.key) > MAX_KEY_LENGTH:
        problems.append(
            f"key must be a non-empty string of at most {MAX_KEY_LENGTH} characters "
            f"(the aggregate id), got {event.key!r}"
        )
    if event.actor is not None and (not isinstance(event.actor, str) or not event.actor):
        problems.append(f"actor must be a user id string or null, got {event.actor!r}")
    if not isinstance(event.data, dict):
        problems.append(f"data must be a JSON object, got {_kind(event.data)}")
    return problems


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
