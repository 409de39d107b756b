"""What tasks-service knows of media-service's files, from `media.file.*` events: enough to
check that a file a member attaches is theirs, ready and uploaded as a task attachment."""

from __future__ import annotations

from cotask_common.media_files import MediaFileProjection


class MediaFile(MediaFileProjection):
    pass
