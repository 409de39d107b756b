"""Who may not act, read from the local projection through a short-lived in-process snapshot.

A ban must reach every service within seconds, yet a request must not wait on the database to
find out. Each process keeps the (small) set of restricted users — banned, deactivated, deleted,
or whose role changed since registration — and re-reads it at most every
`COTASK_BLOCKLIST_TTL_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cotask_common.users.models import UserRef


@dataclass(frozen=True)
class Restriction:
    role: str
    banned: bool
    banned_until: datetime | None
    ban_reason: str
    deleted: bool
    deactivated: bool = False

    def is_banned_now(self) -> bool:
        return self.banned and (self.banned_until is None or self.banned_until > timezone.now())


class _Snapshot:
    def __init__(self) -> None:
        self._data: dict[UUID, Restriction] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, user_id: UUID) -> Restriction | None:
        ttl = settings.COTASK_BLOCKLIST_TTL_SECONDS
        if time.monotonic() - self._loaded_at > ttl:
            with self._lock:
                if time.monotonic() - self._loaded_at > ttl:
                    self._data = _load_restrictions()
                    self._loaded_at = time.monotonic()
        return self._data.get(user_id)

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")


def _load_restrictions() -> dict[UUID, Restriction]:
    rows = UserRef.objects.filter(
        Q(is_banned=True)
        | Q(is_deleted=True)
        | Q(is_deactivated=True)
        | Q(role_changed_at__isnull=False)
    ).values_list(
        "id", "role", "is_banned", "banned_until", "ban_reason", "is_deleted", "is_deactivated"
    )
    return {
        row[0]: Restriction(
            role=row[1],
            banned=row[2],
            banned_until=row[3],
            ban_reason=row[4],
            deleted=row[5],
            deactivated=row[6],
        )
        for row in rows
    }


_snapshot = _Snapshot()


def restriction_for(*, user_id: UUID) -> Restriction | None:
    return _snapshot.get(user_id)


def invalidate_restrictions() -> None:
    """Forget the snapshot now (after applying an auth event in this process, and in tests)."""
    _snapshot.invalidate()


def is_known_locally(*, user_id: UUID) -> bool:
    """Whether auth's events about the account have reached this service (a UserRef made from a
    token on the account's first request does not count until they do)."""
    return UserRef.objects.filter(id=user_id, source_version__isnull=False).exists()
