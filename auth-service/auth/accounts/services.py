"""Account writes: registration and logging in. Events go out through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from auth.accounts.keys import current_signing_key
from auth.accounts.models import User
from auth.accounts.selectors import find_user_for_login
from cotask_common.errors import Conflict, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.ids import uuid7
from cotask_common.security.signing import encode_token, standard_claims

# Compared against when no account matches, so a wrong username costs as much as a wrong password.
_DUMMY_HASH = make_password("cotask-timing-equaliser")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: int


def register_user(*, username: str, email: str, password: str, display_name: str = "") -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict.for_field("username", "This username is taken.", code="username_taken")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict.for_field("email", "This email is already registered.", code="email_taken")
    user = User(username=username, email=email.strip(), display_name=display_name or username)
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ServiceError(
            f"password: {' '.join(exc.messages)}",
            code="invalid_password",
            fields={"password": [{"code": "invalid_password", "message": m} for m in exc.messages]},
        ) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            publish_event(
                type="auth.user.registered",
                key=str(user.id),
                actor=str(user.id),
                data={
                    "id": str(user.id),
                    "username": user.username,
                    "display_name": user.display_name,
                    "role": user.role,
                    "email_verified": user.email_verified,
                },
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("This username or email is already registered.", code="conflict") from exc
    return user


def issue_tokens(*, user: User, session_id: str | None = None) -> TokenPair:
    key = current_signing_key()
    session_id = session_id or uuid7().hex
    access_lifetime = timedelta(seconds=settings.JWT_ACCESS_LIFETIME_SECONDS)
    common = {
        "user_id": user.id,
        "username": user.username,
        "role": user.role,
        "email_verified": user.email_verified,
        "session_id": session_id,
        "issuer": settings.COTASK_JWT_ISSUER,
        "audience": settings.COTASK_JWT_AUDIENCE,
    }
    access = standard_claims(token_type="access", lifetime=access_lifetime, **common)
    refresh = standard_claims(
        token_type="refresh",
        lifetime=timedelta(seconds=settings.JWT_REFRESH_LIFETIME_SECONDS),
        **common,
    )
    return TokenPair(
        access=encode_token(access, private_key=key.private_key, kid=key.kid),
        refresh=encode_token(refresh, private_key=key.private_key, kid=key.kid),
        access_expires_in=settings.JWT_ACCESS_LIFETIME_SECONDS,
    )


def login(*, login: str, password: str) -> TokenPair:
    user = find_user_for_login(login=login)
    if user is None:
        check_password(password, _DUMMY_HASH)
        raise _invalid_credentials()
    if not user.check_password(password) or not user.is_active:
        raise _invalid_credentials()
    return issue_tokens(user=user)


def _invalid_credentials() -> ServiceError:
    # One answer for an unknown account and a wrong password: no user enumeration.
    return ServiceError(
        "The username/email or password is wrong.", code="invalid_credentials", status_code=401
    )
