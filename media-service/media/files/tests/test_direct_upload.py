"""Direct uploads: announce, PUT to the signed URL (S3 presigned, or media-service's own in local
mode), complete; what arrived is checked against what was announced."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from media.files import services
from media.files.models import MediaFile, UploadSession
from media.files.tests import samples
from media.files.tests.conftest import request_url, send

pytestmark = pytest.mark.django_db

UPLOADS = "/api/media/uploads/"


def test_an_image_goes_direct_and_is_checked_on_complete(
    media_api: Any, media_storage: Any, published_events: Any, temp_dir: Path
) -> None:
    api = media_api()
    data = samples.jpeg(size=(900, 600), noise=True)
    started = api.start(data, name="big.jpg", purpose="post_image", content_type="image/jpeg")
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "pending" and body["file"] is None and body["deduplicated"] is False
    upload = body["upload"]
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "image/jpeg"}
    if media_storage.backend == "s3":
        assert upload["url"].startswith(settings.S3_ENDPOINT_URL)
    else:
        assert urlsplit(upload["url"]).path.startswith("/api/media/objects/incoming/")
    assert not MediaFile.objects.exists()

    assert send(api.client, upload, data).status_code == 200
    completed = api.complete(body["id"])
    assert completed.status_code == 201, completed.json()
    file = completed.json()
    assert (file["status"], file["width"], file["height"]) == ("ready", 900, 600)
    assert file["sha256"] == hashlib.sha256(data).hexdigest() and file["size"] == len(data)
    stored = MediaFile.objects.get(id=file["id"])
    # The incoming object is gone; only the re-encoded original and its variants remain.
    assert media_storage.list_keys() == sorted(stored.storage_keys())
    assert [e.type for e in published_events("media.file.")] == [
        "media.file.uploaded",
        "media.file.ready",
    ]
    assert UploadSession.objects.get(id=body["id"]).status == "completed"
    # Completing again answers with the same file.
    again = api.complete(body["id"])
    assert again.status_code == 200 and again.json()["id"] == file["id"]
    assert list(temp_dir.iterdir()) == []


def test_a_document_is_stored_from_the_checked_copy(media_api: Any, media_storage: Any) -> None:
    api = media_api()
    data = samples.pdf(pages=3)
    response = api.direct(
        data, name="plan.pdf", purpose="task_attachment", content_type="application/pdf"
    )
    assert response.status_code == 201, response.json()
    file = MediaFile.objects.get(id=response.json()["id"])
    assert media_storage.list_keys() == [file.storage_key]
    assert file.storage_key.startswith(f"{media_storage.prefix}private/")
    assert media_storage.size(file.storage_key) == len(data)


def test_a_put_that_differs_from_the_announcement_is_refused_at_the_url(
    media_api: Any, media_storage: Any
) -> None:
    api = media_api()
    data = samples.png()
    body = api.start(data, name="a.png", purpose="avatar", content_type="image/png").json()
    bigger = send(api.client, body["upload"], data + b"extra")
    assert bigger.status_code == 403  # the length is part of the signature (S3 and local)
    other_type = request_url(
        api.client, "PUT", body["upload"]["url"], data=data, headers={"Content-Type": "text/html"}
    )
    assert other_type.status_code == 403
    missing = api.complete(body["id"])
    assert missing.status_code == 400 and missing.json()["code"] == "upload_missing"
    assert UploadSession.objects.get(id=body["id"]).status == "pending"
    # The right bytes can still be sent, and completed.
    assert send(api.client, body["upload"], data).status_code == 200
    assert api.complete(body["id"]).status_code == 201


def test_bytes_that_do_not_match_the_checksum_are_refused_and_deleted(
    media_api: Any, media_storage: Any, temp_dir: Path
) -> None:
    api = media_api()
    announced = samples.png(color=(1, 2, 3))
    sent = samples.png(color=(3, 2, 1))
    assert len(announced) == len(sent)
    body = api.start(announced, name="a.png", purpose="avatar", content_type="image/png").json()
    assert send(api.client, body["upload"], sent).status_code == 200
    response = api.complete(body["id"])
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "checksum_mismatch" and "sha256" in error["fields"]
    assert hashlib.sha256(sent).hexdigest() in error["message"]
    assert media_storage.list_keys() == [] and list(temp_dir.iterdir()) == []
    assert UploadSession.objects.get(id=body["id"]).status == "rejected"


def test_an_object_of_another_size_is_refused(
    media_api: Any, media_storage: Any, tmp_path: Path
) -> None:
    """A server that ignored the signed length: complete still compares sizes."""
    api = media_api()
    data = samples.png()
    body = api.start(data, name="a.png", purpose="avatar", content_type="image/png").json()
    session = UploadSession.objects.get(id=body["id"])
    other = tmp_path / "other"
    other.write_bytes(data + b"\x00" * 10)
    media_storage.save(
        session.storage_key, other, content_type="image/png", cache_control="", disposition=""
    )
    response = api.complete(body["id"])
    assert response.status_code == 400 and response.json()["code"] == "size_mismatch"
    assert "size" in response.json()["fields"]
    assert media_storage.list_keys() == []


def test_content_of_another_type_than_announced_is_refused(
    media_api: Any, media_storage: Any
) -> None:
    api = media_api()
    data = samples.jpeg()
    body = api.start(data, name="a.png", purpose="avatar", content_type="image/png").json()
    assert send(api.client, body["upload"], data).status_code == 200
    response = api.complete(body["id"])
    assert response.status_code == 400
    assert response.json()["code"] == "type_mismatch"
    assert "content_type" in response.json()["fields"]
    assert media_storage.list_keys() == []


def test_an_expired_upload_url_is_refused(media_api: Any, media_storage: Any) -> None:
    api = media_api()
    data = samples.png()
    body = api.start(
        data, name="a.png", purpose="avatar", content_type="image/png", expires_in=1
    ).json()
    time.sleep(2.2)
    late = send(api.client, body["upload"], data)
    assert late.status_code == 403
    assert b"expired" in late.body.lower()
    assert api.complete(body["id"]).json()["code"] == "upload_missing"
    # Once swept, the upload is over for good.
    services.expire_uploads(now=timezone.now() + timedelta(hours=2))
    gone = api.complete(body["id"])
    assert gone.status_code == 410 and gone.json()["code"] == "upload_expired"


def test_an_abandoned_upload_is_deleted_by_the_sweep(
    media_api: Any, media_storage: Any, committed: Any
) -> None:
    api = media_api()
    data = samples.png()
    body = api.start(data, name="a.png", purpose="avatar", content_type="image/png").json()
    send(api.client, body["upload"], data)
    assert len(media_storage.list_keys()) == 1
    expired = committed(lambda: services.expire_uploads(now=timezone.now() + timedelta(hours=2)))
    assert expired == 1
    assert media_storage.list_keys() == []
    assert UploadSession.objects.get(id=body["id"]).status == "expired"


def test_announcing_content_already_stored_returns_the_file(
    media_api: Any, media_storage: Any
) -> None:
    api = media_api()
    data = samples.png()
    first = api.upload(data, name="a.png", purpose="avatar").json()
    response = api.start(data, name="again.png", purpose="avatar", content_type="image/png")
    assert response.status_code == 200
    body = response.json()
    assert body["deduplicated"] is True and body["upload"] is None and body["id"] is None
    assert body["file"]["id"] == first["id"]


@pytest.mark.parametrize(
    ("field", "value", "code", "status"),
    [
        ("content_type", "image/svg+xml", "unsupported_type", 400),
        ("content_type", "application/pdf", "unsupported_type", 400),
        ("filename", "a.jpg", "extension_mismatch", 400),
        ("size", 6 * 1024 * 1024, "file_too_large", 413),
        ("purpose", "wallpaper", "invalid_choice", 400),
    ],
)
def test_an_announcement_is_checked_before_any_url_is_given(
    media_api: Any, media_storage: Any, field: str, value: Any, code: str, status: int
) -> None:
    api = media_api()
    body = {
        "purpose": "avatar",
        "filename": "a.png",
        "content_type": "image/png",
        "size": 100,
        "sha256": "a" * 64,
        field: value,
    }
    response = api.client.post(UPLOADS, body, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["fields"][field][0]["code"] == code
    assert not UploadSession.objects.exists()


def test_only_the_announcer_completes_an_upload(
    media_api: Any, media_storage: Any, api_client: Any, make_user: Any
) -> None:
    owner = media_api()
    data = samples.png()
    body = owner.start(data, name="a.png", purpose="avatar", content_type="image/png").json()
    send(owner.client, body["upload"], data)
    stranger = media_api().complete(body["id"])
    assert stranger.status_code == 404 and stranger.json()["code"] == "upload_not_found"
    assert api_client.post(f"{UPLOADS}{body['id']}/complete").status_code == 401
    banned = media_api(make_user(is_banned=True))
    assert banned.client.post(UPLOADS, {}, format="json").status_code == 403
    assert owner.complete(body["id"]).status_code == 201


def test_a_forged_local_upload_url_is_refused(
    media_api: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_STORAGE = "local"
    settings.MEDIA_ROOT = str(tmp_path / "public")
    settings.MEDIA_PRIVATE_ROOT = str(tmp_path / "private")
    api = media_api()
    data = samples.png()
    body = api.start(data, name="a.png", purpose="avatar", content_type="image/png").json()
    url = body["upload"]["url"]
    forged = url.replace("/incoming/", "/public/")
    assert send(api.client, {**body["upload"], "url": forged}, data).status_code == 403
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    response = send(api.client, {**body["upload"], "url": tampered}, data)
    assert response.status_code == 403 and b"signature_invalid" in response.body


def test_losing_a_race_to_the_same_content_returns_the_stored_file(
    media_api: Any, media_storage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two uploads of the same bytes completed at once: the unique index decides, the loser
    answers with the winner's file and leaves nothing behind."""
    api = media_api()
    data = samples.pdf()
    uploads = []
    for name in ("a.pdf", "b.pdf"):
        body = api.start(
            data, name=name, purpose="task_attachment", content_type="application/pdf"
        ).json()
        send(api.client, body["upload"], data)
        uploads.append(body["id"])
    winner = api.complete(uploads[0]).json()
    real = services.selectors.find_duplicate
    calls = []

    def blind_once(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)  # as if it ran before the winner

    monkeypatch.setattr(services.selectors, "find_duplicate", blind_once)
    loser = api.complete(uploads[1])
    assert loser.status_code == 200 and loser.json()["id"] == winner["id"]
    session = UploadSession.objects.get(id=uploads[1])
    assert session.status == "completed" and str(session.file_id) == winner["id"]
    assert media_storage.list_keys() == [MediaFile.objects.get().storage_key]
