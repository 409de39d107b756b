"""The storage contract, the same for S3 and for local folders, and the readiness check."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from media.files.models import UploadSession
from media.files.storage import LocalMediaStorage, TooMuchData, get_storage, reset_storage
from media.files.tests.conftest import request_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_file(tmp_path: Path) -> Path:
    path = tmp_path / "source.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # several chunks, not a round number
    return path


def save(storage: Any, key: str, path: Path) -> None:
    storage.save(
        key, path, content_type="application/pdf", cache_control="private", disposition="inline"
    )


def test_save_size_download_list_and_delete(media_storage: Any, local_file: Path) -> None:
    key = media_storage.key("private", "owner", "file", "original.pdf")
    assert key.startswith(media_storage.prefix)
    assert media_storage.size(key) is None
    save(media_storage, key, local_file)
    assert media_storage.size(key) == local_file.stat().st_size
    buffer = io.BytesIO()
    assert media_storage.download(key, buffer, max_bytes=10**8) == local_file.stat().st_size
    assert buffer.getvalue() == local_file.read_bytes()
    with pytest.raises(TooMuchData):
        media_storage.download(key, io.BytesIO(), max_bytes=1024)
    assert media_storage.list_keys() == [key]
    assert media_storage.list_keys("private/owner/") == [key]
    assert media_storage.list_keys("public/") == []
    media_storage.delete_many([key, key + ".missing"])
    assert media_storage.list_keys() == [] and media_storage.size(key) is None
    media_storage.delete_many([key])  # deleting again is no error


def test_move_keeps_the_bytes(media_storage: Any, local_file: Path) -> None:
    source = media_storage.key("incoming", "owner", "upload")
    target = media_storage.key("public", "owner", "file", "original.mp4")
    save(media_storage, source, local_file)
    media_storage.move(
        source, target, content_type="video/mp4", cache_control="public", disposition="inline"
    )
    assert media_storage.list_keys() == [target]
    assert media_storage.size(target) == local_file.stat().st_size


def test_signed_upload_and_download(media_storage: Any, client: Any, local_file: Path) -> None:
    data = local_file.read_bytes()
    # Local upload URLs accept data only for a pending upload (S3 knows no uploads).
    upload_id, owner_id = uuid.uuid4(), uuid.uuid4()
    key = media_storage.key("incoming", str(owner_id), str(upload_id))
    UploadSession.objects.create(
        id=upload_id,
        owner_id=owner_id,
        purpose="task_attachment",
        visibility="private",
        filename="a.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256="0" * 64,
        storage_key=key,
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    signed = media_storage.signed_upload(
        key, expires_in=60, content_type="application/pdf", size=len(data)
    )
    put = request_url(
        client, signed.method, _absolute(signed.url), data=data, headers=dict(signed.headers)
    )
    assert put.status_code == 200, put.body
    assert media_storage.size(key) == len(data)
    url = media_storage.signed_download_url(
        key,
        expires_in=60,
        content_type="application/pdf",
        disposition='attachment; filename="a.pdf"',
    )
    got = request_url(client, "GET", _absolute(url))
    assert got.status_code == 200 and got.body == data
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"] == 'attachment; filename="a.pdf"'


def _absolute(url: str) -> str:
    return f"http://testserver{url}" if url.startswith("/") else url


def test_keys_stay_inside_their_areas(media_storage: Any) -> None:
    with pytest.raises(ValueError):
        media_storage.key("elsewhere", "x")
    with pytest.raises(ValueError):
        media_storage.area_of("../etc/passwd")


def test_local_paths_cannot_escape(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_STORAGE = "local"
    settings.MEDIA_ROOT = str(tmp_path / "public")
    settings.MEDIA_PRIVATE_ROOT = str(tmp_path / "private")
    storage = get_storage()
    assert isinstance(storage, LocalMediaStorage)
    for key in ("public/../private/x", "private/a//b", "public/./x", "private/a\\..\\b"):
        with pytest.raises(ValueError):
            storage.path(key)
    # Public files are readable by nginx; the private folder by this service only.
    assert oct((tmp_path / "private").stat().st_mode & 0o777) == "0o700"


def test_readiness_checks_the_storage(media_storage: Any, client: Any, settings: Any) -> None:
    ready = client.get("/api/media/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"]["object_storage"]["status"] == "ok"
    if media_storage.backend == "s3":
        settings.S3_BUCKET = "no-such-bucket-for-cotask"
    else:
        settings.MEDIA_PRIVATE_ROOT = str(Path(settings.MEDIA_PRIVATE_ROOT) / "missing" / "x")
        reset_storage()
        storage = get_storage()
        Path(storage.private_root).rmdir()  # created by get_storage(); remove it again
    broken = client.get("/api/media/readyz")
    assert broken.status_code == 503
    assert broken.json()["checks"]["object_storage"]["status"] == "failing"


def test_setup_is_idempotent(media_storage: Any, capsys: Any) -> None:
    call_command("setup_media_storage")
    call_command("setup_media_storage")
    output = capsys.readouterr().out
    assert output.strip().splitlines()[-1] == f"{media_storage.backend}: nothing to do"
