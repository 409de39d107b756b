"""Videos: accepted as `processing`, then ffprobe (in the Celery task) reads duration, size and
codecs, ffmpeg renders a poster, and the file is `ready` (then converted: test_conversion.py), or
`failed` with what was made from it removed and its original kept."""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from media.files import services, tasks
from media.files.models import MediaFile
from media.files.tests import samples

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not samples.ffmpeg_available(), reason="ffmpeg is not installed"),
]

CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("videos")
    return {
        fmt: samples.make_video(folder / f"clip.{fmt}", fmt=fmt, size="96x64").read_bytes()
        for fmt in ("mp4", "mov", "webm")
    }


@pytest.mark.parametrize("fmt", ["mp4", "mov", "webm"])
def test_a_video_is_probed_and_gets_a_poster(
    media_api: Any, media_storage: Any, published_events: Any, videos: dict[str, bytes], fmt: str
) -> None:
    api = media_api()
    response = api.upload(videos[fmt], name=f"lesson.{fmt}", purpose="post_video")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["content_type"]) == (
        "video",
        "processing",
        CONTENT_TYPES[fmt],
    )
    file = MediaFile.objects.get(id=body["id"])  # the task ran after the commit
    assert file.status == "ready", (file.failure_code, file.failure_message)
    assert (file.width, file.height) == (96, 64)
    assert file.duration == pytest.approx(1.0, abs=0.1)
    # Converted right after (test_conversion.py): an H.264/AAC MP4 stands in for the original.
    assert (file.video_codec, file.audio_codec) == ("h264", "aac")
    assert set(file.variants) == {"poster", "thumbnail", "360p"}
    assert file.variants["poster"]["content_type"] == "image/jpeg"
    assert media_storage.list_keys() == sorted(file.storage_keys())

    detail = api.client.get(f"/api/media/files/{file.id}/").json()
    assert detail["status"] == "ready" and detail["duration"] == pytest.approx(1.0, abs=0.1)
    assert detail["variants"]["poster"]["url"]
    types = [e.type for e in published_events("media.file.")]
    assert types == ["media.file.uploaded", "media.file.ready"]
    assert [e.type for e in published_events("media.video.")] == ["media.video.ready"]
    ready = published_events("media.file.ready")[0]
    assert ready.data["duration"] == file.duration and ready.data["purpose"] == "post_video"
    assert ready.actor is None and ready.data["owner_id"] == str(api.user.id)


def test_a_large_video_goes_direct(
    media_api: Any, media_storage: Any, videos: dict[str, bytes]
) -> None:
    api = media_api()
    response = api.direct(
        videos["mp4"], name="talk.mp4", purpose="post_video", content_type="video/mp4"
    )
    assert response.status_code == 201, response.json()
    file = MediaFile.objects.get(id=response.json()["id"])
    assert file.status == "ready"
    assert media_storage.list_keys() == sorted(file.storage_keys())  # nothing left in incoming/


def _unreadable_mp4() -> bytes:
    """Valid top-level boxes (so it passes the structure walk) around garbage."""

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    return (
        box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
        + box(b"moov", b"\x13\x37" * 64)
        + box(b"mdat", b"\x00\x01\x02\x03" * 256)
    )


def test_an_unreadable_video_fails_with_the_reason_and_its_original_kept(
    media_api: Any, media_storage: Any, published_events: Any
) -> None:
    api = media_api()
    body = api.upload(_unreadable_mp4(), name="broken.mp4", purpose="post_video").json()
    file = MediaFile.objects.get(id=body["id"])
    assert file.status == "failed" and file.failure_code == "corrupt_file"
    assert (file.conversion_status, file.conversion_error_code) == ("failed", "corrupt_file")
    assert media_storage.list_keys() == [file.storage_key]  # the original is kept
    [failed] = published_events("media.file.failed")
    assert failed.data["code"] == "corrupt_file" and failed.data["purpose"] == "post_video"
    [video_failed] = published_events("media.video.")
    assert video_failed.type == "media.video.failed" and video_failed.data["code"] == "corrupt_file"
    detail = api.client.get(f"/api/media/files/{file.id}/").json()
    assert detail["failure"]["code"] == "corrupt_file" and detail["url"] is None
    assert api.url(file.id).json()["code"] == "file_failed"
    # A failed file does not block uploading the (fixed) content again.
    again = api.upload(_unreadable_mp4(), name="broken.mp4", purpose="post_video")
    assert again.status_code == 201 and again.json()["id"] != body["id"]
    # Deleting the failed file deletes the kept original too.
    assert api.delete(body["id"]).status_code == 204
    assert file.storage_key not in media_storage.list_keys()


def test_a_video_deleted_while_processing_leaves_nothing(
    media_api: Any, media_storage: Any, videos: dict[str, bytes], committed: Any, stored_video: Any
) -> None:
    api = media_api()
    # Stored, but its task not run yet (no commit callbacks here).
    result = stored_video(videos["mp4"], owner_id=api.user.id)
    assert result.file.status == "processing"
    assert api.delete(result.file.id).status_code == 204
    assert committed(lambda: services.process_video(file_id=result.file.id)) == "skipped"
    assert media_storage.list_keys() == []


def test_a_missing_ffprobe_is_retried_then_fails(
    stored_video: Any, media_storage: Any, videos: dict[str, bytes], settings: Any, tmp_path: Path
) -> None:
    settings.FFPROBE_BIN = str(tmp_path / "no-ffprobe")
    result = stored_video(videos["mp4"])
    outcome = tasks.process_video.apply(args=[str(result.file.id)], retries=5)
    assert outcome.get() == "failed"
    file = MediaFile.objects.get(id=result.file.id)
    assert file.status == "failed" and file.failure_code == "processing_error"


def test_a_lost_processing_task_is_queued_again_then_given_up(
    stored_video: Any, media_storage: Any, videos: dict[str, bytes], committed: Any
) -> None:
    result = stored_video(videos["mp4"])
    later = timezone.now() + timedelta(hours=1)
    assert committed(lambda: services.requeue_stale_processing(now=later)) == 1
    assert MediaFile.objects.get(id=result.file.id).status == "ready"

    stuck = stored_video(videos["mp4"])
    MediaFile.objects.filter(id=stuck.file.id).update(processing_attempts=3)
    assert services.requeue_stale_processing(now=later) == 0
    assert MediaFile.objects.get(id=stuck.file.id).failure_code == "processing_error"
