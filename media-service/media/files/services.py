"""Writes: accepting uploads (multipart and direct), processing videos, deleting files, keeping
track of references from other services, and the housekeeping that removes what nobody uses.

Storage is not transactional, the database is. Two rules keep them in step:
- Before objects are written, their keys are recorded as deletions due in an hour; the
  transaction that creates the file removes those rows. A crash in between leaves rows the purge
  task acts on later, never an orphan object.
- Objects stop being used in the transaction that records their deletion; they are deleted
  after it commits (at once, and by the purge task if that fails).
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.ids import uuid7
from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from media.files import selectors
from media.files.errors import FileRejected, too_large
from media.files.images import POSTER_SIZE, VARIANT_SIZES, Rendition, render_image
from media.files.inspection import Inspection, inspect_file
from media.files.models import (
    AudienceMember,
    AudienceReset,
    Conversion,
    Kind,
    MediaFile,
    MediaReference,
    Status,
    StorageDeletion,
    UploadSession,
    UploadStatus,
    Visibility,
)
from media.files.purposes import get_purpose
from media.files.sniffing import PNG, extension_of, type_for_mime
from media.files.storage import MediaStorage, SignedRequest, TooMuchData, get_storage
from media.files.video import VideoRendition, extract_poster, probe_video, transcode

logger = logging.getLogger("cotask.media")

CACHE_PUBLIC = "public, max-age=31536000, immutable"  # keys are never reused
CACHE_PRIVATE = "private, no-store"
# How long a planned object may take to be written before the purge may remove it.
WRITE_GRACE = timedelta(hours=1)
# A direct upload may be completed this long after its URL expired.
COMPLETE_GRACE = timedelta(hours=1)
FINISHED_UPLOADS_KEPT = timedelta(days=7)
# A finished upload's object is deleted again this long after its URL expired (a late PUT).
INCOMING_RECHECK = timedelta(minutes=1)
MAX_PROCESSING_ATTEMPTS = 3
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class UploadResult:
    file: MediaFile
    created: bool  # False: the same content was already stored for this owner and purpose


@dataclass(frozen=True)
class DirectUpload:
    session: UploadSession | None
    request: SignedRequest | None
    file: MediaFile | None  # set instead when the content is already stored (deduplicated)


# -- helpers ----------------------------------------------------------------------------------


@contextmanager
def work_dir() -> Iterator[Path]:
    """A private temporary folder, removed with everything in it whatever happens."""
    path = Path(tempfile.mkdtemp(prefix="cotask-media-", dir=settings.MEDIA_TEMP_DIR))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def clean_filename(name: str) -> str:
    """The name to show and to download as: no folders, no control characters, at most 200
    characters (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        return "file"
    if len(name) > 200:
        extension = extension_of(name)
        keep = 200 - len(extension) - 1 if extension else 200
        name = f"{name[:keep]}.{extension}" if extension else name[:200]
    return name


def _disposition(kind: str) -> str:
    """Stored with the object; without the file name, which public objects must not reveal
    (signed downloads set a full header, name included)."""
    return "attachment" if kind == Kind.DOCUMENT else "inline"


def _cache_control(visibility: str) -> str:
    return CACHE_PUBLIC if visibility == Visibility.PUBLIC else CACHE_PRIVATE


def _plan_writes(keys: Iterable[str]) -> list[int]:
    """Record keys about to be written as deletions due after WRITE_GRACE (autocommit)."""
    not_before = timezone.now() + WRITE_GRACE
    rows = StorageDeletion.objects.bulk_create(
        [StorageDeletion(key=key, not_before=not_before) for key in keys]
    )
    return [row.id for row in rows]


def _schedule_deletion(keys: Iterable[str]) -> None:
    """Inside the transaction that stops using the objects: delete them once it commits."""
    rows = StorageDeletion.objects.bulk_create([StorageDeletion(key=key) for key in keys])
    ids = [row.id for row in rows]
    if ids:
        transaction.on_commit(lambda: purge_deletions(ids=ids))


def _delete_now(keys: list[str], planned: list[int]) -> None:
    """Undo writes after a failure; if storage fails too, the planned rows stay for the purge."""
    try:
        get_storage().delete_many(keys)
    except Exception:
        logger.warning("could not remove objects after a failed upload", exc_info=True)
        return
    StorageDeletion.objects.filter(id__in=planned).delete()


_R = TypeVar("_R", Rendition, VideoRendition)


def _store_renditions(
    storage: MediaStorage,
    file: MediaFile,
    renditions: list[_R],
    finish: Callable[[list[tuple[str, _R]], list[int]], str],
) -> str:
    """Write each rendition next to the file's object, then `finish(writes, planned)`, which
    puts them in use. Until it returns, the keys are planned deletions (a crash leaves
    nothing behind); if anything fails, the written objects are deleted at once."""
    base = file.storage_key.rsplit("/", 1)[0]
    writes = [(f"{base}/{r.name}.{r.extension}", r) for r in renditions]
    keys = [key for key, _r in writes]
    planned = _plan_writes(keys)
    try:
        for key, rendition in writes:
            storage.save(
                key,
                rendition.path,
                content_type=rendition.content_type,
                cache_control=_cache_control(file.visibility),
                disposition="inline",
            )
        return finish(writes, planned)
    except BaseException:
        _delete_now(keys, planned)
        raise


def _base_event(file: MediaFile) -> dict[str, Any]:
    return {
        "id": file.id,
        "owner_id": file.owner_id,
        "purpose": file.purpose,
        "visibility": file.visibility,
        "kind": file.kind,
        "status": file.status,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
    }


def _publish(event_type: str, file: MediaFile, *, actor: Any, **extra: Any) -> None:
    publish_event(
        type=f"media.file.{event_type}",
        key=file.id,
        actor=actor,
        data={**_base_event(file), **extra},
    )


def _ready_event_data(file: MediaFile) -> dict[str, Any]:
    urls = selectors.public_urls(file)
    return {
        "width": file.width,
        "height": file.height,
        "duration": file.duration,
        "url": urls.get(selectors.ORIGINAL),
        "variants": {
            name: {
                "url": urls.get(name),
                "width": variant.get("width"),
                "height": variant.get("height"),
                "content_type": variant["content_type"],
            }
            for name, variant in file.variants.items()
        },
    }


def _variant_record(key: str, rendition: Rendition | VideoRendition) -> dict[str, Any]:
    return {
        "key": key,
        "content_type": rendition.content_type,
        "width": rendition.width,
        "height": rendition.height,
        "size": rendition.size,
    }


# -- storing a checked file -------------------------------------------------------------------


def _store(
    *,
    owner_id: UUID,
    purpose: str,
    visibility: str,
    filename: str,
    inspection: Inspection,
    source: Path,
    workdir: Path,
    in_transaction: Callable[[MediaFile], None] | None = None,
) -> UploadResult:
    """Write the renditions (or move the original), then create the file in one transaction
    with its events. Images are decoded here: a corrupt one is refused before anything is
    written. What is stored is always made from `source`, the local copy that was checked,
    never copied from a direct upload's object, which its still-valid upload URL could
    overwrite between the check and the store (docs/decisions.md, upload integrity)."""
    file_type = inspection.type
    storage = get_storage()
    file_id = uuid7()
    base = storage.key(visibility, str(owner_id), str(file_id))
    cache_control = _cache_control(visibility)
    kind = file_type.kind
    variants: dict[str, dict[str, Any]] = {}
    writes: list[tuple[str, Rendition]] = []
    if kind == Kind.IMAGE:
        renditions = render_image(source, file_type=file_type, workdir=workdir)
        original = renditions[0]
        original_key = f"{base}/original.{original.extension}"
        writes = [(f"{base}/{r.name}.{r.extension}", r) for r in renditions]
        variants = {r.name: _variant_record(key, r) for key, r in writes if r.name != "original"}
        content_type, stored_size = original.content_type, original.size
        width, height = original.width, original.height
        if original.extension not in file_type.extensions:  # GIF stored as PNG
            filename = f"{filename.rsplit('.', 1)[0]}.{original.extension}"
    else:
        original_key = f"{base}/original.{file_type.extensions[0]}"
        content_type, stored_size = file_type.mime, inspection.size
        width = height = None
    disposition = _disposition(kind)
    keys = [original_key, *(v["key"] for v in variants.values())]
    planned = _plan_writes(keys)
    try:
        if writes:
            for key, rendition in writes:
                storage.save(
                    key,
                    rendition.path,
                    content_type=rendition.content_type,
                    cache_control=cache_control,
                    disposition=disposition,
                )
        else:
            storage.save(
                original_key,
                source,
                content_type=content_type,
                cache_control=cache_control,
                disposition=disposition,
            )
        status = Status.PROCESSING if kind == Kind.VIDEO else Status.READY
        now = timezone.now()
        with transaction.atomic():
            file = MediaFile.objects.create(
                id=file_id,
                owner_id=owner_id,
                purpose=purpose,
                visibility=visibility,
                kind=kind,
                status=status,
                filename=filename,
                content_type=content_type,
                size=inspection.size,
                sha256=inspection.sha256,
                storage_key=original_key,
                stored_size=stored_size,
                width=width,
                height=height,
                variants=variants,
                unreferenced_since=now,
                ready_at=now if status == Status.READY else None,
                conversion_status=Conversion.QUEUED if kind == Kind.VIDEO else "",
            )
            StorageDeletion.objects.filter(id__in=planned).delete()
            if in_transaction:
                in_transaction(file)
            _publish("uploaded", file, actor=owner_id)
            if status == Status.READY:
                _publish("ready", file, actor=owner_id, **_ready_event_data(file))
            else:
                transaction.on_commit(lambda: _enqueue_video(file.id))
    except IntegrityError:
        # Another request stored the same content a moment ago: keep that one.
        _delete_now(keys, planned)
        existing = selectors.find_duplicate(
            owner_id=owner_id, purpose=purpose, visibility=visibility, sha256=inspection.sha256
        )
        if existing is None:
            raise
        return UploadResult(existing, False)
    except BaseException:
        _delete_now(keys, planned)
        raise
    return UploadResult(file, True)


def _enqueue_video(file_id: UUID) -> None:
    from media.files.tasks import process_video

    try:
        process_video.delay(str(file_id))
    except Exception:
        # The broker is down: requeue_stale_processing will queue it again.
        logger.exception("could not queue video processing", extra={"file_id": str(file_id)})


# -- multipart upload -------------------------------------------------------------------------


def upload_file(
    *,
    owner_id: UUID,
    purpose: str,
    visibility: str | None,
    path: Path,
    filename: str,
    sha256: str | None = None,
) -> UploadResult:
    """Check the file at `path` (a temporary copy of the request's upload) and store it."""
    rules = get_purpose(purpose)
    visibility = rules.resolve_visibility(visibility)
    filename = clean_filename(filename)
    inspection = inspect_file(path, filename=filename, purpose=rules)
    if sha256 and sha256.lower() != inspection.sha256:
        raise FileRejected(
            "checksum_mismatch",
            _("The SHA-256 of what arrived is %(actual)s, not the %(announced)s announced.")
            % {"actual": inspection.sha256, "announced": sha256.lower()},
            field="sha256",
        )
    existing = selectors.find_duplicate(
        owner_id=owner_id, purpose=rules.name, visibility=visibility, sha256=inspection.sha256
    )
    if existing is not None:
        return UploadResult(existing, False)
    with work_dir() as workdir:
        return _store(
            owner_id=owner_id,
            purpose=rules.name,
            visibility=visibility,
            filename=filename,
            inspection=inspection,
            source=path,
            workdir=workdir,
        )


# -- direct upload ----------------------------------------------------------------------------


def start_direct_upload(
    *,
    owner_id: UUID,
    purpose: str,
    visibility: str | None = None,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    expires_in: int | None = None,
) -> DirectUpload:
    """Announce a file; get a URL to PUT exactly those bytes to (S3 presigned, or this
    service's own signed URL in local mode). Nothing is accepted until `complete`."""
    rules = get_purpose(purpose)
    visibility = rules.resolve_visibility(visibility)
    filename = clean_filename(filename)
    sha256 = sha256.lower()
    if not SHA256_PATTERN.match(sha256):
        raise FileRejected(
            "invalid", _("Give the SHA-256 as 64 hexadecimal characters."), field="sha256"
        )
    if size <= 0:
        raise FileRejected("empty_file", _("The file is empty."), field="size")
    if size > rules.max_bytes:
        raise too_large(size=size, limit=rules.max_bytes, what=rules.label, field="size")
    announced = type_for_mime(content_type)
    if announced is None or announced.name not in rules.types:
        raise FileRejected(
            "unsupported_type",
            _("%(type)s is not allowed for %(purpose)s; allowed: %(allowed)s.")
            % {
                "type": announced.label if announced else content_type,
                "purpose": rules.label,
                "allowed": rules.allowed_labels,
            },
            field="content_type",
        )
    if extension_of(filename) not in announced.extensions:
        raise FileRejected(
            "extension_mismatch",
            _("A %(type)s file's name must end in %(expected)s.")
            % {"type": announced.label, "expected": announced.extension_list()},
            field="filename",
        )
    existing = selectors.find_duplicate(
        owner_id=owner_id, purpose=rules.name, visibility=visibility, sha256=sha256
    )
    if existing is not None:
        return DirectUpload(session=None, request=None, file=existing)
    limit = settings.MEDIA_UPLOAD_URL_TTL_SECONDS
    ttl = max(1, min(expires_in or limit, limit))
    storage = get_storage()
    upload_id = uuid7()
    key = storage.key("incoming", str(owner_id), str(upload_id))
    session = UploadSession.objects.create(
        id=upload_id,
        owner_id=owner_id,
        purpose=rules.name,
        visibility=visibility,
        filename=filename,
        content_type=announced.mime,
        size=size,
        sha256=sha256,
        storage_key=key,
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    request = storage.signed_upload(key, expires_in=ttl, content_type=announced.mime, size=size)
    return DirectUpload(session=session, request=request, file=None)


class _HashingWriter:
    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        return self.target.write(chunk)


def complete_direct_upload(*, owner_id: UUID, upload_id: UUID) -> UploadResult:
    """Check what actually arrived against what was announced (size, SHA-256, type by content),
    then accept it like a multipart upload. A mismatch rejects the upload and deletes it."""
    session = selectors.upload_for_owner(owner_id=owner_id, upload_id=upload_id)
    if session.status == UploadStatus.COMPLETED:
        if session.file is None:
            raise ServiceError(
                _("The file of this upload has been deleted."), code="file_deleted", status_code=410
            )
        return UploadResult(session.file, False)
    if session.status == UploadStatus.REJECTED:
        raise Conflict(
            _("This upload was rejected (%(code)s); start a new upload.")
            % {"code": session.failure_code},
            code="upload_rejected",
        )
    if session.status == UploadStatus.EXPIRED or (
        session.status == UploadStatus.PENDING
        and session.expires_at + COMPLETE_GRACE < timezone.now()
    ):
        raise ServiceError(
            _("This upload expired; start a new upload."), code="upload_expired", status_code=410
        )
    claimed = UploadSession.objects.filter(id=session.id, status=UploadStatus.PENDING).update(
        status=UploadStatus.COMPLETING, updated_at=timezone.now()
    )
    if not claimed:
        raise Conflict(_("This upload is already being completed."), code="upload_in_progress")
    try:
        result = _complete(session)
    except _NotArrived:
        _reopen(session)
        raise FileRejected(
            "upload_missing",
            _("Nothing has arrived at the upload URL (yet), or the upload was refused there."),
        ) from None
    except FileRejected as exc:
        with transaction.atomic():
            UploadSession.objects.filter(id=session.id).update(
                status=UploadStatus.REJECTED, failure_code=exc.code, updated_at=timezone.now()
            )
            _drop_incoming(session)
        raise
    except BaseException:
        # Not the file's fault (storage, a bug): the client may call complete again.
        _reopen(session)
        raise
    # Already marked when the file was created; this covers losing a race to an identical upload.
    with transaction.atomic():
        lost_race = UploadSession.objects.filter(
            id=session.id, status=UploadStatus.COMPLETING
        ).update(status=UploadStatus.COMPLETED, file=result.file, updated_at=timezone.now())
        if lost_race:
            _drop_incoming(session)
    return result


def _drop_incoming(session: UploadSession) -> None:
    """In the transaction that ends the upload: its object is deleted now, and once more when
    its upload URL has expired, since S3 accepts a PUT to it until then (local storage refuses
    PUTs to an upload that is no longer pending)."""
    _schedule_deletion([session.storage_key])
    StorageDeletion.objects.create(
        key=session.storage_key, not_before=session.expires_at + INCOMING_RECHECK
    )


def _reopen(session: UploadSession) -> None:
    UploadSession.objects.filter(id=session.id, status=UploadStatus.COMPLETING).update(
        status=UploadStatus.PENDING, updated_at=timezone.now()
    )


class _NotArrived(Exception):
    pass


def _complete(session: UploadSession) -> UploadResult:
    rules = get_purpose(session.purpose)
    storage = get_storage()
    arrived = storage.size(session.storage_key)
    if arrived is None:
        raise _NotArrived
    if arrived != session.size:
        raise FileRejected(
            "size_mismatch",
            _("%(arrived)s bytes arrived but %(announced)s bytes were announced.")
            % {"arrived": arrived, "announced": session.size},
            field="size",
        )
    with work_dir() as workdir:
        local = workdir / f"upload.{extension_of(session.filename) or 'bin'}"
        with open(local, "wb") as handle:
            writer = _HashingWriter(handle)
            try:
                storage.download(session.storage_key, writer, max_bytes=session.size)  # type: ignore[arg-type]
            except TooMuchData as exc:
                raise FileRejected(
                    "size_mismatch",
                    _("More than the %(announced)s bytes announced arrived.")
                    % {"announced": session.size},
                    field="size",
                ) from exc
        actual = writer.digest.hexdigest()
        if actual != session.sha256:
            raise FileRejected(
                "checksum_mismatch",
                _("The SHA-256 of what arrived is %(actual)s, not the %(announced)s announced.")
                % {"actual": actual, "announced": session.sha256},
                field="sha256",
            )
        inspection = inspect_file(
            local,
            filename=session.filename,
            purpose=rules,
            announced_type=session.content_type,
            name_field="filename",
        )
        existing = selectors.find_duplicate(
            owner_id=session.owner_id,
            purpose=session.purpose,
            visibility=session.visibility,
            sha256=inspection.sha256,
        )
        if existing is not None:
            with transaction.atomic():
                UploadSession.objects.filter(id=session.id).update(
                    status=UploadStatus.COMPLETED, file=existing, updated_at=timezone.now()
                )
                _drop_incoming(session)
            return UploadResult(existing, False)

        def mark_completed(file: MediaFile) -> None:
            UploadSession.objects.filter(id=session.id).update(
                status=UploadStatus.COMPLETED, file=file, updated_at=timezone.now()
            )
            _drop_incoming(session)

        return _store(
            owner_id=session.owner_id,
            purpose=session.purpose,
            visibility=session.visibility,
            filename=session.filename,
            inspection=inspection,
            source=local,
            workdir=workdir,
            in_transaction=mark_completed,
        )


# -- video processing (Celery) ----------------------------------------------------------------


def process_video(*, file_id: UUID) -> str:
    """ffprobe the stored video, render a poster and a thumbnail, then ready (or failed).
    Returns what happened, for the task's log."""
    file = MediaFile.objects.filter(id=file_id, status=Status.PROCESSING).first()
    if file is None:
        return "skipped"
    MediaFile.objects.filter(id=file_id).update(
        processing_attempts=F("processing_attempts") + 1, updated_at=timezone.now()
    )
    file_type = type_for_mime(file.content_type)
    if file_type is None or file_type.kind != Kind.VIDEO:
        fail_file(file_id=file_id, code="unsupported_type", message=_("Not a video type."))
        return "failed"
    storage = get_storage()
    with work_dir() as workdir:
        local = workdir / f"video.{file_type.extensions[0]}"
        with open(local, "wb") as handle:
            storage.download(file.storage_key, handle, max_bytes=max(file.stored_size, file.size))
        try:
            info = probe_video(local, file_type)
            frame = extract_poster(
                local, file_type, at=min(1.0, info.duration / 2), workdir=workdir
            )
            renditions = render_image(
                frame,
                file_type=PNG,
                workdir=workdir,
                original=False,
                variants={"poster": POSTER_SIZE, "thumbnail": VARIANT_SIZES["thumbnail"]},
            )
        except FileRejected as exc:
            fail_file(file_id=file_id, code=exc.code, message=_field_message(exc))
            return "failed"

        def finish(writes: list[tuple[str, Rendition]], planned: list[int]) -> str:
            keys = [key for key, _r in writes]
            with transaction.atomic():
                current = (
                    MediaFile.objects.select_for_update()
                    .filter(id=file_id, status=Status.PROCESSING)
                    .first()
                )
                if current is None:  # deleted (or failed) meanwhile
                    _schedule_deletion(keys)
                    StorageDeletion.objects.filter(id__in=planned).delete()
                    return "skipped"
                current.status = Status.READY
                current.ready_at = timezone.now()
                current.width, current.height = info.width, info.height
                current.duration = info.duration
                current.video_codec, current.audio_codec = info.video_codec, info.audio_codec
                current.variants = {r.name: _variant_record(key, r) for key, r in writes}
                current.save()
                StorageDeletion.objects.filter(id__in=planned).delete()
                _publish("ready", current, actor=None, **_ready_event_data(current))
                # Playable as uploaded from now on; the MP4 renditions follow.
                transaction.on_commit(lambda: _enqueue_conversion(file_id))
            return "ready"

        return _store_renditions(storage, file, renditions, finish)


# -- video conversion (Celery) ----------------------------------------------------------------


def _enqueue_conversion(file_id: UUID) -> None:
    from media.files.tasks import convert_video

    try:
        convert_video.delay(str(file_id))
    except Exception:
        # The broker is down: requeue_stale_processing will queue it again.
        logger.exception("could not queue video conversion", extra={"file_id": str(file_id)})


def _publish_video(event_type: str, file: MediaFile, **extra: Any) -> None:
    publish_event(
        type=f"media.video.{event_type}",
        key=file.id,
        actor=None,
        data={
            "id": file.id,
            "owner_id": file.owner_id,
            "purpose": file.purpose,
            "visibility": file.visibility,
            "filename": file.filename,
            **extra,
        },
    )


def _video_ready_data(file: MediaFile) -> dict[str, Any]:
    urls = selectors.public_urls(file)
    poster = file.variants.get("poster") or {}
    return {
        "duration": file.duration,
        "poster": {"url": urls.get("poster"), "width": poster.get("width"),
                   "height": poster.get("height")} if poster else None,
        "renditions": {
            name: {
                "url": urls.get(name),
                "width": variant.get("width"),
                "height": variant.get("height"),
                "content_type": variant["content_type"],
                "size": variant.get("size", 0),
            }
            for name, variant in file.variants.items()
            if variant["content_type"] == "video/mp4"
        },
    }  # fmt: skip


CONVERSION_FIELDS = (
    "id", "content_type", "storage_key", "stored_size", "size", "duration", "height",
    "visibility", "conversion_attempts",
)  # fmt: skip


def convert_video(*, file_id: UUID) -> str:
    """Transcode a ready video to the MP4 renditions (MEDIA_VIDEO_RENDITIONS), store them as
    variants, then drop the uploaded original: the largest rendition becomes the file's
    `original`. A failure keeps the original (the file stays usable as uploaded) and says why.

    Safe to run again after a crash: the renditions' keys are fixed per file, and only the run
    that finds the conversion still open in its final transaction publishes anything."""
    file = (
        MediaFile.objects.filter(
            id=file_id,
            status=Status.READY,
            kind=Kind.VIDEO,
            conversion_status__in=[Conversion.QUEUED, Conversion.CONVERTING],
        )
        .only(*CONVERSION_FIELDS)
        .first()
    )
    if file is None:
        return "skipped"
    if file.conversion_attempts >= MAX_PROCESSING_ATTEMPTS:  # it keeps killing the worker
        fail_conversion(
            file_id=file_id,
            code="processing_error",
            message=_("The video could not be converted after %(n)s attempts.")
            % {"n": file.conversion_attempts},
        )
        return "failed"
    MediaFile.objects.filter(id=file_id).update(
        conversion_status=Conversion.CONVERTING,
        conversion_progress=0,
        conversion_attempts=F("conversion_attempts") + 1,
        updated_at=timezone.now(),
    )
    file_type = type_for_mime(file.content_type)
    if file_type is None or file_type.kind != Kind.VIDEO or not file.duration or not file.height:
        fail_conversion(file_id=file_id, code="unsupported_type", message=_("Not a video type."))
        return "failed"

    def progress(percent: int) -> None:
        # updated_at moves too: a conversion that reports progress is not stale.
        MediaFile.objects.filter(id=file_id, conversion_status=Conversion.CONVERTING).update(
            conversion_progress=percent, updated_at=timezone.now()
        )

    storage = get_storage()
    with work_dir() as workdir:
        local = workdir / f"source.{file_type.extensions[0]}"
        with open(local, "wb") as handle:
            storage.download(file.storage_key, handle, max_bytes=max(file.stored_size, file.size))
        try:
            renditions = transcode(
                local,
                file_type,
                duration=file.duration,
                height=file.height,
                workdir=workdir,
                on_progress=progress,
            )
        except FileRejected as exc:
            fail_conversion(file_id=file_id, code=exc.code, message=_field_message(exc))
            return "failed"
        return _store_renditions(
            storage,
            file,
            renditions,
            lambda writes, _planned: _finish_conversion(
                file_id=file_id, writes=writes, keys=[key for key, _r in writes]
            ),
        )


def _finish_conversion(
    *, file_id: UUID, writes: list[tuple[str, VideoRendition]], keys: list[str]
) -> str:
    with transaction.atomic():
        current = MediaFile.objects.select_for_update().filter(id=file_id).first()
        if current is None or current.status != Status.READY:  # deleted (or failed) meanwhile
            _schedule_deletion(keys)
            return "skipped"
        # Any deletion planned for these keys (this run's, or a crashed earlier run's) would
        # remove live renditions: the keys are in use from now on.
        StorageDeletion.objects.filter(key__in=keys).delete()
        if current.conversion_status != Conversion.CONVERTING:  # another run finished first
            return "skipped"
        top_key, top = writes[0]
        if current.storage_key not in keys:
            _schedule_deletion([current.storage_key])  # the original, no longer needed
        current.variants = {
            **current.variants,
            **{r.name: _variant_record(key, r) for key, r in writes},
        }
        current.storage_key, current.content_type = top_key, top.content_type
        current.stored_size, current.width, current.height = top.size, top.width, top.height
        current.video_codec, current.audio_codec = "h264", top.audio_codec
        current.conversion_status, current.conversion_progress = Conversion.READY, 100
        current.conversion_error_code = current.conversion_error = ""
        current.save()
        _publish_video("ready", current, **_video_ready_data(current))
    return "ready"


def fail_conversion(*, file_id: UUID, code: str, message: str) -> None:
    """The renditions could not be made: the file stays usable as uploaded (its original is
    kept), and the owner is told why."""
    with transaction.atomic():
        file = (
            MediaFile.objects.select_for_update()
            .filter(id=file_id, conversion_status__in=[Conversion.QUEUED, Conversion.CONVERTING])
            .first()
        )
        if file is None:
            return
        file.conversion_status = Conversion.FAILED
        file.conversion_error_code, file.conversion_error = code, message
        file.save()
        _publish_video("failed", file, code=code, message=message)


def _field_message(error: FileRejected) -> str:
    for messages in error.fields.values():
        if messages:
            return messages[0]["message"]
    return error.message


def fail_file(*, file_id: UUID, code: str, message: str) -> None:
    """A file that cannot be used: its objects are deleted, its row stays to tell the owner why
    (and goes with the unreferenced cleanup)."""
    with transaction.atomic():
        file = (
            MediaFile.objects.select_for_update()
            .filter(id=file_id)
            .exclude(status=Status.FAILED)
            .first()
        )
        if file is None:
            return
        if file.kind == Kind.VIDEO:
            # The uploaded original is kept (for the owner and operators to look into, until
            # the file is deleted); what was made from it goes.
            _schedule_deletion(key for key in file.storage_keys() if key != file.storage_key)
            file.conversion_status = Conversion.FAILED
            file.conversion_error_code, file.conversion_error = code, message
        else:
            _schedule_deletion(file.storage_keys())
        file.status = Status.FAILED
        file.failure_code = code
        file.failure_message = message
        file.variants = {}
        file.save()
        _publish("failed", file, actor=None, code=code, message=message)
        if file.kind == Kind.VIDEO:
            _publish_video("failed", file, code=code, message=message)


# -- deleting ---------------------------------------------------------------------------------


def _delete(file: MediaFile, *, reason: str, actor: Any) -> None:
    """Inside a transaction holding the file's row."""
    if file.status != Status.FAILED:
        _schedule_deletion(file.storage_keys())
    elif file.kind == Kind.VIDEO:  # a failed video's original was kept
        _schedule_deletion([file.storage_key])
    _publish("deleted", file, actor=actor, reason=reason)
    file.delete()


def delete_file(*, user: TokenUser, file_id: UUID) -> None:
    """The owner deletes a file; moderators and admins may delete any file."""
    with transaction.atomic():
        file = MediaFile.objects.select_for_update().filter(id=file_id).first()
        may_delete = file is not None and selectors.can_delete(user=user, file=file)
        if file is None or not (may_delete or selectors.can_view(user=user, file=file)):
            raise NotFound(_("No such file."), code="file_not_found")
        if not may_delete:
            raise Forbidden(
                _("Only the owner (or a moderator) can delete this file."),
                code="permission_denied",
            )
        reason = "owner" if file.owner_id == user.id else "moderator"
        _delete(file, reason=reason, actor=user.id)


def delete_owner_files(*, owner_id: UUID) -> int:
    """An account was deleted: its files and unfinished uploads go too."""
    count = 0
    with transaction.atomic():
        for file in MediaFile.objects.select_for_update().filter(owner_id=owner_id):
            _delete(file, reason="owner_deleted", actor=None)
            count += 1
        pending = UploadSession.objects.filter(
            owner_id=owner_id, status__in=[UploadStatus.PENDING, UploadStatus.COMPLETING]
        )
        _schedule_deletion(pending.values_list("storage_key", flat=True))
        # Every upload record goes too (file names are the person's words); the objects of the
        # unfinished ones are deleted through StorageDeletion above.
        UploadSession.objects.filter(owner_id=owner_id).delete()
        # Their memberships name them too; a deleted account reads nothing any more.
        AudienceMember.objects.filter(user_id=owner_id).delete()
    return count


# -- references from other services -----------------------------------------------------------


def attach_references(
    *,
    service: str,
    object_type: str,
    object_id: str,
    file_ids: Iterable[UUID],
    audience: str = "",
) -> int:
    """`<service>.media.attached`: the object uses these files; they are kept. With an
    `audience`, its members may read them (private files) while the reference lasts."""
    with transaction.atomic():
        # Locked so a concurrent cleanup either sees the reference or has deleted the file.
        files = list(MediaFile.objects.select_for_update().filter(id__in=list(file_ids)).only("id"))
        MediaReference.objects.bulk_create(
            [
                MediaReference(
                    file=file,
                    service=service,
                    object_type=object_type,
                    object_id=object_id,
                    audience=audience,
                )
                for file in files
            ],
            ignore_conflicts=True,
        )
        if audience:
            # Attached before without an audience (or another one): the latest word counts.
            MediaReference.objects.filter(
                file__in=files, service=service, object_type=object_type, object_id=object_id
            ).exclude(audience=audience).update(audience=audience)
        MediaFile.objects.filter(
            id__in=[file.id for file in files], unreferenced_since__isnull=False
        ).update(unreferenced_since=None)
    return len(files)


def detach_references(
    *, service: str, object_type: str, object_id: str, file_ids: Iterable[UUID] | None = None
) -> int:
    """`<service>.media.detached`: the object no longer uses these files (all of them when
    `file_ids` is None, e.g. the object was deleted). Files left unreferenced are removed after
    the grace period."""
    with transaction.atomic():
        references = MediaReference.objects.filter(
            service=service, object_type=object_type, object_id=object_id
        )
        if file_ids is not None:
            references = references.filter(file_id__in=list(file_ids))
        affected = set(references.values_list("file_id", flat=True))
        references.delete()
        still_used = set(
            MediaReference.objects.filter(file_id__in=affected).values_list("file_id", flat=True)
        )
        MediaFile.objects.filter(
            id__in=affected - still_used, unreferenced_since__isnull=True
        ).update(unreferenced_since=timezone.now())
    return len(affected)


# -- audiences: who may read private files another service uses -----------------------------


def apply_access_change(
    *,
    service: str,
    audience: str,
    granted: bool,
    user_ids: list[UUID] | None,
    occurred_at: datetime,
) -> int:
    """`<service>.media.access_granted` / `.access_revoked` (`user_ids=None`: everyone).

    Changes are ordered by `occurred_at`: one older than what was applied last for the member
    (or than a revocation of everyone) is ignored, so redeliveries, replays and late copies are
    harmless. On equal times a revocation wins. Returns how many memberships changed."""
    with transaction.atomic():
        if user_ids is None:
            return _revoke_everyone(service=service, audience=audience, at=occurred_at)
        reset = AudienceReset.objects.filter(service=service, audience=audience).first()
        if granted and reset is not None and reset.revoked_at >= occurred_at:
            return 0
        # A deleted account reads nothing, and no row may name it (its memberships went with
        # the deletion; a revocation arriving later on another topic must not write one back).
        wanted = set(user_ids) - set(
            UserRef.objects.filter(id__in=user_ids, is_deleted=True).values_list("id", flat=True)
        )
        rows = {
            row.user_id: row
            for row in AudienceMember.objects.select_for_update().filter(
                service=service, audience=audience, user_id__in=wanted
            )
        }
        changed = []
        for row in rows.values():
            newer = row.changed_at < occurred_at if granted else row.changed_at <= occurred_at
            if newer:
                row.granted, row.changed_at = granted, occurred_at
                changed.append(row)
        AudienceMember.objects.bulk_update(changed, ["granted", "changed_at"])
        # Revocations of unknown members are kept too: a grant delivered later is older.
        created = AudienceMember.objects.bulk_create(
            [
                AudienceMember(
                    service=service,
                    audience=audience,
                    user_id=user_id,
                    granted=granted,
                    changed_at=occurred_at,
                )
                for user_id in wanted - set(rows)
            ],
            ignore_conflicts=True,
        )
    return len(changed) + len(created)


def _revoke_everyone(*, service: str, audience: str, at: datetime) -> int:
    reset, created = AudienceReset.objects.select_for_update().get_or_create(
        service=service, audience=audience, defaults={"revoked_at": at}
    )
    if not created and reset.revoked_at < at:
        reset.revoked_at = at
        reset.save(update_fields=["revoked_at"])
    return AudienceMember.objects.filter(
        service=service, audience=audience, changed_at__lte=at, granted=True
    ).update(granted=False, changed_at=at)


# -- housekeeping (Celery beat) ---------------------------------------------------------------


def purge_deletions(
    *, ids: list[int] | None = None, limit: int = 500, now: datetime | None = None
) -> int:
    """Delete due objects from storage, then their rows. Failures are kept for the next run."""
    due = StorageDeletion.objects.filter(not_before__lte=now or timezone.now())
    if ids is not None:
        due = due.filter(id__in=ids)
    rows = list(due.order_by("id")[:limit])
    if not rows:
        return 0
    try:
        get_storage().delete_many([row.key for row in rows])
    except Exception as exc:
        StorageDeletion.objects.filter(id__in=[row.id for row in rows]).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning("storage purge failed; will retry", extra={"error": str(exc)})
        return 0
    StorageDeletion.objects.filter(id__in=[row.id for row in rows]).delete()
    return len(rows)


def _cleanup_scope() -> Q:
    """Failed files always; others only for purposes whose users publish references."""
    purposes = settings.MEDIA_UNREFERENCED_CLEANUP_PURPOSES
    if "*" in purposes:
        return Q()
    return Q(status=Status.FAILED) | Q(purpose__in=purposes)


def cleanup_unreferenced(*, now: datetime | None = None, limit: int = 200) -> int:
    """Files nothing has referenced for MEDIA_UNREFERENCED_GRACE_SECONDS are deleted."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MEDIA_UNREFERENCED_GRACE_SECONDS)
    scope = _cleanup_scope()
    candidates = list(
        MediaFile.objects.filter(scope, unreferenced_since__lt=cutoff).values_list("id", flat=True)[
            :limit
        ]
    )
    deleted = 0
    for file_id in candidates:
        with transaction.atomic():
            file = (
                MediaFile.objects.select_for_update()
                .filter(scope, id=file_id, unreferenced_since__lt=cutoff)
                .first()
            )
            if file is None or MediaReference.objects.filter(file_id=file_id).exists():
                continue
            _delete(file, reason="unreferenced", actor=None)
            deleted += 1
    return deleted


def expire_uploads(*, now: datetime | None = None) -> int:
    """Direct uploads never completed: their objects are deleted. Old finished ones forgotten."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = UploadSession.objects.filter(
            status__in=[UploadStatus.PENDING, UploadStatus.COMPLETING],
            expires_at__lt=now - COMPLETE_GRACE,
        )
        keys = list(stale.values_list("storage_key", flat=True))
        _schedule_deletion(keys)
        stale.update(status=UploadStatus.EXPIRED, updated_at=now)
    UploadSession.objects.filter(
        status__in=[UploadStatus.COMPLETED, UploadStatus.REJECTED, UploadStatus.EXPIRED],
        updated_at__lt=now - FINISHED_UPLOADS_KEPT,
    ).delete()
    return len(keys)


def requeue_stale_processing(*, now: datetime | None = None) -> int:
    """Videos still processing (or converting) long after their last step lost their task (a
    broker restart, a killed worker): queue them again, and give up after
    MAX_PROCESSING_ATTEMPTS."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.MEDIA_PROCESSING_STALE_SECONDS)
    stale = list(MediaFile.objects.filter(status=Status.PROCESSING, updated_at__lt=cutoff)[:200])
    # Read before the processing is queued again (an eager run would make it one of these).
    stale_conversions = list(
        MediaFile.objects.filter(
            status=Status.READY,
            conversion_status__in=[Conversion.QUEUED, Conversion.CONVERTING],
            updated_at__lt=cutoff,
        )[:200]
    )
    count = 0
    for file in stale:
        if file.processing_attempts >= MAX_PROCESSING_ATTEMPTS:
            fail_file(
                file_id=file.id,
                code="processing_error",
                message=_("The video could not be processed after %(n)s attempts.")
                % {"n": file.processing_attempts},
            )
            continue
        MediaFile.objects.filter(id=file.id).update(updated_at=now)
        _enqueue_video(file.id)
        count += 1
    for file in stale_conversions:
        if file.conversion_attempts >= MAX_PROCESSING_ATTEMPTS:
            fail_conversion(
                file_id=file.id,
                code="processing_error",
                message=_("The video could not be converted after %(n)s attempts.")
                % {"n": file.conversion_attempts},
            )
            continue
        MediaFile.objects.filter(id=file.id).update(updated_at=now)
        _enqueue_conversion(file.id)
        count += 1
    return count
