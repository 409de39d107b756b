"""Throttles for the credential endpoints (every one that takes a password or a link's token):
per client address and per account.

Counted in the shared cache (Redis in production, so every web process sees the same counts).
Rates come from `AUTH_THROTTLE_RATES` ("<count>/<period>", period s, m, h or d with an optional
multiplier: "10/15m"). A refused request gets 429, `Retry-After`, and a message that names the
limit. The gateway has its own coarser per-address limit in front of these.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from cotask_common.throttling import NamedLimitThrottling, RateThrottle

__all__ = ["NamedLimitThrottling"]  # the views' mixin, from the kit


class AuthThrottle(RateThrottle):
    """A scope of `AUTH_THROTTLE_RATES`; subclasses say what they count and by what key (the
    counting, hashing and the message are the kit's)."""

    rate_setting = "AUTH_THROTTLE_RATES"

    def get_rate(self) -> str | None:
        if not settings.AUTH_THROTTLE_ENABLED:
            return None
        return settings.AUTH_THROTTLE_RATES.get(self.scope) or None

    def identity(self, request: Request) -> str | None:
        raise NotImplementedError


class _ByAddress(AuthThrottle):
    def identity(self, request: Request) -> str | None:
        return self.get_ident(request)


class _ByField(AuthThrottle):
    field: str

    def identity(self, request: Request) -> str | None:
        value = request.data.get(self.field) if hasattr(request.data, "get") else None
        return value.strip().lower() if isinstance(value, str) and value.strip() else None


class LoginAddressThrottle(_ByAddress):
    scope = "login_ip"
    message_template = _("Too many login attempts from your network address: at most %(limit)s.")


class LoginAccountThrottle(_ByField):
    scope = "login_account"
    message_template = _("Too many login attempts for this account: at most %(limit)s.")
    field = "login"


class RegisterAddressThrottle(_ByAddress):
    scope = "register_ip"
    message_template = _("Too many registrations from your network address: at most %(limit)s.")


class RegisterAccountThrottle(_ByField):
    scope = "register_account"
    message_template = _("Too many registrations with this email address: at most %(limit)s.")
    field = "email"


class PasswordResetAddressThrottle(_ByAddress):
    scope = "password_reset_ip"
    message_template = _(
        "Too many password reset requests from your network address: at most %(limit)s."
    )


class PasswordResetAccountThrottle(_ByField):
    scope = "password_reset_account"
    message_template = _(
        "Too many password reset requests for this email address: at most %(limit)s."
    )
    field = "email"


class PasswordResetConfirmAddressThrottle(_ByAddress):
    scope = "password_reset_confirm_ip"
    message_template = _(
        "Too many password reset attempts from your network address: at most %(limit)s."
    )


class PasswordCheckAccountThrottle(AuthThrottle):
    """Endpoints of a signed-in account that check its current password (password change,
    account deletion): a stolen access token must not become a password-guessing oracle. One
    bucket per account for all of them, whatever the address."""

    scope = "password_check_account"
    message_template = _("Too many password checks for this account: at most %(limit)s.")

    def identity(self, request: Request) -> str | None:
        return str(request.user.id) if getattr(request.user, "is_authenticated", False) else None


class ProfilePasswordCheckThrottle(PasswordCheckAccountThrottle):
    """The same budget for a profile update that carries the current password (an email
    change); reading the profile or editing it without the password is not counted."""

    def identity(self, request: Request) -> str | None:
        data = request.data if request.method not in ("GET", "HEAD", "OPTIONS") else {}
        if not hasattr(data, "get") or data.get("current_password") is None:
            return None
        return super().identity(request)


class VerificationResendThrottle(AuthThrottle):
    scope = "verify_resend_account"
    message_template = _("Too many verification emails for this account: at most %(limit)s.")

    def identity(self, request: Request) -> str | None:
        return str(request.user.id) if getattr(request.user, "is_authenticated", False) else None
