"""media-service's events: the life of an uploaded file.

Producer: media-service (`media/files/services.py`, inside the change's transaction). Topic
`media.file`, key = the file id. There is no `media.file.rejected`: a refused upload never becomes
a file (the client gets the 4xx and nothing is kept). Consumers: social-service (its `MediaFile`
projection: post media must be known, `ready`, the author's own and of purpose
`post_image`/`post_video`; page avatars `avatar`/`page_avatar`/`post_image`); any service that
stores file ids should check them the same way (known, `ready`, the user's own, the purpose it
expects).

media-service consumes every service's media references (`<service>.media.attached` /
`.detached`, in each producer's section). A file without references for
`MEDIA_UNREFERENCED_GRACE_SECONDS` (24 h) is deleted (`media.file.deleted`, reason
`unreferenced`), but only for the purposes listed in `MEDIA_UNREFERENCED_CLEANUP_PURPOSES`
(default: none). Turn a purpose on once the services using it publish these events (social
publishes them for posts and page avatars, so `post_image,post_video,avatar` can be enabled;
`task_attachment` after tasks; `*` only once every service does); otherwise files in use would be
deleted. Failed files are always removed.

Lesson videos: once a video is `ready` (playable as uploaded), it is transcoded to H.264/AAC MP4
renditions (`720p`, `360p`; never upscaled). Topic `media.video`, key = the file id:
`media.video.ready` when the renditions are stored (the uploaded original is then deleted; the
file's `original` is the largest rendition), `media.video.failed` when they cannot be made (the
original is kept; a video that fails processing itself gets both `media.file.failed` and this).

Reserved, not declared yet: `<service>.media.access_granted` / `.access_revoked` (`file_ids`,
`user_ids`, `object_type`, `object_id`), for who besides the owner may get signed URLs for a
private file (decided in `media.files.selectors.can_view`).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field
from typing_extensions import TypedDict

from cotask_common.contracts.fields import Sha256
from cotask_common.contracts.registry import declare

KEY = "the file's id"
PROJECTION = {
    "social": "updates its `MediaFile` projection (`id`, `owner_id`, `purpose`, `status`)",
    "tasks": "updates its `MediaFile` projection (attachments must be the member's own, "
    "`ready`, of purpose `task_attachment`)",
}


class FileData(TypedDict):
    id: UUID
    """the file"""
    owner_id: UUID
    """who uploaded it"""
    purpose: Literal["avatar", "post_image", "post_video", "task_attachment", "chat_attachment"]
    """fixed at upload"""
    visibility: Literal["public", "private"]
    """public: plain URL; private: signed URLs only"""
    kind: Literal["image", "video", "document"]
    status: Literal["processing", "ready", "failed"]
    """after the change"""
    content_type: Annotated[str, Field(examples=["image/png"])]
    """of the stored original (a GIF is stored as PNG)"""
    size: int
    """bytes uploaded"""
    sha256: Sha256
    """hex, of the bytes uploaded"""


class Variant(TypedDict):
    url: str | None
    width: int | None
    height: int | None
    content_type: str


@declare("media.file.uploaded", key=KEY, consumers=PROJECTION, actor="the owner")
class FileUploaded(FileData):
    """The upload passed every check and is stored; images and documents are `ready` in the same
    transaction (a `media.file.ready` follows at once), videos `processing`."""


@declare(
    "media.file.ready",
    key=KEY,
    consumers={
        "social": "marks the projected file `ready`",
        "tasks": "marks the projected file `ready`",
    },
    actor="the owner (images, documents); null (videos)",
)
class FileReady(FileData):
    """The file is usable: images and documents at once; videos once ffprobe and the poster are
    done (Celery)."""

    width: int | None
    """pixels as displayed"""
    height: int | None
    duration: float | None
    """seconds (videos); else null"""
    url: str | None
    """plain URL of the original; null when private"""
    variants: dict[str, Variant]
    """by name (`thumbnail`, `medium` for images; `poster`, `thumbnail` for videos)"""


@declare(
    "media.file.failed",
    key=KEY,
    consumers={
        "social": "marks the projected file `failed`",
        "tasks": "marks the projected file `failed`",
    },
    actor="null",
)
class FileFailed(FileData):
    """Processing found the video unusable; what was made from it is deleted (the uploaded
    original is kept until the file is deleted), the row stays to tell the owner why."""

    code: Annotated[str, Field(examples=["corrupt_file"])]
    """`corrupt_file`, `unsupported_codec`, `unsupported_type`, `type_mismatch`,
    `video_too_large`, `processing_timeout`, `processing_error`, …"""
    message: str


@declare(
    "media.file.deleted",
    key=KEY,
    consumers={
        "social": "removes the file from its projection",
        "tasks": "removes the file from its projection",
    },
    actor="the deleting user, or null",
)
class FileDeleted(FileData):
    """The file and its content are gone."""

    reason: Literal["owner", "moderator", "unreferenced", "owner_deleted"]


class VideoData(TypedDict):
    id: UUID
    """the file"""
    owner_id: UUID
    """who uploaded it"""
    purpose: Literal["avatar", "post_image", "post_video", "task_attachment", "chat_attachment"]
    visibility: Literal["public", "private"]
    filename: str
    """as uploaded (for the owner's notification)"""


class Poster(TypedDict):
    url: str | None
    """plain URL; null when private"""
    width: int | None
    height: int | None


class VideoRendition(TypedDict):
    url: str | None
    """plain URL; null when private (ask media-service for a signed one)"""
    width: int | None
    height: int | None
    content_type: Annotated[str, Field(examples=["video/mp4"])]
    size: int
    """bytes"""


@declare(
    "media.video.ready",
    key=KEY,
    consumers={
        "social": "keeps the renditions on its `MediaFile` projection; posts carrying the video "
        "show them",
        "notifications": "tells the owner the video is ready (`video_ready`)",
    },
    actor="null",
)
class VideoReady(VideoData):
    """The MP4 renditions are stored (Celery); the uploaded original is deleted."""

    duration: float | None
    """seconds"""
    poster: Poster | None
    renditions: dict[str, VideoRendition]
    """by name: `720p`, `360p` (only the steps at or below the source's height; a smaller source
    gets `360p` at its own size)"""


@declare(
    "media.video.failed",
    key=KEY,
    consumers={
        "social": "marks the video's conversion `failed` on its projection",
        "notifications": "tells the owner the video could not be converted (`video_failed`)",
    },
    actor="null",
)
class VideoFailed(VideoData):
    """The renditions could not be made; the uploaded original is kept."""

    code: Annotated[str, Field(examples=["conversion_failed"])]
    """`conversion_failed`, `truncated_video`, `processing_timeout`, `processing_error`, or a
    processing failure's code (`corrupt_file`, …)"""
    message: str
