"""media-service end to end, through the nginx gateway, as a client uses it.

Every test runs twice: against the suite's stack (S3 on SeaweedFS: presigned URLs go straight to
S3) and against an embedded stack of its own (local files: signed URLs served by media-service
itself, public files by nginx at /media/). A media Celery worker runs for the video test.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from harness import PYTHON, ROOT, Stack, base_env, register_and_login, wait_for
from PIL import Image

# A stack on local storage of its own; ports overridable like the suite's others.
LOCAL_GATEWAY_PORT = int(os.environ.get("E2E_MEDIA_GATEWAY_PORT", "58280"))
LOCAL_SERVICE_PORT_BASE = int(os.environ.get("E2E_MEDIA_SERVICE_PORT_BASE", "58210"))
OTHER_SERVICES = ("auth", "social", "tasks", "habits", "notifications")


# -- the two stacks ---------------------------------------------------------------------------


class MediaStack:
    def __init__(self, *, name: str, url: str, storage: str) -> None:
        self.name = name
        self.url = url
        self.storage = storage
        self.api = f"{url}/api/media"


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """media-service's Celery worker (the suite's stack runs without workers)."""
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "celery"),
            "-A", "config", "worker",
            "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO",
            "--hostname", "media-e2e@%h",
        ],
        cwd=ROOT / "media-service",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    log.close()
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def s3_stack(gateway: str, stack_env: dict[str, str], var_dir: Path) -> Iterator[MediaStack]:
    if not stack_env.get("S3_ENDPOINT_URL"):
        pytest.skip("S3_ENDPOINT_URL is not set: the suite's stack uses local media")
    worker = _start_worker(stack_env, var_dir / "media-e2e-worker.log")
    yield MediaStack(name="s3", url=gateway, storage="s3")
    _stop(worker)


@pytest.fixture(scope="module")
def local_stack() -> Iterator[MediaStack]:
    """An embedded stack (SQLite, embedded event log, local media): only media's event process
    and worker run besides the six web processes and nginx."""
    var_dir = ROOT / "var" / "e2e-media-local"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = base_env(var_dir, embedded=True)
    env["AUTH_RATE_LIMIT"] = "120r/m"
    env["AUTH_RATE_BURST"] = "40"
    skips = [f"{service}:{kind}" for service in OTHER_SERVICES for kind in ("events", "worker")]
    stack = Stack(
        name="media-local",
        gateway_port=LOCAL_GATEWAY_PORT,
        service_port_base=LOCAL_SERVICE_PORT_BASE,
        env=env,
        extra_args=[arg for skip in skips for arg in ("--skip", skip)],
    )
    yield MediaStack(name="local", url=stack.url, storage="local")
    stack.stop()


@pytest.fixture(params=["s3", "local"])
def media(request: pytest.FixtureRequest) -> MediaStack:
    return request.getfixturevalue(f"{request.param}_stack")


class Client:
    def __init__(self, stack: MediaStack) -> None:
        self.stack = stack
        account = register_and_login(stack.url)
        self.user_id = account["user"]["id"]
        self.headers = {"Authorization": f"Bearer {account['access']}"}

    def upload(self, data: bytes, *, name: str, purpose: str, **fields: str) -> requests.Response:
        return requests.post(
            f"{self.stack.api}/files/",
            headers=self.headers,
            files={"file": (name, data, "application/octet-stream")},
            data={"purpose": purpose, **fields},
            timeout=60,
        )

    def start(
        self, data: bytes, *, name: str, purpose: str, content_type: str, **extra: Any
    ) -> requests.Response:
        return requests.post(
            f"{self.stack.api}/uploads/",
            headers=self.headers,
            json={
                "purpose": purpose,
                "filename": name,
                "content_type": content_type,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                **extra,
            },
            timeout=30,
        )

    def complete(self, upload_id: str) -> requests.Response:
        return requests.post(
            f"{self.stack.api}/uploads/{upload_id}/complete", headers=self.headers, timeout=120
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(
            f"{self.stack.api}{path}", headers=self.headers, params=params, timeout=30
        )


def put(upload: dict[str, Any], data: bytes, **headers: str) -> requests.Response:
    return requests.request(
        upload["method"],
        upload["url"],
        data=data,
        headers={**upload["headers"], **headers},
        timeout=120,
    )


def image(fmt: str = "JPEG", *, size: tuple[int, int] = (800, 600), seed: int = 0) -> bytes:
    pixels = hashlib.shake_256(f"{seed}-{size}".encode()).digest(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, fmt)
    return buffer.getvalue()


def pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(buffer, "PDF")
    return buffer.getvalue()


# -- the tests --------------------------------------------------------------------------------


def test_media_is_ready_with_its_storage(media: MediaStack) -> None:
    response = requests.get(f"{media.api}/readyz", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["object_storage"]["status"] == "ok"


def test_an_image_uploaded_through_the_gateway_is_served_by_its_plain_url(
    media: MediaStack,
) -> None:
    client = Client(media)
    response = client.upload(image(seed=1), name="avatar.jpg", purpose="avatar")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "ready" and body["owner_id"] == client.user_id
    if media.storage == "local":
        assert body["url"].startswith(f"{media.url}/media/public/")
    original = requests.get(body["url"], timeout=30)
    assert original.status_code == 200
    assert original.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(original.content)).size == (800, 600)
    thumbnail = requests.get(body["variants"]["thumbnail"]["url"], timeout=30)
    assert thumbnail.status_code == 200
    assert Image.open(io.BytesIO(thumbnail.content)).size == (320, 240)
    if media.storage == "local":
        assert original.headers["X-Content-Type-Options"] == "nosniff"


def test_a_presigned_upload_end_to_end(media: MediaStack) -> None:
    client = Client(media)
    data = image(size=(1200, 900), seed=2)
    started = client.start(data, name="big.jpg", purpose="post_image", content_type="image/jpeg")
    assert started.status_code == 201, started.text
    upload = started.json()["upload"]
    if media.storage == "s3":
        assert not upload["url"].startswith(media.url)  # straight to S3, not through nginx
    else:
        assert upload["url"].startswith(f"{media.url}/api/media/objects/incoming/")
    sent = put(upload, data)
    assert sent.status_code == 200, sent.text
    completed = client.complete(started.json()["id"])
    assert completed.status_code == 201, completed.text
    file = completed.json()
    assert (file["status"], file["width"], file["height"]) == ("ready", 1200, 900)
    assert file["sha256"] == hashlib.sha256(data).hexdigest()
    listed = client.get("/files/").json()["results"]
    assert [f["id"] for f in listed] == [file["id"]]
    assert requests.get(file["variants"]["medium"]["url"], timeout=30).status_code == 200


def test_an_expired_upload_url_is_refused(media: MediaStack) -> None:
    client = Client(media)
    data = image(seed=3)
    started = client.start(
        data, name="late.jpg", purpose="post_image", content_type="image/jpeg", expires_in=1
    ).json()
    time.sleep(2.5)
    late = put(started["upload"], data)
    assert late.status_code == 403
    assert "expired" in late.text.lower()
    missing = client.complete(started["id"])
    assert missing.status_code == 400 and missing.json()["code"] == "upload_missing"


def test_an_upload_that_does_not_match_the_announcement_is_refused(media: MediaStack) -> None:
    client = Client(media)
    announced = image(seed=4)
    # More bytes than announced: refused by the upload URL itself (the length is signed).
    started = client.start(
        announced, name="a.jpg", purpose="post_image", content_type="image/jpeg"
    ).json()
    assert put(started["upload"], announced + b"more").status_code == 403
    # As many bytes, other content: refused on complete, and deleted.
    other = bytearray(announced)
    other[-100] ^= 0xFF
    assert put(started["upload"], bytes(other)).status_code == 200
    refused = client.complete(started["id"])
    assert refused.status_code == 400
    assert refused.json()["code"] == "checksum_mismatch"
    assert "sha256" in refused.json()["fields"]
    # Content of another type than announced.
    png = image("PNG", size=(40, 30), seed=5)
    started = client.start(png, name="b.jpg", purpose="post_image", content_type="image/jpeg")
    assert put(started.json()["upload"], png).status_code == 200
    wrong_type = client.complete(started.json()["id"])
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "type_mismatch"
    assert client.get("/files/").json()["results"] == []


def test_a_renamed_program_is_refused_with_a_clear_error(media: MediaStack) -> None:
    client = Client(media)
    program = b"MZ\x90\x00" + b"\x00" * 56 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
    response = client.upload(program + b"\x00" * 512, name="cute-cat.jpg", purpose="avatar")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "executable_not_allowed"
    assert body["fields"]["file"][0]["code"] == "executable_not_allowed"
    assert body["request_id"]


def test_a_private_file_is_read_only_through_a_short_lived_signed_url(media: MediaStack) -> None:
    owner, stranger = Client(media), Client(media)
    data = pdf()
    file = owner.upload(data, name="plan.pdf", purpose="task_attachment").json()
    assert file["visibility"] == "private" and file["url"] is None
    assert stranger.get(f"/files/{file['id']}/url").status_code == 404
    assert stranger.get(f"/files/{file['id']}/").status_code == 404
    assert requests.get(f"{media.api}/files/{file['id']}/url", timeout=30).status_code == 401

    signed = owner.get(f"/files/{file['id']}/url", expires_in=2)
    assert signed.status_code == 200, signed.text
    url = signed.json()["url"]
    fetched = requests.get(url, timeout=30)
    assert fetched.status_code == 200 and fetched.content == data
    assert fetched.headers["Content-Disposition"].startswith("attachment")
    time.sleep(3.5)
    assert requests.get(url, timeout=30).status_code == 403


def two_second_clip() -> bytes:
    """A small H.264 MP4 made by ffmpeg's test source."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                "-i", "testsrc=size=160x90:rate=15", "-t", "2",
                "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path),
            ],
            check=True,
            timeout=60,
        )  # fmt: skip
        return path.read_bytes()


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed")
def test_a_video_goes_direct_and_is_processed_then_converted_by_the_worker(
    media: MediaStack,
) -> None:
    client = Client(media)
    data = two_second_clip()
    started = client.start(data, name="lesson.mp4", purpose="post_video", content_type="video/mp4")
    assert started.status_code == 201, started.text
    assert put(started.json()["upload"], data).status_code == 200
    completed = client.complete(started.json()["id"])
    assert completed.status_code == 201, completed.text
    assert completed.json()["status"] == "processing"
    file_id = completed.json()["id"]

    def ready() -> dict[str, Any] | None:
        body = client.get(f"/files/{file_id}/").json()
        assert body["status"] != "failed", body["failure"]
        return body if body["status"] == "ready" else None

    body = wait_for(ready, timeout=90, interval=1, what="the video to be processed")
    assert (body["width"], body["height"]) == (160, 90)
    assert abs(body["duration"] - 2.0) < 0.2 and body["video_codec"] == "h264"
    poster = requests.get(body["variants"]["poster"]["url"], timeout=30)
    assert poster.status_code == 200 and poster.headers["Content-Type"] == "image/jpeg"
    assert body["conversion"]["status"] in ("queued", "converting", "ready")

    # Then the worker converts it to MP4 (a 90-pixel source: one rendition, not upscaled).
    def converted() -> dict[str, Any] | None:
        body = client.get(f"/files/{file_id}/").json()
        assert body["conversion"]["status"] != "failed", body["conversion"]["error"]
        assert 0 <= body["conversion"]["progress"] <= 100
        return body if body["conversion"]["status"] == "ready" else None

    body = wait_for(converted, timeout=180, interval=1, what="the video to be converted")
    assert body["conversion"] == {"status": "ready", "progress": 100, "error": None}
    rendition = body["variants"]["360p"]
    assert (rendition["width"], rendition["height"]) == (160, 90)
    assert rendition["content_type"] == "video/mp4"
    video = requests.get(rendition["url"], timeout=30)
    assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp" and video.content.index(b"moov") < video.content.index(
        b"mdat"
    )  # faststart
    # The uploaded original is gone; `url` is the rendition now.
    assert body["url"] == rendition["url"] and body["content_type"] == "video/mp4"


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed")
def test_a_lesson_video_post_shows_the_video_once_converted(s3_stack: MediaStack) -> None:
    """The mentor's journey on the real stack (Kafka between the services): upload, post it,
    the worker converts it, the post shows the renditions, the mentor is told."""
    client = Client(s3_stack)
    social = f"{s3_stack.url}/api/social"
    uploaded = client.upload(two_second_clip(), name="lesson.mp4", purpose="post_video")
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]

    def personal_page() -> str | None:
        me = requests.get(f"{social}/me/", headers=client.headers, timeout=30)
        return me.json()["personal_page"]["handle"] if me.status_code == 200 else None

    handle = wait_for(personal_page, timeout=60, interval=0.5, what="the personal page")

    def post() -> dict[str, Any] | None:
        response = requests.post(
            f"{social}/pages/{handle}/posts/",
            headers=client.headers,
            json={"text": "Lesson 1", "media_ids": [file_id]},
            timeout=30,
        )
        return response.json() if response.status_code == 201 else None

    created = wait_for(post, timeout=90, interval=1, what="social to accept the video")

    def shown() -> dict[str, Any] | None:
        body = requests.get(f"{social}/posts/{created['id']}/", headers=client.headers, timeout=30)
        video = body.json()["videos"].get(file_id) or {}
        assert video.get("conversion") != "failed", video
        return video if video.get("conversion") == "ready" else None

    video = wait_for(shown, timeout=180, interval=1, what="the post to show the converted video")
    assert set(video["renditions"]) == {"360p"} and video["poster"]["url"]
    assert requests.get(video["renditions"]["360p"]["url"], timeout=30).status_code == 200

    def told() -> list[dict[str, Any]] | None:
        rows = requests.get(
            f"{s3_stack.url}/api/notifications/", headers=client.headers, timeout=30
        ).json()["results"]
        found = [n for n in rows if n["type"] == "video_ready"]
        return found or None

    [notice] = wait_for(told, timeout=60, interval=1, what="the 'video ready' notification")
    assert notice["text"] == "Your video “lesson.mp4” is ready"
