"""Per-user timelines for the table backend, and each reader's feed state (both backends)."""

from __future__ import annotations

from django.db import models

from cotask_common.users.models import UserRef


class TimelineEntry(models.Model):
    """One post in one user's home timeline (the table backend of fan-out on write)."""

    user_id = models.UUIDField()
    post_id = models.UUIDField()
    page_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "post_id"], name="timeline_unique")
        ]
        indexes = [
            models.Index(fields=["user_id", "-post_id"], name="timeline_user_idx"),
            models.Index(fields=["user_id", "page_id"], name="timeline_user_page_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} <- {self.post_id}"


class FeedState(models.Model):
    """Whether a user's timeline is kept: fan-out writes only to readers seen recently; anyone
    else's timeline is rebuilt from the database when they come back."""

    user = models.OneToOneField(
        UserRef, on_delete=models.CASCADE, primary_key=True, related_name="feed_state"
    )
    built_at = models.DateTimeField()
    last_read_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"feed of {self.user_id}"


class FeedRepair(models.Model):
    """Timeline and card work a database write could not do because Redis (or the Celery
    broker) was away; replayed by `social.feed.outage.drain` once it answers again. Written
    only during an outage: while Redis answers, nothing comes here."""

    post_id = models.UUIDField(null=True, blank=True)  # a post to fan out
    # Redis keys to drop: stale cards and reader states, and timelines to rebuild.
    keys = models.JSONField(default=list, blank=True)
    new_big_pages_version = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feed repair {self.pk}"
