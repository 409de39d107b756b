"""Accounts, their sessions and their bans. Public ids are UUIDv7; usernames and emails are
unique regardless of case.

The account row is the authority on a user's state: auth-service checks it (and the session)
on every request it serves; other services learn it from `auth.user.*` events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cotask_common.ids import uuid7
from cotask_common.roles import Role


class Language(models.TextChoices):
    EN = "en", "English"
    RU = "ru", "Русский"
    UK = "uk", "Українська"


USERNAME_IS_EMAIL_MESSAGE = gettext_lazy(
    "A username cannot contain “@”: it would look like someone's email address."
)


def validate_username_not_email(value: str) -> None:
    """Login accepts a username or an email, so a username shaped like an address could squat
    another person's email login. No new username may contain "@" (Django admin, createsuperuser
    and the API alike)."""
    if "@" in value:
        raise ValidationError(USERNAME_IS_EMAIL_MESSAGE, code="username_is_email")


class AccountManager(UserManager):
    """Django's manager, but an account it makes (`manage.py createsuperuser`, `create_user` in
    a shell) is announced like a registration, so every other service knows it too."""

    def _create_user(self, username: str, email: str | None, password: str | None, **extra: Any):  # type: ignore[override]
        from django.db import transaction

        from auth.accounts.services import announce_created_account

        with transaction.atomic(using=self._db):
            user = super()._create_user(username, email, password, **extra)
            announce_created_account(user=user)
        return user


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="150 characters or fewer. Letters, digits and . + - _ only (no @).",
        validators=[UnicodeUsernameValidator(), validate_username_not_email],
        error_messages={"unique": gettext_lazy("A user with that username already exists.")},
    )
    email = models.EmailField("email address")
    display_name = models.CharField(max_length=150, blank=True, default="")
    role = models.CharField(max_length=16, choices=Role.choices(), default=Role.USER)
    email_verified = models.BooleanField(default=False)
    # A requested new address; it replaces `email` only once its link is followed.
    pending_email = models.EmailField(blank=True, default="")
    # The session that asked for `pending_email`: the only one left signed in when the change
    # is confirmed.
    pending_email_session_id = models.UUIDField(null=True, blank=True)
    # When the way-back link of an email change was last used: older such links are spent.
    email_restored_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    # Current ban (history in Ban). banned_until None with is_banned = permanent.
    is_banned = models.BooleanField(default=False)
    banned_until = models.DateTimeField(null=True, blank=True)
    ban_reason = models.TextField(blank=True, default="")
    # Set when the account was deleted; the row stays, anonymised, so its id is never reused.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = AccountManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            models.Index(
                fields=["banned_until"],
                name="user_timed_ban_idx",
                condition=models.Q(is_banned=True, banned_until__isnull=False),
            )
        ]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def is_banned_at(self, moment: datetime | None = None) -> bool:
        moment = moment or timezone.now()
        return self.is_banned and (self.banned_until is None or self.banned_until > moment)


class Session(models.Model):
    """One login on one device. Its id is the tokens' `sid` claim.

    Refresh tokens rotate: the session keeps the jti of the one refresh token that is current.
    A signed refresh token of this session with any other jti was already rotated, so seeing it
    again means it leaked: the whole session is revoked.
    """

    class RevokeReason(models.TextChoices):
        LOGOUT = "logout", "Logged out"
        REVOKED = "revoked", "Revoked by the user"
        OTHERS_REVOKED = "others_revoked", "Revoked with all other sessions"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset"
        REFRESH_REUSED = "refresh_reused", "A rotated refresh token was used again"
        BANNED = "banned", "Account banned"
        DEACTIVATED = "deactivated", "Account deactivated"
        EMAIL_CHANGED = "email_changed", "Email address changed"
        EMAIL_RESTORED = "email_restored", "Old email address restored"
        DELETED = "deleted", "Account deleted"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions"
    )
    user_agent = models.CharField(max_length=512, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    # When the current refresh token expires: after that the session is over.
    expires_at = models.DateTimeField()
    refresh_jti = models.CharField(max_length=64)
    # The refresh token this session rotated away from last, and when: presented again within
    # AUTH_REFRESH_REUSE_GRACE_SECONDS it is a second tab refreshing at the same moment, not a
    # leak (see services.refresh_tokens).
    previous_refresh_jti = models.CharField(max_length=64, blank=True, default="")
    rotated_at = models.DateTimeField(null=True, blank=True)
    rotations = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(
        max_length=32, choices=RevokeReason.choices, blank=True, default=""
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "-id"],
                name="session_active_idx",
                condition=models.Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.id}"

    def is_active_at(self, moment: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (moment or timezone.now())


class Ban(models.Model):
    """Every ban ever given, for moderators' audit; the current one is mirrored on the User."""

    class EndReason(models.TextChoices):
        EXPIRED = "expired", "Expired"
        LIFTED = "lifted", "Lifted"
        REPLACED = "replaced", "Replaced by a new ban"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bans"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField()
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: permanent.")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True, default="")

    def __str__(self) -> str:
        return f"ban of {self.user_id} until {self.until or 'forever'}"
