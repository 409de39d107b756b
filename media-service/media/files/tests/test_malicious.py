"""The malicious-upload suite: each file is refused with a clear 4xx (or cleaned, for metadata),
through both upload routes and on both storages, and nothing of a refused upload remains: no
object in storage, no row, no temporary file."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image

from media.files.models import MediaFile, UploadSession
from media.files.tests import samples
from media.files.tests.conftest import send

pytestmark = pytest.mark.django_db

ANNOUNCED = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _cut_jpeg() -> bytes:
    return samples.truncated(samples.jpeg(size=(400, 300), noise=True))


def _cut_png() -> bytes:
    return samples.truncated(samples.png(size=(200, 200), noise=True))


def _docx_bomb() -> bytes:
    return samples.docx_bomb(8 * 1024 * 1024)  # 8 MB of zeros; the limit is set to 4 MB


TASK = "task_attachment"
EXECUTABLE = "executable_not_allowed"

CASES: list[tuple[str, str, Callable[[], bytes], str, str]] = [
    # (case, file name, content, purpose, expected code)
    ("wrong extension", "photo.png", samples.jpeg, "avatar", "extension_mismatch"),
    ("renamed Windows exe", "photo.jpg", samples.windows_exe, "avatar", EXECUTABLE),
    ("renamed ELF binary", "report.pdf", samples.elf_binary, TASK, EXECUTABLE),
    ("script named .txt", "notes.txt", samples.shell_script, TASK, EXECUTABLE),
    ("JPEG + ZIP polyglot", "cat.jpg", samples.jpeg_zip_polyglot, "post_image", "polyglot"),
    ("JPEG with a script", "cat.jpg", samples.jpeg_with_script_comment, "avatar", "polyglot"),
    ("PNG + HTML polyglot", "cat.png", samples.png_html_polyglot, "avatar", "polyglot"),
    ("SVG with a script", "logo.svg", samples.svg_with_script, "avatar", "svg_not_allowed"),
    ("SVG renamed .png", "logo.png", samples.svg_with_script, "avatar", "svg_not_allowed"),
    ("HTML named .txt", "page.txt", samples.html_page, TASK, "active_content"),
    ("pixel flood", "flood.png", samples.pixel_flood_png, "post_image", "decompression_bomb"),
    ("truncated JPEG", "cut.jpg", _cut_jpeg, "avatar", "corrupt_file"),
    ("truncated PNG", "cut.png", _cut_png, "avatar", "corrupt_file"),
    ("PDF with JavaScript", "form.pdf", samples.pdf_with_javascript, TASK, "active_content"),
    ("DOCX with macros", "macro.docx", samples.docx_with_macros, TASK, "active_content"),
    ("DOCX zip bomb", "bomb.docx", _docx_bomb, TASK, "decompression_bomb"),
]  # fmt: skip


def _assert_nothing_remains(storage: Any, temp_dir: Path) -> None:
    assert storage.list_keys() == []
    assert not MediaFile.objects.exists()
    assert list(temp_dir.iterdir()) == []


@pytest.fixture(autouse=True)
def small_archive_limit(settings: Any) -> None:
    settings.MEDIA_MAX_ARCHIVE_BYTES = 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "make", "purpose", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_refused_through_the_api_and_nothing_remains(
    media_api: Any,
    media_storage: Any,
    temp_dir: Path,
    published_events: Any,
    name: str,
    make: Callable[[], bytes],
    purpose: str,
    code: str,
) -> None:
    response = media_api().upload(make(), name=name, purpose=purpose)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code
    assert body["fields"]["file"][0]["code"] == code
    assert body["message"].startswith("file: ") and len(body["message"]) > 20
    _assert_nothing_remains(media_storage, temp_dir)
    assert published_events("media.") == []


@pytest.mark.parametrize(
    ("name", "make", "purpose", "code"),
    [
        pytest.param(*case[1:], id=case[0])
        for case in CASES
        if case[1].rsplit(".", 1)[-1] in ANNOUNCED
    ],
)
def test_refused_after_a_direct_upload_and_the_upload_is_deleted(
    media_api: Any,
    media_storage: Any,
    temp_dir: Path,
    name: str,
    make: Callable[[], bytes],
    purpose: str,
    code: str,
) -> None:
    api = media_api()
    data = make()
    started = api.start(
        data, name=name, purpose=purpose, content_type=ANNOUNCED[name.rsplit(".", 1)[-1]]
    )
    assert started.status_code == 201, started.json()
    upload = started.json()
    assert send(api.client, upload["upload"], data).status_code == 200
    assert len(media_storage.list_keys()) == 1  # arrived, under incoming/
    response = api.complete(upload["id"])
    assert response.status_code == 400, response.json()
    # Announced as what its name says, so a renamed file is first a type mismatch.
    expected = "type_mismatch" if code == "extension_mismatch" else code
    assert response.json()["code"] == expected
    _assert_nothing_remains(media_storage, temp_dir)
    assert UploadSession.objects.get(id=upload["id"]).status == "rejected"
    again = api.complete(upload["id"])
    assert again.status_code == 409 and again.json()["code"] == "upload_rejected"


def test_oversize_is_refused_before_anything_is_uploaded(
    media_api: Any, media_storage: Any, temp_dir: Path
) -> None:
    api = media_api()
    multipart = api.upload(
        b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 1), name="a.jpg", purpose="post_image"
    )
    assert multipart.status_code == 413 and "10 MB" in multipart.json()["message"]
    announced = api.client.post(
        "/api/media/uploads/",
        {
            "purpose": "post_video",
            "filename": "film.mp4",
            "content_type": "video/mp4",
            "size": 201 * 1024 * 1024,
            "sha256": "a" * 64,
        },
        format="json",
    )
    assert announced.status_code == 413
    body = announced.json()
    assert body["code"] == "file_too_large" and "200 MB" in body["message"]
    assert body["fields"]["size"][0]["code"] == "file_too_large"
    _assert_nothing_remains(media_storage, temp_dir)
    assert not UploadSession.objects.exists()


def test_gps_and_camera_metadata_are_removed_and_orientation_applied(
    media_api: Any, media_storage: Any
) -> None:
    original = Image.open(io.BytesIO(samples.jpeg_with_gps()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload does carry GPS
    response = media_api().upload(samples.jpeg_with_gps(), name="trip.jpg", purpose="post_image")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["width"], body["height"]) == (40, 80)  # orientation 6: rotated upright
    file = MediaFile.objects.get(id=body["id"])
    for key in file.storage_keys():
        buffer = io.BytesIO()
        media_storage.download(key, buffer, max_bytes=10**7)
        raw = buffer.getvalue()
        image = Image.open(io.BytesIO(raw))
        assert image.size[0] < image.size[1]
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "comment" not in image.info
        assert b"SpyCam" not in raw and b"secret comment" not in raw and b"Exif" not in raw
