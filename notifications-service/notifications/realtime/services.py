"""Writes for the websocket side: the sessions auth-service ended (`auth.session.revoked`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from cotask_common.users.models import UserRef
from notifications.inbox.models import EndedSession, SocketCutoff
from notifications.realtime import push
from notifications.realtime.selectors import normalize_session_id

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# What the account may do changed: 4403 (do not just reconnect); otherwise 4401 (log in again).
FORBIDDING_REASONS = frozenset({"banned", "deleted", "deactivated"})
# Far longer than any access token lives (auth: 5 minutes by default).
ENDED_SESSION_RETENTION = timedelta(days=1)


def end_sessions(
    *,
    user_id: UUID,
    session_ids: Iterable[str],
    all_sessions: bool,
    reason: str,
    at: datetime,
) -> None:
    """Refuse the ended sessions' tickets and tokens from now on and, after commit, close their
    sockets; with `all_sessions`, every socket of the account, and every ticket or token made
    before `at`. Idempotent: a redelivered event changes nothing and closes nothing new."""
    ids = sorted({normalize_session_id(s) for s in session_ids if s})
    # A deleted account opens no socket anyway (its tokens are refused), and nothing naming it
    # may stay: its sockets are only closed. (`auth.session` and `auth.user` are separate topics,
    # so the deletion may have been applied first; its handler removes rows written before.)
    if UserRef.objects.filter(id=user_id, is_deleted=True).exists():
        _close_after_commit(user_id=user_id, ids=ids, all_sessions=all_sessions, reason=reason)
        return
    EndedSession.objects.bulk_create(
        [EndedSession(session_id=s, user_id=user_id, ended_at=at) for s in ids],
        ignore_conflicts=True,
    )
    if all_sessions:
        cutoff = SocketCutoff.objects.select_for_update().filter(user_id=user_id).first()
        if cutoff is None:
            SocketCutoff.objects.bulk_create(
                [SocketCutoff(user_id=user_id, not_before=at)], ignore_conflicts=True
            )
        elif cutoff.not_before < at:
            cutoff.not_before = at
            cutoff.save(update_fields=["not_before"])
    _close_after_commit(user_id=user_id, ids=ids, all_sessions=all_sessions, reason=reason)


def _close_after_commit(*, user_id: UUID, ids: list[str], all_sessions: bool, reason: str) -> None:
    code = CLOSE_FORBIDDEN if reason in FORBIDDING_REASONS else CLOSE_UNAUTHENTICATED

    def close() -> None:
        if all_sessions:
            push.close_user_sockets(user_id=user_id, code=code, reason=reason)
        else:
            for session_id in ids:
                push.close_session_sockets(session_id=session_id, code=code, reason=reason)

    transaction.on_commit(close)


def cleanup_ended_sessions(*, now: datetime | None = None) -> int:
    horizon = (now or timezone.now()) - ENDED_SESSION_RETENTION
    deleted, _ = EndedSession.objects.filter(ended_at__lt=horizon).delete()
    return deleted
