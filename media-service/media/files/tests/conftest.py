"""Fixtures of the media suite. `media_storage` runs a test once per storage: local folders, and
the real S3 server (SeaweedFS from `scripts/infra`) when S3_ENDPOINT_URL is set. Each S3 test
gets its own key prefix and leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from media.files import services
from media.files.storage import MediaStorage, get_storage, reset_storage

S3_CONFIGURED = bool(os.environ.get("S3_ENDPOINT_URL"))
needs_s3 = pytest.mark.skipif(
    not S3_CONFIGURED, reason='S3_ENDPOINT_URL is not set (run `eval "$(scripts/infra env)"`)'
)

STORAGES = ["local", pytest.param("s3", marks=needs_s3)]


@pytest.fixture
def temp_dir(tmp_path: Path, settings: Any) -> Path:
    """Where uploads and processing put temporary files: must be empty after each request."""
    path = tmp_path / "temp"
    path.mkdir()
    settings.MEDIA_TEMP_DIR = str(path)
    settings.FILE_UPLOAD_TEMP_DIR = str(path)
    return path


@pytest.fixture(params=STORAGES)
def media_storage(
    request: pytest.FixtureRequest, settings: Any, tmp_path: Path, temp_dir: Path
) -> Iterator[MediaStorage]:
    settings.MEDIA_STORAGE = request.param
    settings.MEDIA_ROOT = str(tmp_path / "public")
    settings.MEDIA_PRIVATE_ROOT = str(tmp_path / "private")
    settings.MEDIA_PUBLIC_BASE_URL = ""
    settings.MEDIA_STORAGE_PREFIX = f"test-{uuid.uuid4().hex}/" if request.param == "s3" else ""
    reset_storage()
    storage = get_storage()
    yield storage
    if request.param == "s3":
        storage.delete_many(storage.list_keys())
        _drop_public_policy(storage)
    reset_storage()


def _drop_public_policy(storage: Any) -> None:
    """Undo what `setup()` added to the bucket policy for this test's prefix, if anything."""
    from botocore.exceptions import ClientError

    from media.files.storage import PUBLIC_POLICY_SID

    try:
        policy = json.loads(storage.client.get_bucket_policy(Bucket=storage.bucket_name)["Policy"])
    except ClientError:
        return
    mine = f"arn:aws:s3:::{storage.bucket_name}/{storage.prefix}public/*"
    changed = False
    for statement in policy.get("Statement", []):
        if statement.get("Sid") != PUBLIC_POLICY_SID:
            continue
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if mine in resources:
            statement["Resource"] = [r for r in resources if r != mine]
            changed = True
    if not changed:
        return
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Resource") != []]
    if policy["Statement"]:
        storage.client.put_bucket_policy(Bucket=storage.bucket_name, Policy=json.dumps(policy))
    else:
        storage.client.delete_bucket_policy(Bucket=storage.bucket_name)


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Tasks queued after a commit run at once, in the test."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """`committed(lambda: client.post(...))`: run it, then its on-commit work (storage purges,
    queued tasks), as happens after a real commit."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


class MediaApi:
    """The API as a client uses it, for one user."""

    def __init__(self, client: Any, committed: Callable[[Callable[[], Any]], Any]) -> None:
        self.client = client
        self.committed = committed
        self.user = getattr(client, "user", None)

    def upload(
        self, data: bytes, *, name: str, purpose: str, visibility: str | None = None, **extra: Any
    ) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        payload: dict[str, Any] = {
            "file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
            "purpose": purpose,
            **extra,
        }
        if visibility:
            payload["visibility"] = visibility
        return self.committed(
            lambda: self.client.post("/api/media/files/", payload, format="multipart")
        )

    def start(
        self, data: bytes, *, name: str, purpose: str, content_type: str, **extra: Any
    ) -> Any:
        body = {
            "purpose": purpose,
            "filename": name,
            "content_type": content_type,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            **extra,
        }
        return self.client.post("/api/media/uploads/", body, format="json")

    def complete(self, upload_id: str) -> Any:
        return self.committed(lambda: self.client.post(f"/api/media/uploads/{upload_id}/complete"))

    def direct(
        self, data: bytes, *, name: str, purpose: str, content_type: str, **extra: Any
    ) -> Any:
        started = self.start(data, name=name, purpose=purpose, content_type=content_type, **extra)
        assert started.status_code == 201, started.json()
        body = started.json()
        put = send(self.client, body["upload"], data)
        assert put.status_code == 200, put.content
        return self.complete(body["id"])

    def url(self, file_id: str, **query: Any) -> Any:
        return self.client.get(f"/api/media/files/{file_id}/url", query)

    def delete(self, file_id: str) -> Any:
        return self.committed(lambda: self.client.delete(f"/api/media/files/{file_id}/"))


def send(client: Any, upload: dict[str, Any], data: bytes, **headers: str) -> Any:
    """PUT to a signed upload URL: S3 over HTTP, the local storage through the test client."""
    all_headers = {**upload["headers"], **headers}
    return request_url(client, upload["method"], upload["url"], data=data, headers=all_headers)


def request_url(
    client: Any, method: str, url: str, *, data: bytes = b"", headers: dict[str, str] | None = None
) -> Any:
    headers = headers or {}
    parts = urlsplit(url)
    if parts.hostname == "testserver":
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        content_type = headers.pop("Content-Type", "")
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if "HTTP_CONTENT_LENGTH" in extra:
            extra["CONTENT_LENGTH"] = extra.pop("HTTP_CONTENT_LENGTH")
        response = client.generic(method, path, data, content_type=content_type, **extra)
        response.body = (
            b"".join(response.streaming_content) if response.streaming else (response.content)
        )
        return response
    response = requests.request(method, url, data=data, headers=headers, timeout=30)
    response.status_code  # noqa: B018 - same attribute as the test client's response
    response.body = response.content
    return response


@pytest.fixture
def media_api(client_for: Any, committed: Any) -> Callable[..., MediaApi]:
    def factory(user: Any = None, **options: Any) -> MediaApi:
        return MediaApi(client_for(user, **options), committed)

    return factory


@pytest.fixture
def stored_video(media_api: Any, tmp_path: Path) -> Callable[..., services.UploadResult]:
    """Store `data` as a post video straight through the service (of a new user unless
    `owner_id` is given); its processing runs only if commit callbacks do."""

    def store(data: bytes, *, owner_id: uuid.UUID | None = None) -> services.UploadResult:
        source = tmp_path / "clip.mp4"
        source.write_bytes(data)
        return services.upload_file(
            owner_id=owner_id or media_api().user.id,
            purpose="post_video",
            visibility=None,
            path=source,
            filename="c.mp4",
        )

    return store


def stored_everything(storage: MediaStorage) -> list[str]:
    return storage.list_keys()
