"""Where file bytes live: S3 (any S3-compatible server) or local folders, behind one interface.

Keys are `<MEDIA_STORAGE_PREFIX><area>/<owner>/<file>/<rendition>.<ext>` with three areas:
`public/` (readable by plain URL), `private/` (only through short-lived signed URLs) and
`incoming/` (direct uploads not yet checked; never served).

- S3: django-storages' `S3Storage` holds the configuration and the boto3 connection; presigned
  URLs are signed for `S3_PUBLIC_ENDPOINT_URL` when clients reach S3 at another address than the
  service does. Anonymous reads of `public/` come from the bucket policy (see `setup`).
- Local: `public/` under MEDIA_ROOT, which nginx serves at /media/; `private/` and `incoming/`
  under MEDIA_PRIVATE_ROOT, which nothing serves. Signed URLs point at media-service itself
  (`/api/media/objects/<key>`, see `apis.LocalObjectView`) and mean what S3's presigned URLs mean.

Every transfer is streamed in chunks: no file is ever held in memory whole.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.urls import reverse

from media.files import signing
from media.files.errors import StorageUnavailable

logger = logging.getLogger("cotask.media.storage")

CHUNK = 1024 * 1024
AREAS = ("public", "private", "incoming")
PUBLIC_POLICY_SID = "CotaskMediaPublicRead"


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class TooMuchData(Exception):
    """A download or upload carried more bytes than allowed."""


class MediaStorage(ABC):
    backend: ClassVar[str]

    def __init__(self) -> None:
        self.prefix = settings.MEDIA_STORAGE_PREFIX

    def key(self, area: str, *parts: str) -> str:
        if area not in AREAS:
            raise ValueError(f"unknown storage area {area!r}")
        return self.prefix + "/".join((area, *parts))

    def area_of(self, key: str) -> str:
        if not key.startswith(self.prefix):
            raise ValueError(f"the key {key!r} is outside this storage's prefix")
        area = key[len(self.prefix) :].split("/", 1)[0]
        if area not in AREAS:
            raise ValueError(f"the key {key!r} is in no storage area")
        return area

    @abstractmethod
    def save(
        self, key: str, path: Path, *, content_type: str, cache_control: str, disposition: str
    ) -> None:
        """Store the local file `path` under `key` (overwriting)."""

    @abstractmethod
    def download(self, key: str, destination: BinaryIO, *, max_bytes: int) -> int:
        """Copy the object into `destination` in chunks; TooMuchData beyond `max_bytes`."""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The object's size, or None when there is no such object."""

    @abstractmethod
    def delete_many(self, keys: Iterable[str]) -> None:
        """Delete the objects; missing ones are not an error."""

    @abstractmethod
    def move(
        self, source: str, target: str, *, content_type: str, cache_control: str, disposition: str
    ) -> None:
        """Move an object without passing its bytes through this process where possible."""

    @abstractmethod
    def list_keys(self, within: str = "") -> list[str]:
        """Every key under `<prefix><within>` (operations and tests)."""

    @abstractmethod
    def public_url(self, key: str) -> str: ...

    @abstractmethod
    def signed_download_url(
        self, key: str, *, expires_in: int, content_type: str, disposition: str
    ) -> str: ...

    @abstractmethod
    def signed_upload(
        self, key: str, *, expires_in: int, content_type: str, size: int
    ) -> SignedRequest: ...

    @abstractmethod
    def check(self) -> None:
        """Raise when the storage cannot be used (readiness)."""

    @abstractmethod
    def setup(self) -> list[str]:
        """Create what the storage needs (idempotent); returns what was done, for the log."""


# -- S3 ---------------------------------------------------------------------------------------


class S3MediaStorage(MediaStorage):
    backend = "s3"

    def __init__(self) -> None:
        super().__init__()
        import botocore.config
        from boto3.s3.transfer import TransferConfig
        from storages.backends.s3 import S3Storage

        class _S3Storage(S3Storage):
            # Per-object headers (type, caching, disposition) travel on the File being saved.
            def _get_write_parameters(self, name: str, content: Any = None) -> dict[str, Any]:
                params = super()._get_write_parameters(name, content)
                params.update(getattr(content, "object_parameters", {}))
                return params

            # django-storages builds a boto3 session per thread: ~14 MiB each, so a gunicorn
            # worker with 4 threads would carry ~55 MiB of copies. One resource per process
            # instead: only its thread-safe client is used, and Object instances are made per
            # call, never shared with loaded state.
            _shared_connection: Any = None
            _shared_lock = threading.Lock()
            _sessions: ClassVar[dict[tuple[Any, ...], Any]] = {}

            def _create_session(self) -> Any:
                # One session (its loaded service models) for the service, signer and probe.
                key = (self.access_key, self.secret_key, self.security_token, self.session_profile)
                if key not in self._sessions:
                    self._sessions[key] = super()._create_session()
                return self._sessions[key]

            @property
            def connection(self) -> Any:
                if self._shared_connection is None:
                    with self._shared_lock:
                        if self._shared_connection is None:
                            self._shared_connection = self._create_session().resource(
                                "s3",
                                region_name=self.region_name,
                                use_ssl=self.use_ssl,
                                endpoint_url=self.endpoint_url,
                                config=self.client_config,
                                verify=self.verify,
                            )
                return self._shared_connection

        endpoint = settings.S3_ENDPOINT_URL or None
        self.public_endpoint = settings.S3_PUBLIC_ENDPOINT_URL or endpoint
        self.bucket_name = settings.S3_BUCKET
        self.region = settings.S3_REGION
        # Path-style for S3-compatible servers (no wildcard DNS needed); AWS picks for itself.
        addressing = "path" if endpoint else "auto"

        def client_config(**timeouts: Any) -> botocore.config.Config:
            return botocore.config.Config(
                s3={"addressing_style": addressing},
                signature_version="s3v4",
                **timeouts,
            )

        common: dict[str, Any] = {
            "access_key": settings.S3_ACCESS_KEY_ID or None,
            "secret_key": settings.S3_SECRET_ACCESS_KEY or None,
            "bucket_name": self.bucket_name,
            "region_name": self.region,
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            # Two 8 MiB parts in flight at most: bounded memory for large objects.
            "transfer_config": TransferConfig(
                multipart_threshold=8 * CHUNK, multipart_chunksize=8 * CHUNK, max_concurrency=2
            ),
        }
        self._storage = _S3Storage(
            endpoint_url=endpoint,
            client_config=client_config(
                connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
            ),
            **common,
        )
        # Signing needs no network; it must use the address clients will send the request to.
        self._signer = (
            _S3Storage(endpoint_url=self.public_endpoint, client_config=client_config(), **common)
            if self.public_endpoint != endpoint
            else self._storage
        )
        self._probe = _S3Storage(
            endpoint_url=endpoint,
            client_config=client_config(
                connect_timeout=2, read_timeout=3, retries={"max_attempts": 1}
            ),
            **common,
        )

    @property
    def client(self) -> Any:
        return self._storage.connection.meta.client

    def _call(self, operation: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return function(*args, **kwargs)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500:
                raise StorageUnavailable(f"S3 {operation}: {exc}") from exc
            raise
        except BotoCoreError as exc:  # connection refused, timeouts, ...
            raise StorageUnavailable(f"S3 {operation}: {exc}") from exc

    def save(
        self, key: str, path: Path, *, content_type: str, cache_control: str, disposition: str
    ) -> None:
        with open(path, "rb") as handle:
            upload = File(handle, name=key)
            upload.content_type = content_type  # type: ignore[attr-defined]
            upload.object_parameters = {  # type: ignore[attr-defined]
                "ContentType": content_type,
                "CacheControl": cache_control,
                "ContentDisposition": disposition,
            }
            self._call("save", self._storage.save, key, upload)

    def download(self, key: str, destination: BinaryIO, *, max_bytes: int) -> int:
        response = self._call("download", self.client.get_object, Bucket=self.bucket_name, Key=key)
        body = response["Body"]
        total = 0
        try:
            for chunk in body.iter_chunks(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise TooMuchData(key)
                destination.write(chunk)
        finally:
            body.close()
        return total

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self._call("head", self.client.head_object, Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (403, 404):
                return None
            raise
        return int(head["ContentLength"])

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            response = self._call(
                "delete",
                self.client.delete_objects,
                Bucket=self.bucket_name,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            errors = [e for e in response.get("Errors", []) if e.get("Code") != "NoSuchKey"]
            if errors:
                raise StorageUnavailable(f"S3 delete failed for {len(errors)} keys: {errors[0]}")

    def move(
        self, source: str, target: str, *, content_type: str, cache_control: str, disposition: str
    ) -> None:
        # A server-side copy: the bytes never pass through this process.
        self._call(
            "copy",
            self.client.copy_object,
            Bucket=self.bucket_name,
            Key=target,
            CopySource={"Bucket": self.bucket_name, "Key": source},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            CacheControl=cache_control,
            ContentDisposition=disposition,
        )
        self.delete_many([source])

    def list_keys(self, within: str = "") -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        pages = paginator.paginate(Bucket=self.bucket_name, Prefix=self.prefix + within)
        for page in self._call("list", list, pages):
            keys += [entry["Key"] for entry in page.get("Contents", ())]
        return sorted(keys)

    def public_url(self, key: str) -> str:
        base = settings.MEDIA_PUBLIC_BASE_URL
        if not base:
            if self.public_endpoint:
                base = f"{self.public_endpoint.rstrip('/')}/{self.bucket_name}/"
            else:
                base = f"https://{self.bucket_name}.s3.{self.region}.amazonaws.com/"
        return base.rstrip("/") + "/" + quote(key)

    def signed_download_url(
        self, key: str, *, expires_in: int, content_type: str, disposition: str
    ) -> str:
        return self._signer.url(
            key,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": f"private, max-age={expires_in}",
            },
            expire=expires_in,
        )

    def signed_upload(
        self, key: str, *, expires_in: int, content_type: str, size: int
    ) -> SignedRequest:
        # Type and length are signed: S3 refuses a PUT that differs in either.
        url = self._signer.connection.meta.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket_name,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": size,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return SignedRequest("PUT", url, {"Content-Type": content_type})

    def check(self) -> None:
        self._probe.connection.meta.client.head_bucket(Bucket=self.bucket_name)

    def setup(self) -> list[str]:
        from botocore.exceptions import ClientError

        done: list[str] = []
        try:
            self.client.head_bucket(Bucket=self.bucket_name)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
                raise
            options: dict[str, Any] = {"Bucket": self.bucket_name}
            if self.region and self.region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            self.client.create_bucket(**options)
            done.append(f"created bucket {self.bucket_name}")
        if settings.MEDIA_S3_MANAGE_POLICY and self._ensure_public_policy():
            done.append(f"allowed anonymous reads of {self.prefix}public/*")
        return done

    def _ensure_public_policy(self) -> bool:
        """Merge one statement into the bucket policy; other statements are kept."""
        from botocore.exceptions import ClientError

        resource = f"arn:aws:s3:::{self.bucket_name}/{self.prefix}public/*"
        statement = {
            "Sid": PUBLIC_POLICY_SID,
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject"],
            "Resource": [resource],
        }
        try:
            policy = json.loads(self.client.get_bucket_policy(Bucket=self.bucket_name)["Policy"])
        except ClientError as exc:
            # No policy yet (NoSuchBucketPolicy, or a bare 404 from some S3 servers).
            code = exc.response.get("Error", {}).get("Code")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code != "NoSuchBucketPolicy" and status != 404:
                raise
            policy = {"Version": "2012-10-17", "Statement": []}
        statements = policy.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        current = next((s for s in statements if s.get("Sid") == PUBLIC_POLICY_SID), None)
        resources = current.get("Resource", []) if current else []
        resources = [resources] if isinstance(resources, str) else list(resources)
        if current and resource in resources:
            return False
        if current:
            current["Resource"] = sorted({*resources, resource})
        else:
            statements.append(statement)
        policy["Statement"] = statements
        self.client.put_bucket_policy(Bucket=self.bucket_name, Policy=json.dumps(policy))
        return True


# -- local folders ----------------------------------------------------------------------------


class LocalMediaStorage(MediaStorage):
    backend = "local"

    def __init__(self) -> None:
        super().__init__()
        self.public_root = Path(settings.MEDIA_ROOT)
        self.private_root = Path(settings.MEDIA_PRIVATE_ROOT)

    def _root(self, area: str) -> Path:
        return self.public_root if area == "public" else self.private_root

    def path(self, key: str) -> Path:
        area = self.area_of(key)
        parts = key.split("/")
        if any(part in ("", ".", "..") for part in parts) or "\\" in key or "\x00" in key:
            raise ValueError(f"unsafe storage key {key!r}")
        return self._root(area) / key

    def save(
        self, key: str, path: Path, *, content_type: str, cache_control: str, disposition: str
    ) -> None:
        with open(path, "rb") as source:
            self.write_stream(key, source, size=None)

    def write_stream(self, key: str, source: Any, *, size: int | None) -> int:
        """Write `source` (anything with read(n)) to `key` atomically: a temporary file next to
        the target, renamed into place. With `size`, exactly that many bytes must arrive."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
            dir=target.parent, prefix=".upload-", delete=False
        )
        written = 0
        try:
            with handle:
                while True:
                    want = CHUNK if size is None else min(CHUNK, size - written)
                    if want <= 0:
                        break
                    chunk = source.read(want)
                    if not chunk:
                        break
                    written += len(chunk)
                    handle.write(chunk)
            if size is not None and written != size:
                raise TooMuchData(f"{written} bytes arrived, {size} were announced")
            # nginx (another user) serves public files: readable by all, writable by us.
            os.chmod(handle.name, 0o644)
            os.replace(handle.name, target)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return written

    def download(self, key: str, destination: BinaryIO, *, max_bytes: int) -> int:
        total = 0
        with open(self.path(key), "rb") as source:
            while chunk := source.read(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise TooMuchData(key)
                destination.write(chunk)
        return total

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            path = self.path(key)
            path.unlink(missing_ok=True)
            self._prune(path.parent, self._root(self.area_of(key)))

    def _prune(self, folder: Path, root: Path) -> None:
        """Remove the emptied folders of a deleted file, up to the root."""
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def move(
        self, source: str, target: str, *, content_type: str, cache_control: str, disposition: str
    ) -> None:
        source_path, target_path = self.path(source), self.path(target)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source_path, 0o644)
        # A rename when both are on one filesystem; a streamed copy otherwise.
        shutil.move(source_path, target_path)
        self._prune(source_path.parent, self._root(self.area_of(source)))

    def list_keys(self, within: str = "") -> list[str]:
        wanted = self.prefix + within
        keys: set[str] = set()
        for root in {self.public_root, self.private_root}:
            if not root.exists():
                continue
            for path in root.rglob("*"):
                if path.is_file() and not path.name.startswith(".upload-"):
                    key = path.relative_to(root).as_posix()
                    if key.startswith(wanted):
                        keys.add(key)
        return sorted(keys)

    def public_url(self, key: str) -> str:
        base = settings.MEDIA_PUBLIC_BASE_URL or settings.MEDIA_URL
        return base.rstrip("/") + "/" + quote(key)

    def signed_download_url(
        self, key: str, *, expires_in: int, content_type: str, disposition: str
    ) -> str:
        query = signing.signed_query(
            method="GET",
            key=key,
            expires_in=expires_in,
            params={"response-content-type": content_type, "response-disposition": disposition},
        )
        return f"{reverse('media-object', kwargs={'key': key})}?{query}"

    def signed_upload(
        self, key: str, *, expires_in: int, content_type: str, size: int
    ) -> SignedRequest:
        query = signing.signed_query(
            method="PUT",
            key=key,
            expires_in=expires_in,
            params={"content-type": content_type, "content-length": str(size)},
        )
        return SignedRequest(
            "PUT",
            f"{reverse('media-object', kwargs={'key': key})}?{query}",
            {"Content-Type": content_type},
        )

    def check(self) -> None:
        for root in (self.public_root, self.private_root):
            if not root.is_dir():
                raise RuntimeError(f"media folder {root.name!r} does not exist")
            if not os.access(root, os.W_OK | os.X_OK):
                raise RuntimeError(f"media folder {root.name!r} is not writable")

    def setup(self) -> list[str]:
        done = []
        for root in (self.public_root, self.private_root):
            if not root.exists():
                root.mkdir(parents=True, exist_ok=True)
                done.append(f"created {root}")
        # Private files must not be readable by other local users (nginx serves only public).
        self.private_root.chmod(0o700)
        return done


# -- the configured storage -------------------------------------------------------------------

_lock = threading.Lock()
_storage: MediaStorage | None = None


def get_storage() -> MediaStorage:
    global _storage
    if _storage is None:
        with _lock:
            if _storage is None:
                backend = S3MediaStorage if settings.MEDIA_STORAGE == "s3" else LocalMediaStorage
                _storage = backend()
                if backend is LocalMediaStorage:
                    _storage.setup()
    return _storage


def reset_storage() -> None:
    global _storage
    with _lock:
        _storage = None


def reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(("MEDIA_", "S3_")):
        reset_storage()


def setup_after_migrate(**kwargs: Any) -> None:
    """`migrate` also prepares the storage (bucket, public-read policy, folders). A failure is
    logged, not raised: production credentials may rightly lack the permission."""
    try:
        for line in get_storage().setup():
            logger.info("media storage set up", extra={"action": line})
    except Exception as exc:
        logger.warning(
            "media storage setup failed; create the bucket and its public-read policy for "
            "public/* yourself (docs/decisions.md, Media)",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
