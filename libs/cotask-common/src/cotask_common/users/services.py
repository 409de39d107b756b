"""Applying auth-service's account events to the local UserRef projection."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.dateparse import parse_datetime

from cotask_common.users.models import UserRef


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return value if isinstance(value, datetime) else parse_datetime(str(value))


@transaction.atomic
def apply_user_event(
    *, event_type: str, user_id: UUID, data: dict[str, Any], occurred_at: datetime
) -> UserRef:
    ref, _ = UserRef.objects.select_for_update().get_or_create(
        id=user_id, defaults={"username": data.get("username", "")}
    )
    if ref.source_version and occurred_at < ref.source_version:
        return ref  # an older event arriving late changes nothing
    verb = event_type.rsplit(".", 1)[-1]
    for name in ("username", "display_name", "email_verified", "time_zone"):
        if name in data:
            setattr(ref, name, data[name])
    if "role" in data and data["role"] != ref.role:
        if verb != "registered":
            ref.role_changed_at = occurred_at
        ref.role = data["role"]
    if "is_active" in data:  # every snapshot says it; `deactivated` / `reactivated` change it
        ref.is_deactivated = not data["is_active"]
    if verb == "banned":
        ref.is_banned = True
        ref.banned_until = _parse_time(data.get("until"))
        ref.ban_reason = data.get("reason", "")
    elif verb == "unbanned":
        ref.is_banned = False
        ref.banned_until = None
        ref.ban_reason = ""
    elif verb == "deleted":
        ref.is_deleted = True
        ref.username = f"deleted-{user_id.hex[:12]}"
        ref.display_name = ""
    ref.source_version = occurred_at
    ref.save()
    return ref


def ensure_user_ref(*, user_id: UUID, username: str, role: str) -> None:
    """The account's first request here came before `auth.user.registered` (the event is
    seconds behind, or the bus is down): make its UserRef from the verified token's claims, so
    what it writes (a like, a follow) has the row it refers to. Idempotent; `source_version`
    stays null, so the event, when it arrives, sets everything it carries. The ORM's
    get_or_create: this runs once per account and process, so a hand-written single-statement
    insert would save nothing that shows."""
    UserRef.objects.get_or_create(id=user_id, defaults={"username": username, "role": role})
