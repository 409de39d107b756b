"""Lesson videos: once a video is `ready`, a Celery task transcodes it to H.264/AAC MP4
renditions (never upscaled, faststart), stores them as variants, and only then drops the uploaded
original; status and progress are on the file's API; a failure keeps the original and says why."""

from __future__ import annotations

import json
import struct
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from media.files import services, video
from media.files.models import MediaFile, StorageDeletion
from media.files.sniffing import MP4
from media.files.tests import samples

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not samples.ffmpeg_available(), reason="ffmpeg is not installed"),
]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    whole = samples.make_video(folder / "four.mp4", seconds=4, size="96x64").read_bytes()
    return {
        "short": samples.make_video(folder / "one.mp4", size="96x64").read_bytes(),
        "four": whole,
        "webm": samples.make_video(folder / "one.webm", fmt="webm", size="96x64").read_bytes(),
    }


@pytest.fixture
def small_ladder(settings: Any) -> None:
    # The ladder scaled down to the test clips (96x64): 128 is above the source, 48 and 32 fit.
    settings.MEDIA_VIDEO_RENDITIONS = [128, 48, 32]


def _streams(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def _download(storage: Any, key: str, path: Path) -> Path:
    with open(path, "wb") as handle:
        storage.download(key, handle, max_bytes=50_000_000)
    return path


@pytest.mark.usefixtures("small_ladder")
@pytest.mark.parametrize("clip", ["short", "webm"])
def test_a_video_is_converted_to_mp4_renditions_never_upscaled(
    media_api: Any,
    media_storage: Any,
    published_events: Any,
    clips: dict[str, bytes],
    clip: str,
    tmp_path: Path,
) -> None:
    api = media_api()
    filename = "lesson.webm" if clip == "webm" else "lesson.mp4"
    body = api.upload(clips[clip], name=filename, purpose="post_video").json()
    assert body["conversion"] == {"status": "queued", "progress": 0, "error": None}
    file = MediaFile.objects.get(id=body["id"])  # both tasks ran after their commits
    assert (file.status, file.conversion_status) == ("ready", "ready"), file.conversion_error
    assert set(file.variants) == {"poster", "thumbnail", "48p", "32p"}  # no 128p
    for name, height in (("48p", 48), ("32p", 32)):
        variant = file.variants[name]
        assert (variant["height"], variant["content_type"]) == (height, "video/mp4")
        local = _download(media_storage, variant["key"], tmp_path / f"{name}.mp4")
        report = _streams(local)
        codecs = {s["codec_type"]: s["codec_name"] for s in report["streams"]}
        assert codecs == {"video": "h264", "audio": "aac"}
        assert float(report["format"]["duration"]) == pytest.approx(1.0, abs=0.15)
        data = local.read_bytes()
        assert data.index(b"moov") < data.index(b"mdat")  # faststart: playable while loading
    # The uploaded original is gone; the largest rendition stands in for it.
    assert file.storage_key == file.variants["48p"]["key"]
    assert file.content_type == "video/mp4" and file.height == 48
    assert media_storage.list_keys() == sorted(file.storage_keys())

    detail = api.client.get(f"/api/media/files/{file.id}/").json()
    assert detail["conversion"] == {"status": "ready", "progress": 100, "error": None}
    assert detail["variants"]["48p"]["url"] and detail["url"] == detail["variants"]["48p"]["url"]
    [ready] = published_events("media.video.")
    assert ready.type == "media.video.ready" and ready.actor is None
    assert set(ready.data["renditions"]) == {"48p", "32p"}
    assert ready.data["renditions"]["32p"]["url"] and ready.data["poster"]["url"]
    assert ready.data["owner_id"] == str(api.user.id) and ready.data["filename"] == filename


def test_a_source_below_every_step_gets_the_lowest_at_its_own_size(
    media_api: Any, media_storage: Any, clips: dict[str, bytes]
) -> None:
    body = media_api().upload(clips["short"], name="tiny.mp4", purpose="post_video").json()
    file = MediaFile.objects.get(id=body["id"])
    assert file.conversion_status == "ready"
    assert {n for n in file.variants if n.endswith("p")} == {"360p"}  # 720p would upscale
    assert (file.variants["360p"]["width"], file.variants["360p"]["height"]) == (96, 64)


def test_the_ladder() -> None:
    assert video.ladder_for(1080, [720, 360]) == [("720p", 720), ("360p", 360)]
    assert video.ladder_for(720, [360, 720]) == [("720p", 720), ("360p", 360)]
    assert video.ladder_for(480, [720, 360]) == [("360p", 360)]
    assert video.ladder_for(241, [720, 360]) == [("360p", 240)]


def test_progress_is_read_from_ffmpeg(
    clips: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.MEDIA_VIDEO_RENDITIONS = [48]
    monkeypatch.setattr(video, "PROGRESS_INTERVAL", 0)  # every report, not one a second
    source = tmp_path / "four.mp4"
    source.write_bytes(clips["four"])
    seen: list[int] = []
    [rendition] = video.transcode(
        source, MP4, duration=4.0, height=64, workdir=tmp_path, on_progress=seen.append
    )
    assert rendition.name == "48p" and rendition.duration == pytest.approx(4.0, abs=0.2)
    assert seen and seen == sorted(set(seen)) and seen[0] >= 0 and seen[-1] <= 99


def test_conversion_status_is_readable_only_where_the_file_is(
    media_api: Any, media_storage: Any, clips: dict[str, bytes], api_client: Any, make_user: Any
) -> None:
    owner = media_api()
    body = owner.upload(
        clips["short"], name="private.mp4", purpose="post_video", visibility="private"
    ).json()
    mine = owner.client.get(f"/api/media/files/{body['id']}/")
    assert mine.status_code == 200 and mine.json()["conversion"]["status"] == "ready"
    stranger = media_api().client.get(f"/api/media/files/{body['id']}/")
    assert stranger.status_code == 404 and "conversion" not in stranger.json()
    missing = media_api().client.get("/api/media/files/01900000-0000-7000-8000-000000000000/")
    assert missing.json()["code"] == stranger.json()["code"]  # existence is not told
    assert api_client.get(f"/api/media/files/{body['id']}/").status_code == 401
    banned = make_user(is_banned=True, banned_until=timezone.now() + timedelta(days=1))
    assert media_api(banned).client.get(f"/api/media/files/{body['id']}/").status_code == 403


def test_a_truncated_video_fails_conversion_and_keeps_its_original(
    media_api: Any, media_storage: Any, published_events: Any, tmp_path: Path
) -> None:
    path = samples.make_video(tmp_path / "full.mp4", seconds=4, size="96x64", faststart=True)
    data = path.read_bytes()
    # Cut in half, the `mdat` box's size made to agree: well formed, but half of what its index
    # (`moov`, in front) promises is missing.
    cut = bytearray(data[: len(data) // 2])
    start = cut.index(b"mdat") - 4
    cut[start : start + 4] = struct.pack(">I", len(cut) - start)
    api = media_api()
    response = api.upload(bytes(cut), name="cut.mp4", purpose="post_video")
    assert response.status_code == 201, response.json()
    file = MediaFile.objects.get(id=response.json()["id"])
    # Playable as uploaded (probe and poster read its start); the renditions are not made.
    assert file.status == "ready" and file.conversion_status == "failed"
    assert file.conversion_error_code == "truncated_video"
    assert media_storage.list_keys() == sorted(file.storage_keys())
    assert file.storage_key.endswith("/original.mp4")
    detail = api.client.get(f"/api/media/files/{file.id}/").json()
    assert detail["conversion"]["status"] == "failed"
    assert detail["conversion"]["error"]["code"] == "truncated_video"
    assert "seconds" in detail["conversion"]["error"]["message"]
    [failed] = published_events("media.video.")
    assert failed.type == "media.video.failed" and failed.data["code"] == "truncated_video"
    assert api.url(file.id).status_code == 200  # the original still plays


def test_a_conversion_over_its_time_limit_fails_and_keeps_the_original(
    media_api: Any, media_storage: Any, clips: dict[str, bytes], settings: Any
) -> None:
    settings.MEDIA_VIDEO_TRANSCODE_TIMEOUT_SECONDS = 0
    body = media_api().upload(clips["four"], name="slow.mp4", purpose="post_video").json()
    file = MediaFile.objects.get(id=body["id"])
    assert (file.conversion_status, file.conversion_error_code) == ("failed", "processing_timeout")
    assert media_storage.list_keys() == sorted(file.storage_keys())


def test_a_conversion_run_again_after_a_crash_changes_nothing_twice(
    stored_video: Any,
    media_storage: Any,
    published_events: Any,
    clips: dict[str, bytes],
    committed: Any,
) -> None:
    result = stored_video(clips["short"])
    file_id = result.file.id
    # Processed, but the conversion's worker died: the task was left `converting`, with the
    # deletion planned for a rendition it had started to write.
    assert services.process_video(file_id=file_id) == "ready"
    file = MediaFile.objects.get(id=file_id)
    base = file.storage_key.rsplit("/", 1)[0]
    MediaFile.objects.filter(id=file_id).update(conversion_status="converting")
    StorageDeletion.objects.create(key=f"{base}/360p.mp4")

    assert committed(lambda: services.convert_video(file_id=file_id)) == "ready"
    assert committed(lambda: services.convert_video(file_id=file_id)) == "skipped"
    file = MediaFile.objects.get(id=file_id)
    assert file.conversion_status == "ready" and file.conversion_attempts == 1
    assert not StorageDeletion.objects.filter(key__in=file.storage_keys()).exists()
    assert media_storage.list_keys() == sorted(file.storage_keys())
    assert [e.type for e in published_events("media.video.")] == ["media.video.ready"]


def test_a_conversion_that_keeps_crashing_is_given_up(
    stored_video: Any, media_storage: Any, clips: dict[str, bytes]
) -> None:
    result = stored_video(clips["short"])
    services.process_video(file_id=result.file.id)
    MediaFile.objects.filter(id=result.file.id).update(conversion_attempts=3)
    assert services.convert_video(file_id=result.file.id) == "failed"
    file = MediaFile.objects.get(id=result.file.id)
    assert (file.conversion_status, file.conversion_error_code) == ("failed", "processing_error")
    assert file.storage_key.endswith("/original.mp4")


def test_a_silent_video_converts_without_an_audio_track(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_VIDEO_RENDITIONS = [48]
    source = tmp_path / "silent.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
            "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", str(source),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    [rendition] = video.transcode(source, MP4, duration=2.0, height=64, workdir=tmp_path)
    assert (rendition.width, rendition.height, rendition.audio_codec) == (72, 48, "")
    assert rendition.duration == pytest.approx(2.0, abs=0.15)
