"""The outbox (events written in the business transaction, published by the relay) and the
processed-event table (what makes handlers idempotent)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    # The event id: the envelope's idempotency key, a time-ordered UUID v7.
    id = models.UUIDField(primary_key=True, editable=False)
    topic = models.CharField(max_length=255)
    key = models.CharField(max_length=255)
    type = models.CharField(max_length=255)
    payload = models.JSONField(help_text="The full event envelope.")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "outbox event"
        ordering = ("created_at", "id")
        indexes = [
            # The relay's query: unpublished rows in creation order. Partial, so it stays small.
            models.Index(
                fields=["created_at", "id"],
                name="cotask_outbox_pending_idx",
                condition=models.Q(published_at__isnull=True),
            ),
            # The cleanup's query: published rows older than the retention.
            models.Index(
                fields=["published_at"],
                name="cotask_outbox_published_idx",
                condition=models.Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class ProcessedEvent(models.Model):
    event_id = models.UUIDField(primary_key=True)
    type = models.CharField(max_length=255)
    handled_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "processed event"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
