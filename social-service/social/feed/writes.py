"""The feed's side of `social.core.feed_writes`: what posts and pages tell it, registered by
`FeedConfig.ready`. It sits above `services` and `tasks`, so handing a new post to the Celery
task from here makes no cycle (the task calls the service)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from social.feed import cards, outage, services
from social.feed.tasks import fan_out_post_task


class TimelineWrites:
    def post_created(self, *, post_id: uuid.UUID) -> None:
        # With Redis (or the broker, to hand it to the task) away, the fan-out waits in the
        # feed's repairs: the post is saved and its author gets their answer (outage.py).
        def repair() -> None:
            outage.record(post_id=post_id)

        if settings.SOCIAL_FEED_FANOUT_MODE == "sync":
            outage.guarded(lambda: services.fan_out_post(post_id=post_id), repair=repair)()
            return
        transaction.on_commit(
            outage.guarded(
                lambda: fan_out_post_task.delay(str(post_id)), repair=repair, server=outage.broker()
            ),
            robust=True,
        )

    def posts_changed(self, *, post_ids: Iterable[uuid.UUID]) -> None:
        cards.forget_posts(post_ids)

    def follow_started(self, *, user_id: uuid.UUID, page_id: uuid.UUID, followers: int) -> None:
        services.on_follow_started(user_id=user_id, page_id=page_id, followers=followers)

    def follows_ended(self, *, page_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
        services.remove_page_from_timelines(page_id=page_id, user_ids=user_ids)

    def reader_deleted(self, *, user_id: uuid.UUID) -> None:
        services.forget_reader(user_id=user_id)
