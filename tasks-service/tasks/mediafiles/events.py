"""media-service's file events: the projection attachments are checked against."""

from __future__ import annotations

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from cotask_common.media_files import MEDIA_FILE_EVENT_TYPES, apply_media_file_event
from tasks.mediafiles.models import MediaFile


@event_handler(*MEDIA_FILE_EVENT_TYPES)
def on_media_file(event: Event) -> None:
    apply_media_file_event(MediaFile, event_type=event.type, data=event.data)
