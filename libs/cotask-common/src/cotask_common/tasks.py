"""Periodic housekeeping every service runs under Celery beat."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cotask_common.cleanup_outbox")
def cleanup_outbox() -> int:
    from cotask_common.events.relay import cleanup_published

    return cleanup_published()


@shared_task(name="cotask_common.cleanup_processed_events")
def cleanup_processed_events() -> int:
    from cotask_common.events.consumer import cleanup_processed

    return cleanup_processed()


@shared_task(name="cotask_common.forget_user_events")
def forget_user_events(user_id: str) -> int:
    """After `auth.user.deleted`: published outbox rows naming the account go now, not at the
    outbox's retention (see `forget_published_mentions`)."""
    from cotask_common.events.relay import forget_published_mentions

    return forget_published_mentions(value=str(user_id))
