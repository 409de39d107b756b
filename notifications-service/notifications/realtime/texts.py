# ruff: noqa: RUF001 - Russian and Ukrainian texts are meant to be Cyrillic
"""What the realtime side says to people (close reasons, the ticket limit), in en, ru and uk.

Like the notification texts (`inbox/types.py`), these are per-language dicts rather than gettext:
a socket is closed from an event handler, where no request carries a locale, so the words are
picked by the person's language (their `Recipient.language`, from auth's events)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import get_language_from_request

LANGUAGES = ("en", "ru", "uk")

TEXTS: dict[str, dict[str, str]] = {
    # Closing frames: `{"type": "closing", "reason": <key>, "message": <text>}`.
    "logout": {
        "en": "You logged out of this session.",
        "ru": "Вы вышли из этого сеанса.",
        "uk": "Ви вийшли з цього сеансу.",
    },
    "session_revoked": {
        "en": "This session was ended; log in again.",
        "ru": "Этот сеанс завершён; войдите снова.",
        "uk": "Цей сеанс завершено; увійдіть знову.",
    },
    "password_changed": {
        "en": "Your password was changed; connect again.",
        "ru": "Ваш пароль изменён; подключитесь снова.",
        "uk": "Ваш пароль змінено; під'єднайтеся знову.",
    },
    "deactivated": {
        "en": "This account was deactivated.",
        "ru": "Эта учётная запись отключена.",
        "uk": "Цей обліковий запис вимкнено.",
    },
    "banned": {
        "en": "This account was banned.",
        "ru": "Эта учётная запись заблокирована.",
        "uk": "Цей обліковий запис заблоковано.",
    },
    "deleted": {
        "en": "This account was deleted.",
        "ru": "Эта учётная запись удалена.",
        "uk": "Цей обліковий запис видалено.",
    },
    "token_expired": {
        "en": "Your sign-in expired; get a new ticket and connect again.",
        "ru": "Срок входа истёк; получите новый билет и подключитесь снова.",
        "uk": "Термін входу минув; отримайте новий квиток і під'єднайтеся знову.",
    },
    # An error frame: `reauth` with a token that is not a live one of this socket's session.
    "reauth_refused": {
        "en": "That token is not a valid one of this session.",
        "ru": "Этот токен не действует для этого сеанса.",
        "uk": "Цей токен не дійсний для цього сеансу.",
    },
    # 429 from POST ws-ticket/.
    "ticket_throttled": {
        "en": "Too many websocket tickets: at most {rate}. Try again in {wait} s.",
        "ru": "Слишком много билетов для websocket: не больше {rate}. Повторите через {wait} с.",
        "uk": "Забагато квитків для websocket: не більше {rate}. Спробуйте знову за {wait} с.",
    },
    "per_minute": {
        "en": "{count} per minute",
        "ru": "{count} в минуту",
        "uk": "{count} на хвилину",
    },
    "per_period": {
        "en": "{count} per {seconds} s",
        "ru": "{count} за {seconds} с",
        "uk": "{count} за {seconds} с",
    },
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
    texts = TEXTS[key]
    return (texts.get(language) or texts["en"]).format(**params)


def language_of(user_id: UUID | str | None) -> str | None:
    """The account's language as auth announced it, or None when not known here yet."""
    from notifications.inbox.models import Recipient

    if user_id is None:
        return None
    language = Recipient.objects.filter(id=user_id).values_list("language", flat=True).first()
    return language if language in LANGUAGES else None


def language_for_request(request: Any, user_id: UUID | str | None) -> str:
    """The account's language, else `Accept-Language`, else English."""
    chosen = language_of(user_id)
    if chosen:
        return chosen
    guessed = get_language_from_request(request)
    return guessed if guessed in LANGUAGES else "en"
