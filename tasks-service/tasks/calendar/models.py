"""Calendar feeds: secret URLs that calendar apps subscribe to (RFC 5545, `.ics`).

Only the SHA-256 digest of a feed's secret is stored: the URL is shown once, when the feed is
made or rotated, and a copy of this table (a backup, a replica) cannot be turned into feeds.
"""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from tasks.rooms.models import Room


class FeedKind(models.TextChoices):
    PERSON = "person", "my tasks"
    ROOM = "room", "a room's tasks"


class CalendarFeed(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="calendar_feeds")
    kind = models.CharField(max_length=16, choices=FeedKind.choices)
    # Room feeds only; the feed answers 404 while its owner is not a member of the room.
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    # sha256 hex of the secret in the URL (the secret itself is never stored).
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    # When a calendar app last fetched it (written at most once an hour): which feeds are used.
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-id"], name="calendarfeed_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="person") & models.Q(room__isnull=True))
                | (models.Q(kind="room") & models.Q(room__isnull=False)),
                name="calendarfeed_room_iff_room_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} feed of {self.owner_id}"
