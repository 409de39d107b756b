"""Direct uploads store the bytes they checked. The upload URL stays valid until it expires, so
a client (or whoever holds the URL) can PUT other bytes of the same size after `complete` has
checked its copy: those bytes must never become the stored file. Runs on local storage and on
the real S3 server."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest

from media.files import services
from media.files.models import MediaFile, UploadSession
from media.files.tests import samples
from media.files.tests.conftest import send

pytestmark = pytest.mark.django_db


def _stored_bytes(storage: Any, key: str) -> bytes:
    buffer = io.BytesIO()
    storage.download(key, buffer, max_bytes=10**8)
    return buffer.getvalue()


def _evil(size: int) -> bytes:
    return b"<html><script>alert(document.cookie)</script></html>".ljust(size, b" ")


@pytest.mark.parametrize(
    ("name", "purpose", "content_type", "sample"),
    [
        ("plan.pdf", "task_attachment", "application/pdf", lambda: samples.pdf(pages=2)),
        (
            "notes.docx",
            "task_attachment",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            lambda: samples.docx(text="checked"),
        ),
    ],
)
def test_an_overwrite_between_the_check_and_the_store_cannot_change_the_stored_bytes(
    media_api: Any,
    media_storage: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    purpose: str,
    content_type: str,
    sample: Any,
) -> None:
    api = media_api()
    data = sample()
    evil = _evil(len(data))
    started = api.start(data, name=name, purpose=purpose, content_type=content_type).json()
    upload = started["upload"]
    assert send(api.client, upload, data).status_code == 200

    overwrites: list[int] = []
    real_inspect = services.inspect_file

    def inspect_then_overwrite(*args: Any, **kwargs: Any) -> Any:
        # The check has read its copy; now the still-valid URL is used again, same size.
        inspection = real_inspect(*args, **kwargs)
        overwrites.append(send(api.client, upload, evil).status_code)
        return inspection

    monkeypatch.setattr(services, "inspect_file", inspect_then_overwrite)
    completed = api.complete(started["id"])
    assert completed.status_code == 201, completed.json()
    file = MediaFile.objects.get(id=completed.json()["id"])

    stored = _stored_bytes(media_storage, file.storage_key)
    assert hashlib.sha256(stored).hexdigest() == file.sha256 == hashlib.sha256(data).hexdigest()
    assert stored == data
    if media_storage.backend == "local":
        # Local storage refuses the PUT outright: the upload is being completed.
        assert overwrites == [409]
    else:
        assert overwrites == [200]  # S3 accepts it until the URL expires, but it counts for nothing
    assert UploadSession.objects.get(id=started["id"]).status == "completed"


def test_a_put_after_complete_is_refused_locally_and_removed_on_s3(
    media_api: Any, media_storage: Any, committed: Any
) -> None:
    api = media_api()
    data = samples.pdf()
    started = api.start(
        data, name="a.pdf", purpose="task_attachment", content_type="application/pdf"
    ).json()
    upload = started["upload"]
    send(api.client, upload, data)
    file = MediaFile.objects.get(id=api.complete(started["id"]).json()["id"])
    incoming = UploadSession.objects.get(id=started["id"]).storage_key
    assert media_storage.list_keys() == [file.storage_key]

    late = send(api.client, upload, _evil(len(data)))
    if media_storage.backend == "local":
        assert late.status_code == 409 and late.json()["code"] == "upload_closed"
        assert media_storage.size(incoming) is None
        in_russian = send(api.client, upload, data, **{"Accept-Language": "ru"})
        assert "больше не принимает" in in_russian.json()["message"]
    else:
        assert late.status_code == 200
    # Whatever a late PUT left is deleted once the URL has expired; the file is untouched.
    session = UploadSession.objects.get(id=started["id"])
    committed(lambda: services.purge_deletions(now=session.expires_at + timedelta(minutes=2)))
    assert media_storage.list_keys() == [file.storage_key]
    assert _stored_bytes(media_storage, file.storage_key) == data


def test_a_rejected_upload_accepts_no_more_data(media_api: Any, media_storage: Any) -> None:
    api = media_api()
    data = samples.pdf()
    started = api.start(
        data, name="a.pdf", purpose="task_attachment", content_type="application/pdf"
    ).json()
    upload = started["upload"]
    send(api.client, upload, _evil(len(data)))
    assert api.complete(started["id"]).json()["code"] == "checksum_mismatch"
    again = send(api.client, upload, data)
    if media_storage.backend == "local":
        assert again.status_code == 409 and again.json()["code"] == "upload_closed"
    session = UploadSession.objects.get(id=started["id"])
    services.purge_deletions(now=session.expires_at + timedelta(minutes=2))
    assert media_storage.list_keys() == []


def test_the_catalogues_are_complete_and_compiled() -> None:
    from pathlib import Path

    from cotask_common.testing.translations import catalogue_problems

    assert catalogue_problems(Path(__file__).resolve().parents[2] / "locale") == []
