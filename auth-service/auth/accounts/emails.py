"""Account emails, written in the recipient's language (en, ru, uk).

The texts are gettext messages; their Russian and Ukrainian versions are in
`auth/accounts/locale/<lang>/LC_MESSAGES/django.po`, compiled to the committed `.mo` files
(`cd auth-service && ../.venv/bin/python manage.py compilemessages`; a test checks they match).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from auth.accounts.models import User


def _send(*, user: User, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def send_verification(*, user: User, email: str, token: str) -> None:
    link = settings.AUTH_EMAIL_VERIFY_URL.format(token=token, lang=user.language)
    days = max(1, settings.AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS // 86400)
    with translation.override(user.language):
        subject = _("Confirm your email address for CoTask")
        body = _(
            "Hello, %(name)s!\n\n"
            "Please confirm that %(email)s is your email address by opening this link:\n\n"
            "%(link)s\n\n"
            "The link works for %(days)s day(s). If you did not ask for this, ignore this "
            "email.\n\n"
            "— CoTask"
        ) % {"name": user.display_name or user.username, "email": email, "link": link, "days": days}
        _send(user=user, to=email, subject=subject, body=body)


def send_password_reset(*, user: User, token: str) -> None:
    link = settings.AUTH_PASSWORD_RESET_URL.format(token=token, lang=user.language)
    minutes = max(1, settings.PASSWORD_RESET_TIMEOUT // 60)
    with translation.override(user.language):
        subject = _("Reset your CoTask password")
        body = _(
            "Hello, %(name)s!\n\n"
            "Someone (hopefully you) asked to reset the password of your CoTask account "
            "%(username)s. To choose a new password, open this link:\n\n"
            "%(link)s\n\n"
            "The link works for %(minutes)s minutes and only once. If you did not ask for "
            "this, ignore this email: your password stays as it is.\n\n"
            "— CoTask"
        ) % {
            "name": user.display_name or user.username,
            "username": user.username,
            "link": link,
            "minutes": minutes,
        }
        _send(user=user, to=user.email, subject=subject, body=body)


def send_email_change_notice(*, user: User, old_email: str, new_email: str, token: str) -> None:
    link = settings.AUTH_EMAIL_RESTORE_URL.format(token=token, lang=user.language)
    days = max(1, settings.AUTH_EMAIL_RESTORE_MAX_AGE_SECONDS // 86400)
    with translation.override(user.language):
        subject = _("Your CoTask email address is being changed")
        body = _(
            "Hello, %(name)s!\n\n"
            "Someone (hopefully you) asked to change the email address of your CoTask account "
            "%(username)s from %(old)s to %(new)s. If it was you, there is nothing to do: the "
            "change takes effect once the link sent to the new address is opened.\n\n"
            "If it was not you, open this link within %(days)s day(s). It keeps (or brings "
            "back) this address, ends every session of the account and asks you to choose a "
            "new password:\n\n"
            "%(link)s\n\n"
            "— CoTask"
        ) % {
            "name": user.display_name or user.username,
            "username": user.username,
            "old": old_email,
            "new": new_email,
            "days": days,
            "link": link,
        }
        _send(user=user, to=old_email, subject=subject, body=body)
