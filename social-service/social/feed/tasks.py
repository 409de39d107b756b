from __future__ import annotations

from celery import shared_task

from social.feed import services


@shared_task(name="social.fan_out_post", acks_late=True, max_retries=5, default_retry_delay=2)
def fan_out_post_task(post_id: str) -> int:
    return services.fan_out_post(post_id=post_id)
