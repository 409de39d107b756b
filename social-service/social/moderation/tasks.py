from __future__ import annotations

from celery import shared_task

from social.moderation import services


@shared_task(name="social.end_expired_blocks")
def end_expired_blocks() -> int:
    return services.end_expired_blocks()
