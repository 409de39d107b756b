"""Celery tasks: immediate emails, digests (beat), ticket cleanup (beat)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.inbox import emails, selectors, services
from notifications.inbox.models import (
    CHAT_EMAIL_DELAYS,
    EmailFrequency,
    EmailState,
    Notification,
    Recipient,
)

logger = logging.getLogger("cotask.notifications")

DIGEST_MAX_ITEMS = 50


@shared_task(
    name="notifications.send_notification_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(notification_id: str) -> bool:
    """Send one queued notification. Preferences are read again here: a switch-off between
    the event and the task wins."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(id=notification_id, email_state=EmailState.QUEUED)
            .select_related("recipient")
            .first()
        )
        if notification is None:
            return False
        recipient = notification.recipient
        if not services.can_email(recipient):
            notification.email_state = EmailState.NONE
            notification.save(update_fields=["email_state"])
            return False
        emails.single_email(notification=notification, recipient=recipient).send()
        notification.email_state = EmailState.SENT
        notification.save(update_fields=["email_state"])
    return True


def _due(recipient: Recipient, now) -> bool:
    if recipient.last_digest_at is None:
        return True
    interval = (
        settings.NOTIFICATIONS_DAILY_DIGEST_SECONDS
        if recipient.email_frequency == EmailFrequency.DAILY
        else settings.NOTIFICATIONS_DIGEST_SECONDS
    )
    return recipient.last_digest_at <= now - timedelta(seconds=interval)


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    """One email per person with pending items whose digest is due: new posts of pages they
    asked alerts for (every `NOTIFICATIONS_DIGEST_SECONDS` for immediate emails), and everything
    for daily digests (every `NOTIFICATIONS_DAILY_DIGEST_SECONDS`)."""
    now = timezone.now()
    sent = 0
    recipient_ids = (
        Notification.objects.filter(email_state=EmailState.PENDING)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for recipient_id in list(recipient_ids):
        with transaction.atomic():
            recipient = Recipient.objects.select_for_update().get(id=recipient_id)
            if not _due(recipient, now):
                continue
            pending = Notification.objects.filter(
                recipient=recipient, email_state=EmailState.PENDING
            )
            if not services.can_email(recipient):
                pending.update(email_state=EmailState.NONE)
                continue
            items = list(pending.order_by("sequence")[:DIGEST_MAX_ITEMS])
            emails.digest_email(notifications=items, recipient=recipient).send()
            # Items beyond the first 50 are dropped from email (they stay in the inbox).
            pending.update(email_state=EmailState.SENT)
            recipient.last_digest_at = now
            recipient.save(update_fields=["last_digest_at"])
            sent += 1
    return sent


@shared_task(name="notifications.send_unread_emails")
def send_unread_emails() -> int:
    """One email per person whose chat notifications (`email_when_unread` types) have waited
    unread for longer than the delay they chose, telling of every such conversation; each
    notification is emailed once. Read ones, and those of people who may not be emailed, are
    dropped from the wait."""
    now = timezone.now()
    shortest = timedelta(minutes=min(CHAT_EMAIL_DELAYS))
    waiting = Notification.objects.filter(
        email_state=EmailState.WAITING, created_at__lte=now - shortest
    )
    sent = 0
    for recipient_id in list(waiting.values_list("recipient_id", flat=True).distinct()):
        with transaction.atomic():
            recipient = Recipient.objects.select_for_update().get(id=recipient_id)
            mine = Notification.objects.filter(recipient=recipient, email_state=EmailState.WAITING)
            mine.exclude(read_at=None).update(email_state=EmailState.NONE)
            if not services.can_email(recipient):
                mine.update(email_state=EmailState.NONE)
                continue
            # The type's email switched off since the notification began to wait: it stops.
            for type in set(mine.values_list("type", flat=True)):
                if not selectors.preference_for(recipient=recipient, type=type)["email"]:
                    mine.filter(type=type).update(email_state=EmailState.NONE)
            items = list(mine.filter(read_at=None).order_by("sequence")[:DIGEST_MAX_ITEMS])
            delay = timedelta(minutes=recipient.chat_email_delay_minutes)
            if not items or min(n.created_at for n in items) > now - delay:
                continue
            emails.unread_chats_email(notifications=items, recipient=recipient).send()
            Notification.objects.filter(id__in=[n.id for n in items]).update(
                email_state=EmailState.SENT
            )
            sent += 1
    return sent


@shared_task(name="notifications.cleanup_ws_tickets")
def cleanup_ws_tickets() -> int:
    return services.cleanup_ws_tickets()


@shared_task(name="notifications.cleanup_deliveries")
def cleanup_deliveries() -> int:
    return services.cleanup_deliveries()


__all__ = [
    "cleanup_deliveries",
    "cleanup_ws_tickets",
    "send_digests",
    "send_notification_email",
    "send_unread_emails",
]
