"""Account writes: registration, tokens and sessions, passwords, profile, deletion, roles and
bans. Every state change other services must know of is announced through the outbox in the
same transaction, and applied to auth-service's own UserRef there too (so `whoami` here, which
uses the shared authentication, refuses a banned user at once as well)."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from auth.accounts.keys import current_signing_key
from auth.accounts.models import (
    USERNAME_IS_EMAIL_MESSAGE,
    Ban,
    Session,
    User,
)
from auth.accounts.selectors import find_user_for_login
from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.roles import Role, outranks
from cotask_common.security.authentication import ban_message, inactive_message
from cotask_common.security.signing import encode_token, standard_claims
from cotask_common.security.tokens import TokenError, decode_token
from cotask_common.users.selectors import invalidate_restrictions
from cotask_common.users.services import apply_user_event

VERIFY_EMAIL_SALT = "cotask.auth.verify-email"
RESTORE_EMAIL_SALT = "cotask.auth.restore-email"
MODERATOR_MAX_BAN = timedelta(days=30)
# Clock slack for "30 days from now" computed by a client a moment earlier.
_BAN_SLACK = timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# Events


def user_event_data(user: User) -> dict[str, Any]:
    """What every `auth.user.*` event (but `.deleted`) carries: the shared UserRef's fields, plus
    what other services need to serve the person (time zone for schedules, language and email
    for notifications)."""
    return {
        "id": str(user.id),
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "email_verified": user.email_verified,
        "email": user.email,
        "language": user.language,
        "time_zone": user.time_zone,
        "is_active": user.is_active,
    }


def _announce(*, type: str, user: User, actor: User | UUID | None, data: dict[str, Any]) -> None:
    actor_id = getattr(actor, "id", actor)
    event = publish_event(
        type=type, key=str(user.id), actor=str(actor_id) if actor_id else None, data=data
    )
    # auth's own projection changes with the account; the consumer's later copy is a no-op.
    apply_user_event(
        event_type=type, user_id=user.id, data=event.data, occurred_at=event.occurred_at
    )
    transaction.on_commit(invalidate_restrictions)


# ---------------------------------------------------------------------------------------------
# Registration and email verification


def _validate_password(password: str, *, user: User, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ServiceError(
            f"{field}: {' '.join(exc.messages)}",
            code="invalid_password",
            fields={field: [{"code": "invalid_password", "message": m} for m in exc.messages]},
        ) from exc


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _validate_time_zone(time_zone: str) -> str:
    if time_zone not in _time_zones():
        raise ServiceError.for_field(
            "time_zone",
            _("%(name)s is not a known IANA time zone (for example Europe/Kyiv).")
            % {"name": repr(time_zone)},
            code="invalid_time_zone",
        )
    return time_zone


def validate_new_username(username: str) -> None:
    """A username may not look like an email address (see models.validate_username_not_email)."""
    if "@" in username:
        raise ServiceError.for_field(
            "username", str(USERNAME_IS_EMAIL_MESSAGE), code="username_is_email"
        )


def _email_taken(email: str, *, exclude: UUID | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    if exclude:
        users = users.exclude(id=exclude)
    return users.exists()


def register_user(
    *,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    language: str = "en",
    time_zone: str = "UTC",
) -> User:
    validate_new_username(username)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict.for_field("username", _("This username is taken."), code="username_taken")
    email = email.strip()
    if _email_taken(email):
        raise Conflict.for_field(
            "email", _("This email is already registered."), code="email_taken"
        )
    user = User(
        username=username,
        email=email,
        display_name=display_name.strip() or username,
        language=language,
        time_zone=_validate_time_zone(time_zone),
    )
    _validate_password(password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            _announce(
                type="auth.user.registered", user=user, actor=user, data=user_event_data(user)
            )
            _send_verification_on_commit(user=user, email=user.email)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict(_("This username or email is already registered."), code="conflict") from exc
    return user


def create_account_by_staff(*, user: User, actor: User) -> User:
    """Django admin's "add user" form: saved and announced like a registration."""
    if not user.display_name:
        user.display_name = user.username
    with transaction.atomic():
        user.save()
        _announce(type="auth.user.registered", user=user, actor=actor, data=user_event_data(user))
    return user


def announce_created_account(*, user: User) -> None:
    """An account made outside the API (`createsuperuser`, a shell): announced as registered by
    nobody in particular, inside the caller's transaction."""
    _announce(type="auth.user.registered", user=user, actor=None, data=user_event_data(user))


def _send_verification_on_commit(*, user: User, email: str) -> None:
    from auth.accounts.tasks import send_verification_email

    user_id = str(user.id)
    transaction.on_commit(lambda: send_verification_email.delay(user_id=user_id, email=email))


def make_email_verification_token(*, user: User, email: str) -> str:
    # Bound to the address: a token for an address the account no longer has is worthless.
    return signing.dumps({"u": str(user.id), "e": email.lower()}, salt=VERIFY_EMAIL_SALT)


def _bad_verification_token(message: str, code: str) -> ServiceError:
    return ServiceError.for_field("token", message, code=code)


def read_email_verification_token(*, token: str) -> tuple[UUID, str]:
    """The account id and the address a verification link is for (nothing changes)."""
    try:
        payload = signing.loads(
            token, salt=VERIFY_EMAIL_SALT, max_age=settings.AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired as exc:
        raise _bad_verification_token(
            _("This verification link has expired; ask for a new one."), "token_expired"
        ) from exc
    except signing.BadSignature as exc:
        raise _bad_verification_token(
            _("This verification link is invalid."), "token_invalid"
        ) from exc
    try:
        return UUID(str(payload["u"])), str(payload["e"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad_verification_token(
            _("This verification link is no longer valid for your account."), "token_invalid"
        ) from exc


def verify_email(*, token: str) -> User:
    user_id, email = read_email_verification_token(token=token)
    invalid = _bad_verification_token(
        _("This verification link is no longer valid for your account."), "token_invalid"
    )
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().filter(id=user_id, deleted_at=None).first()
            if user is None:
                raise invalid
            if user.pending_email and user.pending_email.lower() == email:
                if _email_taken(email, exclude=user.id):
                    raise Conflict.for_field(
                        "email", _("This email is already registered."), code="email_taken"
                    )
                user.email, user.pending_email = user.pending_email, ""
                # A confirmed change ends every session but the one that asked for it (if
                # someone else is signed in, they do not keep the account on the new address).
                _revoke(
                    Session.objects.filter(user=user).exclude(id=user.pending_email_session_id),
                    Session.RevokeReason.EMAIL_CHANGED,
                )
                user.pending_email_session_id = None
            elif user.email.lower() == email:
                if user.email_verified:
                    return user  # the link was followed twice: nothing left to do
            else:
                raise invalid
            user.email_verified = True
            user.save(
                update_fields=[
                    "email",
                    "pending_email",
                    "pending_email_session_id",
                    "email_verified",
                ]
            )
            _announce(
                type="auth.user.email_verified", user=user, actor=user, data=user_event_data(user)
            )
    except IntegrityError as exc:
        raise Conflict.for_field(
            "email", _("This email is already registered."), code="email_taken"
        ) from exc
    return user


def resend_verification(*, user: User) -> str:
    """Send the link again, to the pending new address if there is one. Returns the address."""
    target = user.pending_email or ("" if user.email_verified else user.email)
    if not target:
        raise Conflict(_("Your email address is already verified."), code="already_verified")
    with transaction.atomic():
        _send_verification_on_commit(user=user, email=target)
    return target


# ---------------------------------------------------------------------------------------------
# Tokens and sessions


@dataclass(frozen=True)
class TokenPair:
    """`refresh` is None when only an access token was issued (a second tab within the grace
    window: the live refresh token is never handed out twice)."""

    access: str
    refresh: str | None
    access_expires_in: int
    refresh_expires_in: int | None
    session_id: UUID


@functools.cache
def _dummy_hash(params: tuple[int, int, int]) -> str:
    return make_password("cotask-timing-equaliser")


def _equalise_timing(password: str) -> None:
    # A wrong username costs one hash with the current parameters, like a wrong password.
    params = (
        settings.AUTH_ARGON2_TIME_COST,
        settings.AUTH_ARGON2_MEMORY_COST_KIB,
        settings.AUTH_ARGON2_PARALLELISM,
    )
    check_password(password, _dummy_hash(params))


def _issue_tokens(
    *, user: User, session: Session, now: datetime, access_only: bool = False
) -> TokenPair:
    """Sign a pair for `session` and make its refresh token the session's current one (or,
    `access_only`, sign an access token alone and leave the session as it is)."""
    key = current_signing_key()
    common: dict[str, Any] = {
        "user_id": user.id,
        "username": user.username,
        "role": user.role,
        "email_verified": user.email_verified,
        "language": user.language,
        "time_zone": user.time_zone,
        "session_id": str(session.id),
        "issuer": settings.COTASK_JWT_ISSUER,
        "audience": settings.COTASK_JWT_AUDIENCE,
        "now": now,
    }
    access = standard_claims(
        token_type="access",
        lifetime=timedelta(seconds=settings.JWT_ACCESS_LIFETIME_SECONDS),
        **common,
    )
    signed_access = encode_token(access, private_key=key.private_key, kid=key.kid)
    if access_only:
        return TokenPair(
            access=signed_access,
            refresh=None,
            access_expires_in=settings.JWT_ACCESS_LIFETIME_SECONDS,
            refresh_expires_in=None,
            session_id=session.id,
        )
    refresh_lifetime = timedelta(seconds=settings.JWT_REFRESH_LIFETIME_SECONDS)
    refresh = standard_claims(token_type="refresh", lifetime=refresh_lifetime, **common)
    session.refresh_jti = refresh["jti"]
    session.expires_at = now + refresh_lifetime
    session.last_used_at = now
    return TokenPair(
        access=signed_access,
        refresh=encode_token(refresh, private_key=key.private_key, kid=key.kid),
        access_expires_in=settings.JWT_ACCESS_LIFETIME_SECONDS,
        refresh_expires_in=int(refresh_lifetime.total_seconds()),
        session_id=session.id,
    )


def user_banned_error(user: User) -> ServiceError:
    with translation.override(user.language):
        message = ban_message(
            until=user.banned_until, reason=user.ban_reason, time_zone=user.time_zone
        )
    return Forbidden(message, code="user_banned")


def user_inactive_error(user: User) -> ServiceError:
    with translation.override(user.language):
        message = inactive_message()
    return Forbidden(message, code="user_inactive")


def _invalid_credentials() -> ServiceError:
    # One answer for an unknown account and a wrong password: no user enumeration.
    return ServiceError(
        _("The username/email or password is wrong."), code="invalid_credentials", status_code=401
    )


def login(*, login: str, password: str, user_agent: str = "", ip: str | None = None) -> TokenPair:
    user = find_user_for_login(login=login)
    if user is None:
        _equalise_timing(password)
        raise _invalid_credentials()
    if not user.check_password(password) or user.is_deleted:
        raise _invalid_credentials()
    # Only someone who knows the password learns about the ban (and why, and until when) or
    # the deactivation.
    if user.is_banned_at():
        raise user_banned_error(user)
    if not user.is_active:
        raise user_inactive_error(user)
    now = timezone.now()
    with transaction.atomic():
        session = Session(user=user, user_agent=user_agent[:512], ip=ip, created_at=now)
        pair = _issue_tokens(user=user, session=session, now=now)
        session.save()
        User.objects.filter(id=user.id).update(last_login=now)
    return pair


def _refresh_error(message: str, code: str, status_code: int = 401) -> ServiceError:
    return ServiceError(
        message,
        code=code,
        status_code=status_code,
        fields={"refresh": [{"code": code, "message": message}]},
    )


def refresh_tokens(*, refresh: str, user_agent: str = "", ip: str | None = None) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new pair issued. A spent one presented
    again revokes the session, so a stolen token is worth at most one use before both the thief
    and the owner are logged out of that session."""
    try:
        claims = decode_token(refresh, expected_type="refresh")
        session_id = UUID(str(claims.get("sid")))
    except TokenError as exc:
        raise _refresh_error(exc.message, exc.code) from exc
    except ValueError as exc:
        raise _refresh_error(_("The token names no session."), "token_malformed") from exc
    now = timezone.now()
    reused = False
    with transaction.atomic():
        session = (
            Session.objects.select_for_update()
            .select_related("user")
            .filter(id=session_id, user_id=claims["sub"])
            .first()
        )
        if session is None:
            raise _refresh_error(_("This session does not exist."), "session_revoked")
        user = session.user
        if user.is_deleted:
            raise _refresh_error(_("This account has been deleted."), "user_deleted")
        if user.is_banned_at(now):
            raise user_banned_error(user)
        if not user.is_active:
            raise user_inactive_error(user)
        if session.revoked_at is not None:
            raise _refresh_error(_("This session has ended; log in again."), "session_revoked")
        if session.expires_at <= now:
            raise _refresh_error(_("This session has expired; log in again."), "session_expired")
        if claims["jti"] == session.refresh_jti:
            session.previous_refresh_jti = session.refresh_jti
            session.rotated_at = now
            pair = _issue_tokens(user=user, session=session, now=now)
            session.rotations += 1
            session.user_agent = user_agent[:512] or session.user_agent
            session.ip = ip or session.ip
            session.save(
                update_fields=[
                    "refresh_jti",
                    "previous_refresh_jti",
                    "rotated_at",
                    "expires_at",
                    "last_used_at",
                    "rotations",
                    "user_agent",
                    "ip",
                ]
            )
        elif _within_grace(session=session, jti=claims["jti"], now=now):
            # The late tab gets an access token only: handing it the live refresh token too
            # would make a replayed old token (stolen within the window) as good as the current
            # one. The tab reads the new refresh token the first tab stored; the session stays.
            pair = _issue_tokens(user=user, session=session, now=now, access_only=True)
        else:
            _revoke(Session.objects.filter(id=session.id), Session.RevokeReason.REFRESH_REUSED, now)
            reused = True
    if reused:  # raised after the commit, so the revocation sticks
        raise _refresh_error(
            _(
                "This refresh token was already used; the session has been ended for safety. "
                "Log in again."
            ),
            "refresh_token_reused",
        )
    return pair


def _within_grace(*, session: Session, jti: str, now: datetime) -> bool:
    """The token the session just rotated away from, presented again within the grace window:
    two tabs (or a retried request whose answer was lost) refreshing with the same token."""
    grace = timedelta(seconds=settings.AUTH_REFRESH_REUSE_GRACE_SECONDS)
    return bool(
        session.previous_refresh_jti
        and jti == session.previous_refresh_jti
        and session.rotated_at is not None
        and now - session.rotated_at <= grace
    )


# Reasons that change what an account may do, not just end a login: every open socket of the
# account closes, the one of the session the change was made in too (a stolen ticket may have
# opened a socket in that very session).
SESSIONS_ENDED_FOR_ACCOUNT = frozenset(
    {
        Session.RevokeReason.PASSWORD_CHANGED,
        Session.RevokeReason.PASSWORD_RESET,
        Session.RevokeReason.BANNED,
        Session.RevokeReason.DELETED,
        Session.RevokeReason.DEACTIVATED,
        Session.RevokeReason.EMAIL_RESTORED,
    }
)


def _revoke(
    sessions: QuerySet[Session],
    reason: str,
    now: datetime | None = None,
    *,
    announce_user: User | None = None,
) -> int:
    """End the sessions not ended yet and announce `auth.session.revoked` per account, so the
    services holding something of a session (notifications' websockets) end it too.
    `announce_user` is announced even when it had no other session to end."""
    now = now or timezone.now()
    announced = str(reason)
    with transaction.atomic():
        ended: dict[UUID, list[str]] = {}
        for session_id, user_id in sessions.filter(revoked_at=None).values_list("id", "user_id"):
            ended.setdefault(user_id, []).append(str(session_id))
        count = sessions.filter(id__in=[i for ids in ended.values() for i in ids]).update(
            revoked_at=now, revoke_reason=reason
        )
        if announce_user is not None:
            ended.setdefault(announce_user.id, [])
        for user_id, session_ids in ended.items():
            publish_event(
                type="auth.session.revoked",
                key=str(user_id),
                actor=None,
                data={
                    "user_id": str(user_id),
                    "session_ids": sorted(session_ids),
                    "reason": announced,
                    "all_sessions": announced in SESSIONS_ENDED_FOR_ACCOUNT,
                },
            )
    return count


def logout(*, session: Session) -> None:
    _revoke(Session.objects.filter(id=session.id), Session.RevokeReason.LOGOUT)


def revoke_session(*, user: User, session_id: UUID) -> None:
    session = Session.objects.filter(id=session_id, user=user).first()
    if session is None:
        raise NotFound(_("No such session among yours."), code="session_not_found")
    _revoke(Session.objects.filter(id=session.id), Session.RevokeReason.REVOKED)


def revoke_other_sessions(*, user: User, current_session: Session) -> int:
    return _revoke(
        Session.objects.filter(user=user).exclude(id=current_session.id),
        Session.RevokeReason.OTHERS_REVOKED,
    )


def revoke_all_sessions(*, users: QuerySet[User]) -> int:
    """Staff: log these accounts out everywhere."""
    return _revoke(Session.objects.filter(user__in=users), Session.RevokeReason.REVOKED)


def cleanup_sessions(*, older_than_days: int = 30) -> int:
    """Forget sessions that ended long ago (revoked or expired)."""
    horizon = timezone.now() - timedelta(days=older_than_days)
    ended = Session.objects.filter(revoked_at__lt=horizon) | Session.objects.filter(
        expires_at__lt=horizon
    )
    deleted, _per_model = ended.delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Passwords


def change_password(
    *, user: User, current_session: Session, current_password: str, new_password: str
) -> int:
    """Returns how many other sessions were ended."""
    if not user.check_password(current_password):
        raise ServiceError.for_field(
            "current_password", _("The current password is wrong."), code="wrong_password"
        )
    _validate_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        return _revoke(
            Session.objects.filter(user=user).exclude(id=current_session.id),
            Session.RevokeReason.PASSWORD_CHANGED,
            announce_user=user,
        )


def request_password_reset(*, email: str) -> None:
    """Always the same work here: the lookup happens in the task, so neither the answer nor
    its timing tells whether the address has an account."""
    from auth.accounts.tasks import send_password_reset_email

    email = email.strip()
    transaction.on_commit(lambda: send_password_reset_email.delay(email=email))


def make_password_reset_token(*, user: User) -> str:
    # Django's generator: invalid after a password change or a new login, and after the timeout.
    return f"{user.id.hex}.{default_token_generator.make_token(user)}"


def user_for_password_reset(*, email: str) -> User | None:
    return (
        User.objects.filter(email__iexact=email.strip(), is_active=True, deleted_at=None)
        .order_by("id")
        .first()
    )


def user_for_reset_token(*, token: str) -> User:
    """The account a password reset link is for, if the link is still good (nothing changes)."""
    invalid = ServiceError.for_field(
        "token", _("This password reset link is invalid or has expired."), code="token_invalid"
    )
    user_hex, _dot, secret = token.partition(".")
    try:
        user_id = UUID(hex=user_hex)
    except ValueError as exc:
        raise invalid from exc
    user = User.objects.filter(id=user_id, is_active=True, deleted_at=None).first()
    if user is None or not default_token_generator.check_token(user, secret):
        raise invalid
    return user


def reset_password(*, token: str, new_password: str) -> User:
    user = user_for_reset_token(token=token)
    _validate_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _revoke(
            Session.objects.filter(user=user),
            Session.RevokeReason.PASSWORD_RESET,
            announce_user=user,
        )
    return user


# ---------------------------------------------------------------------------------------------
# Profile and deletion


def update_profile(
    *,
    user: User,
    display_name: str | None = None,
    time_zone: str | None = None,
    language: str | None = None,
    email: str | None = None,
    current_password: str | None = None,
    current_session: Session | None = None,
) -> User:
    """Fields left None stay as they are. A new email needs the current password and is only
    pending until verified; the current address is told, with a way back."""
    changed: list[str] = []
    if display_name is not None and display_name.strip() != user.display_name:
        user.display_name = display_name.strip()
        changed.append("display_name")
    if time_zone is not None and time_zone != user.time_zone:
        user.time_zone = _validate_time_zone(time_zone)
        changed.append("time_zone")
    if language is not None and language != user.language:
        user.language = language
        changed.append("language")
    new_email = ""
    if email is not None:
        email = email.strip()
        if email.lower() == user.email.lower():
            if user.pending_email:  # asking for the current address cancels a pending change
                user.pending_email = ""
                user.pending_email_session_id = None
                changed += ["pending_email", "pending_email_session_id"]
        elif email.lower() != user.pending_email.lower():
            _check_current_password(user=user, current_password=current_password)
            if _email_taken(email, exclude=user.id):
                raise Conflict.for_field(
                    "email", _("This email is already registered."), code="email_taken"
                )
            user.pending_email = new_email = email
            user.pending_email_session_id = current_session.id if current_session else None
            changed += ["pending_email", "pending_email_session_id"]
    if not changed:
        return user
    with transaction.atomic():
        user.save(update_fields=changed)
        if set(changed) - {"pending_email", "pending_email_session_id"}:
            _announce(type="auth.user.updated", user=user, actor=user, data=user_event_data(user))
        if new_email:
            _send_verification_on_commit(user=user, email=new_email)
            _send_email_change_notice_on_commit(user=user, new_email=new_email)
    return user


def _check_current_password(*, user: User, current_password: str | None) -> None:
    # Whoever holds a stolen access token must not move the account to their own address.
    if not current_password:
        raise ServiceError.for_field(
            "current_password",
            _("Give your current password to change the email address."),
            code="password_needed",  # a rule across fields, not the field's own shape
        )
    if not user.check_password(current_password):
        raise ServiceError.for_field(
            "current_password", _("The current password is wrong."), code="wrong_password"
        )


def _send_email_change_notice_on_commit(*, user: User, new_email: str) -> None:
    from auth.accounts.tasks import send_email_change_notice

    kwargs = {
        "user_id": str(user.id),
        "old_email": user.email,
        "old_verified": user.email_verified,
        "new_email": new_email,
    }
    transaction.on_commit(lambda: send_email_change_notice.delay(**kwargs))


def make_email_restore_token(*, user: User, old_email: str, old_verified: bool) -> str:
    """The way back from an email change, mailed to the old address. It stays valid for
    AUTH_EMAIL_RESTORE_MAX_AGE_SECONDS whatever changes follow (an intruder changing the address
    twice cannot spend it), until a way-back link of the account is used."""
    return signing.dumps(
        {"u": str(user.id), "e": old_email, "v": old_verified, "t": timezone.now().timestamp()},
        salt=RESTORE_EMAIL_SALT,
    )


@dataclass(frozen=True)
class RestoreRequest:
    """What a way-back link asks for (shown on its page before the POST)."""

    user: User
    email: str
    verified: bool
    issued_at: float


def read_email_restore_token(*, token: str) -> RestoreRequest:
    invalid = ServiceError.for_field(
        "token", _("This link is invalid, has expired or was already used."), code="token_invalid"
    )
    try:
        payload = signing.loads(
            token, salt=RESTORE_EMAIL_SALT, max_age=settings.AUTH_EMAIL_RESTORE_MAX_AGE_SECONDS
        )
        user_id = UUID(str(payload["u"]))
        request = (str(payload["e"]), bool(payload["v"]), float(payload["t"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise invalid from exc
    user = User.objects.filter(id=user_id, deleted_at=None).first()
    if user is None:
        raise invalid
    if user.email_restored_at and request[2] < user.email_restored_at.timestamp():
        raise invalid
    return RestoreRequest(user=user, email=request[0], verified=request[1], issued_at=request[2])


def restore_email(*, token: str) -> User:
    """The old address's owner says the change was not theirs: the old address is the account's
    again, a pending change is dropped, every session ends and the password stops working (the
    intruder knew it); a reset link goes to the restored address."""
    request = read_email_restore_token(token=token)
    now = timezone.now()
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(id=request.user.id)
            if user.email_restored_at and request.issued_at < user.email_restored_at.timestamp():
                raise ServiceError.for_field(  # a concurrent click won
                    "token",
                    _("This link is invalid, has expired or was already used."),
                    code="token_invalid",
                )
            if _email_taken(request.email, exclude=user.id):
                raise Conflict.for_field(
                    "email",
                    _("Another account has this address now; contact support."),
                    code="email_taken",
                )
            user.email = request.email
            user.email_verified = request.verified
            user.pending_email = ""
            user.pending_email_session_id = None
            user.email_restored_at = now
            user.set_unusable_password()
            user.save()
            _revoke(Session.objects.filter(user=user), Session.RevokeReason.EMAIL_RESTORED, now)
            _announce(type="auth.user.updated", user=user, actor=user, data=user_event_data(user))
            request_password_reset(email=user.email)
    except IntegrityError as exc:
        raise Conflict.for_field(
            "email", _("Another account has this address now; contact support."), code="email_taken"
        ) from exc
    return user


def delete_account(*, user: User, password: str) -> None:
    """Anonymise the account (the row stays so its id is never reused), end every session and
    announce `auth.user.deleted`: each service then deletes or anonymises what it holds."""
    if not user.check_password(password):
        raise ServiceError.for_field("password", _("The password is wrong."), code="wrong_password")
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(id=user.id)
        if user.is_deleted:
            return
        _revoke(Session.objects.filter(user=user), Session.RevokeReason.DELETED, now)
        anonymous = f"deleted-{user.id.hex}"
        user.username = anonymous
        user.email = f"{anonymous}@deleted.invalid"
        user.pending_email = user.display_name = user.first_name = user.last_name = ""
        user.ban_reason = ""
        user.email_verified = user.is_active = user.is_staff = user.is_superuser = False
        user.set_unusable_password()
        user.deleted_at = now
        user.save()
        _announce(type="auth.user.deleted", user=user, actor=user, data={"id": str(user.id)})


# ---------------------------------------------------------------------------------------------
# Roles and bans (moderators and admins)


def _target(user_id: UUID) -> User:
    user = User.objects.select_for_update().filter(id=user_id, deleted_at=None).first()
    if user is None:
        raise NotFound(_("No such account."), code="user_not_found")
    return user


def change_role(*, actor: User | None, user_id: UUID, role: str) -> User:
    """An admin changes someone's role. `actor=None` is the operator (`manage.py set_role`),
    which is how the first admin comes to be."""
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden(_("Only admins may change roles."), code="admin_only")
    with transaction.atomic():
        user = _target(user_id)
        if actor is not None and user.id == actor.id:
            raise Forbidden.for_field(
                "role", _("You cannot change your own role."), code="own_role"
            )
        if user.role == role:
            return user
        previous = user.role
        user.role = role
        user.save(update_fields=["role"])
        _announce(
            type="auth.user.role_changed",
            user=user,
            actor=actor,
            data={**user_event_data(user), "previous_role": previous},
        )
    return user


def ban_user(*, actor: User, user_id: UUID, reason: str, until: datetime | None) -> User:
    """Ban until `until` (None: permanently). A new ban replaces the current one."""
    now = timezone.now()
    is_admin = actor.role == Role.ADMIN
    if until is not None and until <= now:
        raise ServiceError.for_field("until", _("The ban must end in the future."), code="in_past")
    if not is_admin:
        if until is None:
            raise Forbidden.for_field(
                "permanent", _("Only admins may ban permanently."), code="permanent_ban_admin_only"
            )
        if until - now > MODERATOR_MAX_BAN + _BAN_SLACK:
            raise Forbidden.for_field(
                "until",
                ngettext(
                    "Moderators may ban for at most %(days)d day.",
                    "Moderators may ban for at most %(days)d days.",
                    MODERATOR_MAX_BAN.days,
                )
                % {"days": MODERATOR_MAX_BAN.days},
                code="ban_too_long",
            )
    with transaction.atomic():
        user = _target(user_id)
        _check_may_moderate(actor=actor, user=user)
        if not is_admin and user.is_banned_at(now) and user.banned_until is None:
            raise Forbidden(
                _("Only admins may change a permanent ban."), code="permanent_ban_admin_only"
            )
        Ban.objects.filter(user=user, ended_at=None).update(
            ended_at=now, ended_by=actor, end_reason=Ban.EndReason.REPLACED
        )
        Ban.objects.create(user=user, issued_by=actor, reason=reason, until=until, created_at=now)
        user.is_banned, user.banned_until, user.ban_reason = True, until, reason
        user.save(update_fields=["is_banned", "banned_until", "ban_reason"])
        # Its tokens stop working here at once; other services follow the event.
        _revoke(Session.objects.filter(user=user), Session.RevokeReason.BANNED, now)
        _announce(
            type="auth.user.banned",
            user=user,
            actor=actor,
            data={
                **user_event_data(user),
                "until": until.isoformat() if until else None,
                "reason": reason,
            },
        )
    return user


def _check_may_moderate(*, actor: User, user: User) -> None:
    if user.id == actor.id:
        raise Forbidden(_("You cannot ban or unban yourself."), code="own_account")
    if not outranks(actor_role=actor.role, target_role=user.role):
        raise Forbidden(
            _("A %(role)s may only ban or unban accounts with a lower role.")
            % {"role": actor.role},
            code="role_too_high",
        )


def unban_user(*, actor: User, user_id: UUID) -> User:
    with transaction.atomic():
        user = _target(user_id)
        _check_may_moderate(actor=actor, user=user)
        if not user.is_banned:
            raise Conflict(_("This account is not banned."), code="not_banned")
        if user.banned_until is None and actor.role != Role.ADMIN:
            raise Forbidden(
                _("Only admins may lift a permanent ban."), code="permanent_ban_admin_only"
            )
        _end_ban(user=user, actor=actor, reason=Ban.EndReason.LIFTED)
    return user


def _end_ban(*, user: User, actor: User | None, reason: str) -> None:
    now = timezone.now()
    Ban.objects.filter(user=user, ended_at=None).update(
        ended_at=now, ended_by=actor, end_reason=reason
    )
    user.is_banned, user.banned_until, user.ban_reason = False, None, ""
    user.save(update_fields=["is_banned", "banned_until", "ban_reason"])
    _announce(type="auth.user.unbanned", user=user, actor=actor, data=user_event_data(user))


def set_account_active(*, actor: User | None, user_id: UUID, active: bool) -> User:
    """Staff switch an account off (`is_active = false`, Django admin) or on again. Off acts like
    a ban everywhere: its sessions end here at once, and every service refuses its still-valid
    access tokens once `auth.user.deactivated` arrives (until `auth.user.reactivated`)."""
    with transaction.atomic():
        user = _target(user_id)
        if actor is not None:
            if user.id == actor.id:
                raise Forbidden(
                    _("You cannot deactivate or reactivate yourself."), code="own_account"
                )
            if not actor.is_superuser and not outranks(
                actor_role=actor.role, target_role=user.role
            ):
                raise Forbidden(
                    _("A %(role)s may only deactivate accounts with a lower role.")
                    % {"role": actor.role},
                    code="role_too_high",
                )
        if user.is_active == active:
            return user
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            # Announced even without a session to end: a socket opened with a stolen ticket closes.
            _revoke(
                Session.objects.filter(user=user),
                Session.RevokeReason.DEACTIVATED,
                announce_user=user,
            )
        _announce(
            type="auth.user.reactivated" if active else "auth.user.deactivated",
            user=user,
            actor=actor,
            data=user_event_data(user),
        )
    return user


def end_expired_bans(*, now: datetime | None = None) -> int:
    """Lift the bans whose time is up (Celery beat, every minute), one transaction each."""
    now = now or timezone.now()
    ended = 0
    due = User.objects.filter(is_banned=True, banned_until__lte=now).values_list("id", flat=True)
    for user_id in list(due[:500]):
        with transaction.atomic():
            user = User.objects.select_for_update().filter(id=user_id).first()
            # Re-checked under the lock: an admin may have just extended it.
            if user and user.is_banned and user.banned_until and user.banned_until <= now:
                _end_ban(user=user, actor=None, reason=Ban.EndReason.EXPIRED)
                ended += 1
    return ended
