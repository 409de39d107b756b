"""Building notification emails in the recipient's language, with an unsubscribe link.

Every email is multipart: a plain-text body and an HTML alternative, both rendered from
`templates/notifications/email/message.{txt,html}` with the same context (the notification
texts, the words below in the recipient's language, the unsubscribe links). The HTML template
autoescapes, so what people wrote (display names, page names, reasons) is text there, never
markup; the plain-text one switches escaping off, since nothing interprets it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from cotask_common.i18n import supported_languages
from notifications.inbox.models import Notification, Recipient
from notifications.inbox.services import ALL_TYPES, unsubscribe_token

# The words around the notification texts (gettext: `notifications/locale/`), read in the
# recipient's language by `_words`.
WORDS = {
    "digest": gettext_lazy("Your CoTask digest: %(count)s new"),
    "unread_chats": gettext_lazy("Unread CoTask messages in %(count)s conversation(s)"),
    "footer": gettext_lazy("You get this email because of your CoTask notification settings."),
    "unsubscribe_type": gettext_lazy("Stop these emails"),
    "unsubscribe_all": gettext_lazy("Stop all CoTask notification emails"),
}


def _language(recipient: Recipient) -> str:
    return recipient.language if recipient.language in supported_languages() else "en"


def _words(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(text) for key, text in WORDS.items()}


def unsubscribe_url(*, recipient: Recipient, type: str = ALL_TYPES) -> str:
    """The link a person follows: the unsubscribe page (GET shows, its form's POST acts)."""
    token = unsubscribe_token(user_id=recipient.id, type=type)
    language = _language(recipient)
    return f"{settings.EMAIL_LINK_BASE_URL}/unsubscribe?lang={language}&token={token}"


def one_click_unsubscribe_url(*, recipient: Recipient) -> str:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` here (the API)."""
    token = unsubscribe_token(user_id=recipient.id, type=ALL_TYPES)
    return f"{settings.NOTIFICATIONS_PUBLIC_URL}/api/notifications/unsubscribe/?token={token}"


def _message(
    *,
    recipient: Recipient,
    subject: str,
    items: list[str],
    type: str,
    heading: str = "",
) -> EmailMultiAlternatives:
    language = _language(recipient)
    words = _words(language)
    links = [{"label": words["unsubscribe_all"], "url": unsubscribe_url(recipient=recipient)}]
    if type != ALL_TYPES:
        links.insert(
            0,
            {
                "label": words["unsubscribe_type"],
                "url": unsubscribe_url(recipient=recipient, type=type),
            },
        )
    context: dict[str, Any] = {
        "language": language,
        "subject": subject,
        "heading": heading,
        "items": items,
        "digest": type == ALL_TYPES,
        "words": words,
        "links": links,
    }
    message = EmailMultiAlternatives(
        subject=subject[:200],
        body=render_to_string("notifications/email/message.txt", context).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        # RFC 8058 one-click unsubscribe: mail clients POST to the link.
        headers={
            "List-Unsubscribe": f"<{one_click_unsubscribe_url(recipient=recipient)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("notifications/email/message.html", context), "text/html"
    )
    return message


def single_email(*, notification: Notification, recipient: Recipient) -> EmailMultiAlternatives:
    return _message(
        recipient=recipient,
        subject=notification.text,
        items=[notification.text],
        type=notification.type,
    )


def unread_chats_email(
    *, notifications: list[Notification], recipient: Recipient
) -> EmailMultiAlternatives:
    """The one email about chat conversations whose messages wait unread (one line each); its
    unsubscribe link stops these emails only."""
    return _list_email(
        notifications, recipient=recipient, title="unread_chats", type=notifications[0].type
    )


def digest_email(
    *, notifications: list[Notification], recipient: Recipient
) -> EmailMultiAlternatives:
    return _list_email(notifications, recipient=recipient, title="digest", type=ALL_TYPES)


def _list_email(
    notifications: list[Notification], *, recipient: Recipient, title: str, type: str
) -> EmailMultiAlternatives:
    """An email listing `notifications`' texts under the words `title` (with their count)."""
    heading = _words(_language(recipient))[title] % {"count": len(notifications)}
    return _message(
        recipient=recipient,
        subject=heading,
        heading=heading,
        items=[n.text for n in notifications],
        type=type,
    )
