"""Reads for the websocket: whether a session or an account's older credentials still may open
or keep a socket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from notifications.inbox.models import EndedSession, SocketCutoff


def normalize_session_id(value: object) -> str:
    """A token's `sid` as one spelling (auth writes UUIDs; tokens may carry them without
    dashes), usable in a channel group name."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return "".join(c for c in str(value or "") if c.isalnum() or c in "-_.")[:64]


def socket_refused(
    *, user_id: UUID | str, session_id: str | None, issued_at: datetime | None
) -> bool:
    """True when auth ended the session, or the account changed (password, ban, deletion,
    deactivation) after `issued_at` (when the ticket or token was made)."""
    if (
        session_id
        and EndedSession.objects.filter(session_id=normalize_session_id(session_id)).exists()
    ):
        return True
    cutoff = SocketCutoff.objects.filter(user_id=user_id).values_list("not_before", flat=True)
    not_before = cutoff.first()
    return not_before is not None and (issued_at is None or issued_at < not_before)


def claim_time(value: Any, *, whole_second: bool = False) -> datetime | None:
    """A JWT time claim. `iat` has whole seconds: a token signed in the same second as a
    password change counts as signed after it (`whole_second`), or the client's own fresh
    token would be refused until the next second."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value + (0.999999 if whole_second else 0), tz=UTC)
