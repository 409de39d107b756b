"""Who may read a private media file: the contract between the service that uses a file and
media-service (catalogue: docs/events.md, "Access to private files").

Media-service owns the bytes but not the rules: a private page's followers, a room's members or
a conversation's participants are known only to the service that owns them. That service
publishes, through its outbox, two kinds of facts that media keeps as a projection:

- a file belongs to an *audience*: the `audience` field of `<service>.media.attached` (for example
  `page:<id>`); it goes with the reference (`<service>.media.detached`, a deleted post);
- who is in an audience: `<service>.media.access_granted` / `<service>.media.access_revoked`,
  keyed by the audience (one Kafka partition, so one audience's changes stay in order).

A member of an audience may read every file attached to it. Audiences are per service: social's
`page:<id>` and tasks' `room:<id>` never mix. Ordering is by the event's `occurred_at` (a change
older than what media already applied for that member is ignored), so a redelivered or replayed
grant cannot undo a later revocation.

Producers call the `publish_*` functions inside the transaction of the change; media parses with
`parse_access_change`. Both sides import the names from here, so they cannot drift apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

GRANTED = "media.access_granted"
REVOKED = "media.access_revoked"
AUDIENCE_MAX_LENGTH = 128
# Users per event: 1000 UUIDs stay far below the outbox's 512 KiB limit.
USERS_PER_EVENT = 1000


def audience_name(kind: str, object_id: Any) -> str:
    """`page:<uuid>`, `room:<uuid>`, `conversation:<uuid>`: the audience of one object."""
    name = f"{kind}:{object_id}"
    if not kind or ":" in kind or len(name) > AUDIENCE_MAX_LENGTH:
        raise ValueError(f"not a valid audience: {name!r}")
    return name


def granted_type(service: str) -> str:
    return f"{service}.{GRANTED}"


def revoked_type(service: str) -> str:
    return f"{service}.{REVOKED}"


def _user_ids(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(uuid.UUID(str(value))) for value in values))


def publish_access_granted(*, audience: str, user_ids: Iterable[Any], actor: Any = None) -> None:
    """The users may now read the audience's files. Inside the change's transaction."""
    _publish(GRANTED, audience=audience, user_ids=_user_ids(user_ids), actor=actor)


def publish_access_revoked(
    *, audience: str, user_ids: Iterable[Any] | None = None, actor: Any = None
) -> None:
    """The users may no longer read the audience's files; `user_ids=None`: nobody may (the
    audience is gone). Inside the change's transaction."""
    if user_ids is None:
        _publish_one(REVOKED, audience=audience, data={"audience": audience}, actor=actor)
        return
    _publish(REVOKED, audience=audience, user_ids=_user_ids(user_ids), actor=actor)


def _publish(suffix: str, *, audience: str, user_ids: list[str], actor: Any) -> None:
    for start in range(0, len(user_ids), USERS_PER_EVENT):
        batch = user_ids[start : start + USERS_PER_EVENT]
        _publish_one(
            suffix, audience=audience, data={"audience": audience, "user_ids": batch}, actor=actor
        )


def _publish_one(suffix: str, *, audience: str, data: dict[str, Any], actor: Any) -> None:
    from cotask_common.events.outbox import publish_event

    if len(audience) > AUDIENCE_MAX_LENGTH or ":" not in audience:
        raise ValueError(f"not a valid audience: {audience!r}")
    publish_event(type=f"{settings.COTASK_SERVICE}.{suffix}", key=audience, actor=actor, data=data)


@dataclass(frozen=True)
class AccessChange:
    """One `access_granted` / `access_revoked` event as media applies it."""

    service: str
    audience: str
    granted: bool
    user_ids: list[uuid.UUID] | None  # None: every member (revoked only)
    occurred_at: datetime
    skipped: list[str]  # malformed user ids, for the log


def parse_access_change(event: Any) -> AccessChange:
    """Read an access event; ValueError when it names no valid audience (not retryable)."""
    granted = event.type.endswith("." + GRANTED)
    if not granted and not event.type.endswith("." + REVOKED):
        raise ValueError(f"not a media access event: {event.type}")
    audience = str(event.data.get("audience") or event.key or "").strip()
    if not audience or ":" not in audience or len(audience) > AUDIENCE_MAX_LENGTH:
        raise ValueError(f"not a valid audience: {audience[:AUDIENCE_MAX_LENGTH]!r}")
    raw = event.data.get("user_ids")
    if raw is None and granted:
        raise ValueError("access_granted needs user_ids")
    user_ids: list[uuid.UUID] | None = None
    skipped: list[str] = []
    if raw is not None:
        user_ids = []
        for value in raw if isinstance(raw, list) else [raw]:
            try:
                user_ids.append(uuid.UUID(str(value)))
            except ValueError:
                skipped.append(str(value)[:64])
    return AccessChange(
        service=event.service,
        audience=audience,
        granted=granted,
        user_ids=user_ids,
        occurred_at=event.occurred_at,
        skipped=skipped,
    )


def reference_audience(data: dict[str, Any]) -> str:
    """The `audience` of a `<service>.media.attached` event ("" when none or invalid)."""
    audience = str(data.get("audience") or "").strip()
    if ":" not in audience or len(audience) > AUDIENCE_MAX_LENGTH:
        return ""
    return audience
