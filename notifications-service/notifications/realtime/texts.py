"""What the realtime side says to people (close reasons, socket errors, the ticket limit).

The texts are gettext messages (`notifications/locale/`), rendered in the *connection's*
language rather than the active one: a socket is closed from an event handler or a timer, where
no request carries a locale. A connection's language is the `lang` claim of the access token
behind it (directly, or through the ticket it asked for), else the account's language as auth
announced it here, else the handshake's `Accept-Language`, else English (`socket_language`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import translation
from django.utils.translation import gettext_lazy

from cotask_common.i18n import DEFAULT_LANGUAGE, best_accepted_language, supported_languages

TEXTS: dict[str, Any] = {
    # Closing frames: `{"type": "closing", "reason": <key>, "message": <text>}`.
    "logout": gettext_lazy("You logged out of this session."),
    "session_revoked": gettext_lazy("This session was ended; log in again."),
    "password_changed": gettext_lazy("Your password was changed; connect again."),
    "deactivated": gettext_lazy("This account was deactivated."),
    "banned": gettext_lazy("This account was banned."),
    "deleted": gettext_lazy("This account was deleted."),
    "token_expired": gettext_lazy("Your sign-in expired; get a new ticket and connect again."),
    "resume": gettext_lazy(
        "Live updates paused for a moment; connect again with your cursor, nothing is lost."
    ),
    # Error frames (`{"type": "error", "code", "message"}`).
    "reauth_refused": gettext_lazy("That token is not a valid one of this session."),
    "invalid_json": gettext_lazy("Not JSON."),
    "bad_cursor": gettext_lazy("cursor must be a non-negative integer."),
    "unknown_type": gettext_lazy("type must be 'ping', 'resume', 'reauth' or 'typing'."),
    "bad_conversation": gettext_lazy("No conversation with this id."),
    # 429 from POST ws-ticket/.
    "ticket_throttled": gettext_lazy(
        "Too many websocket tickets: at most %(rate)s. Try again in %(wait)s s."
    ),
    "per_minute": gettext_lazy("%(count)s per minute"),
    "per_period": gettext_lazy("%(count)s per %(seconds)s s"),
}


# auth's revoke reasons (`auth.session.revoked`) that share a text.
CLOSE_REASON_TEXTS = {
    "revoked": "session_revoked",
    "others_revoked": "session_revoked",
    "refresh_reused": "session_revoked",
    "password_reset": "password_changed",
}


def close_text(reason: str, *, language: str) -> str:
    """Why the socket closes, for the person; any reason without its own text reads as an
    ended session."""
    key = CLOSE_REASON_TEXTS.get(reason, reason)
    return text(key if key in TEXTS else "session_revoked", language=language)


def text(key: str, *, language: str, **params: Any) -> str:
    with translation.override(language):
        message = str(TEXTS[key])
        return message % params if params else message


def _supported(language: Any) -> str | None:
    return language if isinstance(language, str) and language in supported_languages() else None


def language_of(user_id: UUID | str | None) -> str | None:
    """The account's language as auth announced it, or None when not known here yet."""
    from notifications.inbox.models import Recipient

    if user_id is None:
        return None
    language = Recipient.objects.filter(id=user_id).values_list("language", flat=True).first()
    return _supported(language)


def socket_language(
    *, claimed: str | None, user_id: UUID | str | None, accept_language: str = ""
) -> str:
    """The connection's language: the token's `lang` claim, else the account's language known
    here, else the best match of `Accept-Language`, else English."""
    return (
        _supported(claimed)
        or language_of(user_id)
        or best_accepted_language(accept_language)
        or DEFAULT_LANGUAGE
    )


def language_for_request(request: Any, user_id: UUID | str | None) -> str:
    """The same for a request (the ticket endpoint): the token's `lang`, else the account's
    language, else `Accept-Language`, else English."""
    claims = getattr(request, "auth", None)
    return socket_language(
        claimed=claims.get("lang") if isinstance(claims, dict) else None,
        user_id=user_id,
        accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    )
