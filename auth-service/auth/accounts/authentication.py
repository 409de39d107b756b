"""Authentication inside auth-service: the token, then the account and the session it names.

Other services trust a valid token and learn bans from events. auth-service owns the state, so
it checks it on every request: a token of a revoked session (logout, ban, deletion, password
change, refresh reuse) or of a banned, deactivated or deleted account is refused at once. One
indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.request import Request

from auth.accounts.models import Session, User
from cotask_common.security.authentication import (
    JWTAuthentication,
    UserBanned,
    UserInactive,
    ban_message,
    inactive_message,
)
from cotask_common.security.tokens import TokenError, decode_token


@dataclass(frozen=True)
class AccountAuth:
    """`request.auth` of an account endpoint: the verified claims and the live session."""

    session: Session
    claims: dict[str, Any]


if TYPE_CHECKING:

    class AccountRequest(Request):
        """The request type of an account endpoint behind `SessionJWTAuthentication` and
        `IsAuthenticated`: the caller is the account itself, `auth` its live session. Only a
        type; at run time it is DRF's Request."""

        @property  # type: ignore[override]  # narrower than DRF's user union, on purpose
        def user(self) -> User: ...
        @user.setter
        def user(self, value: Any) -> None: ...
        @property
        def auth(self) -> AccountAuth: ...
        @auth.setter
        def auth(self, value: Any) -> None: ...

else:
    AccountRequest = Request


class SessionJWTAuthentication(JWTAuthentication):
    # auth-service's own account and session, not the kit's TokenUser: it reuses only the kit's
    # header handling, and its views take AccountRequest.
    def authenticate(  # type: ignore[override]
        self, request: Request
    ) -> tuple[User, AccountAuth] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be 'Bearer <token>'."), code="token_malformed"
            )
        try:
            claims = decode_token(parts[1].decode("ascii", errors="replace"))
            session_id = UUID(str(claims.get("sid")))
            user_id = UUID(str(claims["sub"]))
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        except ValueError as exc:
            raise exceptions.AuthenticationFailed(
                _("The token names no session."), code="token_malformed"
            ) from exc
        session = Session.objects.select_related("user").filter(id=session_id).first()
        if session is None or session.user_id != user_id:
            raise exceptions.AuthenticationFailed(
                _("This session does not exist; log in again."), code="session_revoked"
            )
        user = session.user
        if user.is_deleted:
            raise exceptions.AuthenticationFailed(
                _("This account has been deleted."), code="user_deleted"
            )
        if user.is_banned_at():
            with translation.override(user.language):
                message = ban_message(
                    until=user.banned_until, reason=user.ban_reason, time_zone=user.time_zone
                )
            raise UserBanned(detail=message)
        if not user.is_active:
            with translation.override(user.language):
                raise UserInactive(detail=inactive_message())
        if not session.is_active_at():
            raise exceptions.AuthenticationFailed(
                _("This session has ended; log in again."), code="session_revoked"
            )
        return user, AccountAuth(session=session, claims=claims)
