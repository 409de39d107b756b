"""What tasks-service knows of media-service's files, from `media.file.*` events: enough to
check that a file a member attaches is theirs, ready and uploaded as a task attachment."""

from __future__ import annotations

from django.db import models


class MediaFile(models.Model):
    id = models.UUIDField(primary_key=True)
    owner_id = models.UUIDField(db_index=True)
    purpose = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.id} ({self.purpose}, {self.status})"
