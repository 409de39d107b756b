"""media-service's file events: the projection attachments are checked against."""

from __future__ import annotations

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from tasks.mediafiles import services

MEDIA_EVENT_TYPES = (
    "media.file.uploaded",
    "media.file.ready",
    "media.file.failed",
    "media.file.deleted",
)


@event_handler(*MEDIA_EVENT_TYPES)
def on_media_file(event: Event) -> None:
    services.apply_media_event(verb=event.type.rsplit(".", 1)[-1], data=event.data)
