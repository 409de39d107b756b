"""DRF authentication with CoTask access tokens, verified locally."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from cotask_common.localtime import format_moment
from cotask_common.roles import Role
from cotask_common.security.tokens import TokenError, TokenUser, decode_token, user_from_claims
from cotask_common.users.selectors import restriction_for


class UserBanned(exceptions.PermissionDenied):
    default_code = "user_banned"


class UserInactive(exceptions.PermissionDenied):
    """Staff deactivated the account (`is_active = false` in auth's admin): refused like a ban."""

    default_code = "user_inactive"


def inactive_message() -> str:
    return _("This account has been deactivated.")


def ban_message(*, until: datetime | None, reason: str, time_zone: str | None) -> str:
    """What a banned account is told, in the active language, the end in its time zone."""
    message = (
        _("This account is banned until %(until)s.")
        % {"until": format_moment(until, time_zone=time_zone)}
        if until
        else _("This account is banned permanently.")
    )
    if reason:
        message = _("%(message)s Reason: %(reason)s") % {"message": message, "reason": reason}
    return message


def authenticate_token(token: str) -> TokenUser:
    """Token → user, refusing banned, deactivated and deleted users. Raises TokenError,
    UserBanned or UserInactive."""
    user = user_from_claims(decode_token(token))
    restriction = restriction_for(user_id=user.id)
    if restriction is None:
        return user
    if restriction.deleted:
        raise TokenError("user_deleted", _("This account has been deleted."))
    if restriction.is_banned_now():
        raise UserBanned(
            detail=ban_message(
                until=restriction.banned_until,
                reason=restriction.ban_reason,
                time_zone=user.claims.get("tz"),
            )
        )
    if restriction.deactivated:
        raise UserInactive(detail=inactive_message())
    # Role changes after the token was issued win over the token's claim.
    return replace(user, role=Role.parse(restriction.role))


# Accounts this process has made sure have a UserRef: one INSERT … ON CONFLICT DO NOTHING per
# account and process, then nothing (a like keeps its statement count). Cleared when large.
_known_user_ids: set[Any] = set()
KNOWN_USER_IDS_MAX = 100_000


def remember_known_user(user_id: Any) -> None:
    """This process need not check the account's UserRef again (it exists)."""
    if len(_known_user_ids) >= KNOWN_USER_IDS_MAX:
        _known_user_ids.clear()
    _known_user_ids.add(user_id)


def _ensure_known(user: TokenUser) -> None:
    if user.id in _known_user_ids:
        return
    from cotask_common.users.services import ensure_user_ref

    ensure_user_ref(user_id=user.id, username=user.username, role=user.role)
    remember_known_user(user.id)


class JWTAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[TokenUser, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be 'Bearer <token>'."), code="token_malformed"
            )
        try:
            user = authenticate_token(parts[1].decode("ascii", errors="replace"))
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        _ensure_known(user)
        return user, user.claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="cotask"'
