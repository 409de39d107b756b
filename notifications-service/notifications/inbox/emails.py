# ruff: noqa: RUF001 - Russian and Ukrainian texts are meant to be Cyrillic
"""Building notification emails in the recipient's language, with an unsubscribe link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from notifications.inbox.models import Notification, Recipient
from notifications.inbox.services import ALL_TYPES, unsubscribe_token

WORDS = {
    "en": {
        "digest": "Your CoTask digest: {count} new",
        "footer": "You get this email because of your CoTask notification settings.",
        "unsubscribe_type": "Stop these emails",
        "unsubscribe_all": "Stop all CoTask notification emails",
    },
    "ru": {
        "digest": "Сводка CoTask: новых — {count}",
        "footer": "Это письмо отправлено по вашим настройкам уведомлений CoTask.",
        "unsubscribe_type": "Не присылать такие письма",
        "unsubscribe_all": "Не присылать письма с уведомлениями CoTask",
    },
    "uk": {
        "digest": "Зведення CoTask: нових — {count}",
        "footer": "Цей лист надіслано відповідно до ваших налаштувань сповіщень CoTask.",
        "unsubscribe_type": "Не надсилати такі листи",
        "unsubscribe_all": "Не надсилати листи зі сповіщеннями CoTask",
    },
}


def unsubscribe_url(*, recipient: Recipient, type: str = ALL_TYPES) -> str:
    token = unsubscribe_token(user_id=recipient.id, type=type)
    return f"{settings.NOTIFICATIONS_PUBLIC_URL}/api/notifications/unsubscribe/?token={token}"


def _message(
    *, recipient: Recipient, subject: str, lines: list[str], type: str
) -> EmailMultiAlternatives:
    words = WORDS.get(recipient.language, WORDS["en"])
    links = [(words["unsubscribe_all"], unsubscribe_url(recipient=recipient))]
    if type != ALL_TYPES:
        links.insert(
            0, (words["unsubscribe_type"], unsubscribe_url(recipient=recipient, type=type))
        )
    body = "\n".join(
        [*lines, "", "--", words["footer"], *(f"{label}: {url}" for label, url in links)]
    )
    message = EmailMultiAlternatives(
        subject=subject[:200],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        # RFC 8058 one-click unsubscribe: mail clients POST to the link.
        headers={
            "List-Unsubscribe": f"<{links[-1][1]}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return message


def single_email(*, notification: Notification, recipient: Recipient) -> EmailMultiAlternatives:
    return _message(
        recipient=recipient,
        subject=notification.text,
        lines=[notification.text],
        type=notification.type,
    )


def digest_email(
    *, notifications: list[Notification], recipient: Recipient
) -> EmailMultiAlternatives:
    words = WORDS.get(recipient.language, WORDS["en"])
    return _message(
        recipient=recipient,
        subject=words["digest"].format(count=len(notifications)),
        lines=[f"• {n.text}" for n in notifications],
        type=ALL_TYPES,
    )
