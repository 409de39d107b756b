"""Replaying the timeline and card work kept while Redis was away (`FeedRepair`, written by
`outage.record`): the beat task `social.drain_feed_repairs` runs `drain`, and so does the first
feed read of a process that kept rows (`drain_if_owed`)."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.db import transaction

from social.feed import outage, services
from social.feed.models import FeedRepair
from social.feed.timelines import get_timelines

logger = logging.getLogger("cotask.outages")

DRAIN_TASK = "social.drain_feed_repairs"
# Rows replayed per round of `drain` (each post among them is one fan-out).
DRAIN_BATCH = 200


def drain_if_owed() -> None:
    """After an outage this process saw: replay what it kept, once Redis may be back (the read
    that follows then sees no stale card). One boolean test otherwise."""
    if not outage.take_owed_drain():
        return
    if settings.SOCIAL_FEED_FANOUT_MODE == "sync":
        drain()
        return
    transaction.on_commit(
        outage.guarded(
            lambda: current_app.send_task(DRAIN_TASK),
            repair=lambda: None,  # the beat task drains them anyway
            server=outage.broker(),
        ),
        robust=True,
    )


def drain(*, rounds: int = 50) -> int:
    """Replay the kept timeline/card work, oldest first; stops (keeping the rest) if Redis is
    still away. Every step is idempotent, so two drains at once do no harm. Returns how many
    rows were replayed."""
    if not outage.uses_redis() or outage.is_down(outage.feed_redis()):
        return 0
    done = 0
    for _ in range(rounds):
        rows = list(FeedRepair.objects.order_by("id")[:DRAIN_BATCH])
        if not rows:
            break
        try:
            client = get_timelines().client
            pipe = client.pipeline(transaction=False)
            keys = sorted({key for row in rows for key in row.keys})
            for start in range(0, len(keys), 1000):
                pipe.delete(*keys[start : start + 1000])
            if any(row.new_big_pages_version for row in rows):
                pipe.incr(get_timelines().big_pages_version_key)  # type: ignore[attr-defined]
            pipe.execute()
            for post_id in dict.fromkeys(row.post_id for row in rows if row.post_id):
                services.fan_out_post(post_id=post_id)
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            outage.owe_drain()
            outage.mark_down(outage.feed_redis(), exc, "the feed's repairs wait")
            break
        FeedRepair.objects.filter(id__in=[row.id for row in rows]).delete()
        done += len(rows)
        if len(rows) < DRAIN_BATCH:
            break
    if done:
        logger.info("feed repairs replayed: %d", done)
    return done
