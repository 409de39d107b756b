from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import serializers

from auth.accounts.models import Language
from cotask_common.roles import Role
from cotask_common.views import QueryBooleanField

_PASSWORD: dict[str, Any] = {"write_only": True, "max_length": 128, "trim_whitespace": False}


# --- accounts


def _language_of_the_request() -> str:
    """An account made without a language keeps the one its request was answered in (the
    browser's Accept-Language, picked by the kit's middleware), so its emails and every later
    token speak it; English when that is not one of ours."""
    language = translation.get_language() or "en"
    return language if language in Language.values else "en"


class RegisterInput(serializers.Serializer):
    username = serializers.CharField(
        min_length=3, max_length=150, validators=[UnicodeUsernameValidator()]
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(min_length=1, **_PASSWORD)
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=Language.choices, required=False, default=_language_of_the_request
    )
    time_zone = serializers.CharField(
        max_length=64, required=False, default="UTC", help_text="IANA name, e.g. Europe/Kyiv."
    )


class UserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    email_verified = serializers.BooleanField()


class MeOutput(UserOutput):
    pending_email = serializers.EmailField(
        allow_blank=True,
        help_text="A new address waiting for its verification link to be followed, or empty.",
    )
    time_zone = serializers.CharField()
    language = serializers.CharField()
    date_joined = serializers.DateTimeField()


class MeUpdateInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=150, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="A new address becomes the account's email once its link is followed. "
        "Needs `current_password`.",
    )
    current_password = serializers.CharField(
        required=False, help_text="Required with a new `email`.", **_PASSWORD
    )


class PasswordInput(serializers.Serializer):
    password = serializers.CharField(**_PASSWORD)


class EmailInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class TokenInput(serializers.Serializer):
    token = serializers.CharField(max_length=1024)


class ResendOutput(serializers.Serializer):
    sent_to = serializers.EmailField()


class AcceptedOutput(serializers.Serializer):
    detail = serializers.CharField()


# --- tokens and sessions


class LoginInput(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Username or email.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(
        required=False,
        help_text="The new refresh token. Absent when a second tab refreshed with the token "
        "another tab had just rotated (within the grace window): keep the one that tab stored.",
    )
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_expires_in = serializers.IntegerField(
        required=False, help_text="Seconds until the refresh token expires (absent with `refresh`)."
    )
    session_id = serializers.UUIDField(help_text="The `sid` claim: this login's session.")


class SessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user_agent = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(
        help_text="The last login or token refresh (about every 5 minutes while in use)."
    )
    expires_at = serializers.DateTimeField()
    current = serializers.SerializerMethodField()

    def get_current(self, session: Any) -> bool:
        return session.id == self.context.get("current_session_id")


class RevokedOutput(serializers.Serializer):
    revoked = serializers.IntegerField()


class PasswordChangeInput(serializers.Serializer):
    current_password = serializers.CharField(**_PASSWORD)
    new_password = serializers.CharField(**_PASSWORD)


class PasswordResetConfirmInput(serializers.Serializer):
    token = serializers.CharField(max_length=256)
    new_password = serializers.CharField(**_PASSWORD)


# --- moderation


class UserSearchInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=150)
    role = serializers.ChoiceField(choices=Role.choices(), required=False)
    banned = QueryBooleanField(required=False)  # absent: either; "null" is a 400
    include_deleted = serializers.BooleanField(required=False, default=False)


class StaffUserOutput(UserOutput):
    pending_email = serializers.EmailField(allow_blank=True)
    time_zone = serializers.CharField()
    language = serializers.CharField()
    is_banned = serializers.BooleanField()
    banned_until = serializers.DateTimeField(allow_null=True)
    ban_reason = serializers.CharField()
    deleted = serializers.SerializerMethodField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)

    def get_deleted(self, user: Any) -> bool:
        return user.deleted_at is not None


class BanOutput(serializers.Serializer):
    id = serializers.UUIDField()
    reason = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    issued_by = serializers.UUIDField(source="issued_by_id", allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    ended_by = serializers.UUIDField(source="ended_by_id", allow_null=True)
    end_reason = serializers.CharField()


class StaffUserDetailOutput(StaffUserOutput):
    active_sessions = serializers.IntegerField(source="active_sessions_count")
    bans = BanOutput(many=True)


class RoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices())


class BanInput(serializers.Serializer):
    """Exactly one of `duration_seconds`, `until` and `permanent: true`."""

    reason = serializers.CharField(max_length=1000)
    duration_seconds = serializers.IntegerField(
        required=False, min_value=60, max_value=100 * 365 * 86400
    )
    until = serializers.DateTimeField(required=False)
    permanent = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [
            name
            for name in ("duration_seconds", "until", "permanent")
            if attrs.get(name) not in (None, False)
        ]
        if len(given) != 1:
            raise serializers.ValidationError(
                {
                    "duration_seconds": [
                        serializers.ErrorDetail(
                            _("Give exactly one of duration_seconds, until and permanent: true."),
                            code="ban_length_required",
                        )
                    ]
                }
            )
        if "duration_seconds" in given:
            attrs["until"] = timezone.now() + timedelta(seconds=attrs["duration_seconds"])
        elif attrs.get("permanent"):
            attrs["until"] = None
        return attrs
