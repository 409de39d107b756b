"""The projection of media-service's files a service keeps to check the files its users attach
(ready, theirs, uploaded for this purpose), fed by `media.file.*` (declared in
`cotask_common/contracts/media.py`). A service subclasses `MediaFileProjection` once and calls
`apply_media_file_event` from its handler of `MEDIA_FILE_EVENT_TYPES`."""

from __future__ import annotations

from typing import Any

from django.db import models

MEDIA_FILE_EVENT_TYPES = (
    "media.file.uploaded",
    "media.file.ready",
    "media.file.failed",
    "media.file.deleted",
)


class MediaFileProjection(models.Model):
    id = models.UUIDField(primary_key=True)
    owner_id = models.UUIDField(db_index=True)
    purpose = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.id} ({self.purpose}, {self.status})"


def apply_media_file_event(
    model: type[MediaFileProjection], *, event_type: str, data: dict[str, Any]
) -> None:
    """Set the file's row to what the event says. Idempotent; an event without an owner for a
    file not known yet is skipped (a later event carries the owner)."""
    verb = event_type.rsplit(".", 1)[-1]
    files = model._default_manager  # an abstract model's type has no `objects` for mypy
    file_id = data.get("id")
    if not file_id:
        return
    if verb == "deleted":
        files.filter(id=file_id).delete()
        return
    defaults = {name: data[name] for name in ("owner_id", "purpose", "status") if data.get(name)}
    if verb == "ready":
        defaults["status"] = "ready"
    elif verb in ("failed", "rejected"):
        defaults["status"] = verb
    if "owner_id" not in defaults and not files.filter(id=file_id).exists():
        return
    files.update_or_create(id=file_id, defaults=defaults)
