"""media-service settings: the shared base plus what is this service's own."""

from pathlib import Path
from typing import TYPE_CHECKING

from cotask_common.env import env_bool, env_int, env_list, env_str
from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="media",
        base_dir=BASE_DIR,
        local_apps=["media.files"],
        title="CoTask media API",
        description=(
            "Uploads (multipart for small files, presigned direct upload for large ones), "
            "content validation, image variants, video metadata, public and signed URLs."
        ),
    )
)

_var_dir: Path = COTASK_VAR_DIR  # noqa: F405 - set by build_settings

# A file's and an upload's `status` are different choice sets: the file's gets a name of its own
# in the document (and in generated clients), not a hash suffix.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {  # noqa: F405 - set by build_settings
    "FileStatusEnum": "media.files.models.Status",
}

# -- storage ----------------------------------------------------------------------------------
# S3 when an endpoint is configured (or MEDIA_STORAGE=s3, e.g. for AWS without an endpoint);
# otherwise local folders: public files under MEDIA_ROOT (served by nginx at /media/), private
# files and unfinished uploads under MEDIA_PRIVATE_ROOT (never served by nginx).
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "s3" if S3_ENDPOINT_URL else "local")
if MEDIA_STORAGE not in {"s3", "local"}:
    raise ValueError(f"MEDIA_STORAGE must be 's3' or 'local', got {MEDIA_STORAGE!r}")
S3_PUBLIC_ENDPOINT_URL = env_str("S3_PUBLIC_ENDPOINT_URL")
S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID")
S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY")
S3_BUCKET = env_str("S3_BUCKET", "cotask-media")
S3_REGION = env_str("S3_REGION", "us-east-1")
# Create the bucket and allow anonymous reads of `<prefix>public/*` (merged into the bucket
# policy) on `migrate` / `setup_media_storage`. Turn off when a CDN or infrastructure code owns it.
MEDIA_S3_MANAGE_POLICY = env_bool("MEDIA_S3_MANAGE_POLICY", True)
MEDIA_ROOT = env_str("MEDIA_ROOT", str(_var_dir / "media"))
MEDIA_URL = "/media/"
MEDIA_PRIVATE_ROOT = env_str("MEDIA_PRIVATE_ROOT", str(_var_dir / "media-private"))
# Where public files are read by clients; default: /media/ locally, the bucket URL on S3.
MEDIA_PUBLIC_BASE_URL = env_str("MEDIA_PUBLIC_BASE_URL")
# Prepended to every object key (several deployments or test runs sharing one bucket).
MEDIA_STORAGE_PREFIX = env_str("MEDIA_STORAGE_PREFIX")
# Temporary copies of uploads while they are checked (default: the system's temp folder).
MEDIA_TEMP_DIR = env_str("MEDIA_TEMP_DIR") or None
FILE_UPLOAD_TEMP_DIR = MEDIA_TEMP_DIR

# -- limits and lifetimes ---------------------------------------------------------------------
MEDIA_SIGNED_URL_TTL_SECONDS = env_int("MEDIA_SIGNED_URL_TTL_SECONDS", 300)
MEDIA_UPLOAD_URL_TTL_SECONDS = env_int("MEDIA_UPLOAD_URL_TTL_SECONDS", 900)
MEDIA_UNREFERENCED_GRACE_SECONDS = env_int("MEDIA_UNREFERENCED_GRACE_SECONDS", 24 * 3600)
# Purposes whose unreferenced files are removed after the grace period ("*" = all). Only turn a
# purpose on once the services using it publish `<service>.media.attached` (docs/events.md):
# otherwise files in use would be deleted. Failed files are always removed.
MEDIA_UNREFERENCED_CLEANUP_PURPOSES = env_list("MEDIA_UNREFERENCED_CLEANUP_PURPOSES", [])
# Largest multipart request body the API reads; the gateway's CLIENT_MAX_BODY_SIZE is 25m too.
MEDIA_MAX_MULTIPART_BYTES = env_int("MEDIA_MAX_MULTIPART_BYTES", 25 * 1024 * 1024 + 64 * 1024)
# Pixel flood guard: images with more pixels are refused before decoding (40 MP ~ 7300x5500).
MEDIA_MAX_IMAGE_PIXELS = env_int("MEDIA_MAX_IMAGE_PIXELS", 40_000_000)
# Zip bomb guard for office documents: total uncompressed size and entry count.
MEDIA_MAX_ARCHIVE_BYTES = env_int("MEDIA_MAX_ARCHIVE_BYTES", 256 * 1024 * 1024)
MEDIA_MAX_ARCHIVE_ENTRIES = env_int("MEDIA_MAX_ARCHIVE_ENTRIES", 10_000)

# -- video ------------------------------------------------------------------------------------
FFPROBE_BIN = env_str("FFPROBE_BIN", "ffprobe")
FFMPEG_BIN = env_str("FFMPEG_BIN", "ffmpeg")
MEDIA_FFMPEG_TIMEOUT_SECONDS = env_int("MEDIA_FFMPEG_TIMEOUT_SECONDS", 120)
# A video still `processing` after this long is queued again (a lost task), at most 3 times.
MEDIA_PROCESSING_STALE_SECONDS = env_int("MEDIA_PROCESSING_STALE_SECONDS", 900)
# Lesson videos are transcoded to H.264/AAC MP4 at these heights (never upscaled), with this
# x264 preset (docs/decisions.md: veryfast keeps a 720p video within 2x its length on 2 cores).
MEDIA_VIDEO_RENDITIONS = [int(h) for h in env_list("MEDIA_VIDEO_RENDITIONS", ["720", "360"])]
MEDIA_VIDEO_PRESET = env_str("MEDIA_VIDEO_PRESET", "veryfast")
# The whole conversion's time limit (one ffmpeg run, every rendition).
MEDIA_VIDEO_TRANSCODE_TIMEOUT_SECONDS = env_int("MEDIA_VIDEO_TRANSCODE_TIMEOUT_SECONDS", 1800)

COTASK_EXTRA_READY_CHECKS = {"object_storage": "media.files.health.check_storage"}

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,  # noqa: F405 - set by build_settings
    "media-purge-storage": {"task": "media.purge_storage", "schedule": 300.0},
    "media-expire-uploads": {"task": "media.expire_uploads", "schedule": 900.0},
    "media-cleanup-unreferenced": {"task": "media.cleanup_unreferenced", "schedule": 900.0},
    "media-requeue-stale": {"task": "media.requeue_stale_processing", "schedule": 600.0},
}
