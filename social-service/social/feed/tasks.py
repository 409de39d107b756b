from __future__ import annotations

from celery import shared_task

from social.feed import outage, repairs, services


@shared_task(name="social.fan_out_post", acks_late=True, max_retries=5, default_retry_delay=2)
def fan_out_post_task(post_id: str) -> int:
    # The feed's Redis away (the broker may be another server): the fan-out waits in the
    # feed's repairs instead of being lost with the failed task.
    done = 0

    def fan_out() -> None:
        nonlocal done
        done = services.fan_out_post(post_id=post_id)

    outage.guarded(fan_out, repair=lambda: outage.record(post_id=post_id))()
    return done


@shared_task(name=repairs.DRAIN_TASK)
def drain_feed_repairs_task() -> int:
    """Replay the timeline/card work kept while Redis was away (beat, and after an outage)."""
    return repairs.drain()
