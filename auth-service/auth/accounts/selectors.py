"""Account reads."""

from __future__ import annotations

import contextlib
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from auth.accounts.models import Ban, Session, User
from cotask_common.errors import NotFound


def find_user_for_login(*, login: str) -> User | None:
    """By email or username, regardless of case. The email match wins: a username that looks
    like an address (only accounts made before such names were refused) can never take over
    another person's email login."""
    login = login.strip()
    if not login:
        return None
    if "@" in login:
        by_email = User.objects.filter(email__iexact=login).first()
        if by_email is not None:
            return by_email
    return User.objects.filter(username__iexact=login).first()


def active_sessions(*, user: User) -> QuerySet[Session]:
    return Session.objects.filter(user=user, revoked_at=None, expires_at__gt=timezone.now())


def search_users(
    *,
    q: str = "",
    role: str | None = None,
    banned: bool | None = None,
    include_deleted: bool = False,
) -> QuerySet[User]:
    """For moderators: by username, email or display name (substring, any case), or exact id."""
    users = User.objects.all()
    if not include_deleted:
        users = users.filter(deleted_at=None)
    query = q.strip()
    if query:
        match = (
            Q(username__icontains=query)
            | Q(email__icontains=query)
            | Q(display_name__icontains=query)
        )
        with contextlib.suppress(ValueError):
            match |= Q(id=UUID(query))
        users = users.filter(match)
    if role:
        users = users.filter(role=role)
    if banned is True:
        users = users.filter(is_banned=True)
    elif banned is False:
        users = users.filter(is_banned=False)
    return users


def user_for_staff(*, user_id: UUID) -> User:
    """One account with its ban history and its number of active sessions (two queries)."""
    active = Q(sessions__revoked_at=None, sessions__expires_at__gt=timezone.now())
    user = (
        User.objects.annotate(active_sessions_count=Count("sessions", filter=active))
        .prefetch_related(Prefetch("bans", queryset=Ban.objects.order_by("-created_at")))
        .filter(id=user_id)
        .first()
    )
    if user is None:
        raise NotFound(_("No such account."), code="user_not_found")
    return user
