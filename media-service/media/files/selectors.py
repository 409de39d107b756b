"""Reads: the owner's files, who may see a file, and the URLs to read it with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from cotask_common.errors import NotFound, ServiceError
from cotask_common.roles import can_moderate
from cotask_common.security.tokens import TokenUser
from media.files.models import (
    AudienceMember,
    Kind,
    MediaFile,
    MediaReference,
    Status,
    UploadSession,
    UploadStatus,
)
from media.files.storage import get_storage

ORIGINAL = "original"


def files_for_owner(
    *, owner_id: UUID, purpose: str | None = None, status: str | None = None
) -> QuerySet[MediaFile]:
    files = MediaFile.objects.filter(owner_id=owner_id)
    if purpose:
        files = files.filter(purpose=purpose)
    if status:
        files = files.filter(status=status)
    return files.order_by("-id")


def find_duplicate(
    *, owner_id: UUID, purpose: str, visibility: str, sha256: str
) -> MediaFile | None:
    return (
        MediaFile.objects.filter(
            owner_id=owner_id, purpose=purpose, visibility=visibility, sha256=sha256
        )
        .exclude(status=Status.FAILED)
        .first()
    )


def can_view(*, user: TokenUser, file: MediaFile) -> bool:
    """Public files: anyone signed in. Private files: the owner, and the members of an audience
    the file is attached to (`<service>.media.attached` with an `audience`, members from
    `<service>.media.access_granted` / `.access_revoked`; see cotask_common.media_access).

    This is the one place where access is decided."""
    if file.is_public or file.owner_id == user.id:
        return True
    return in_audience_of(user_id=user.id, file_id=file.id)


def in_audience_of(*, user_id: UUID, file_id: UUID) -> bool:
    """Whether a reference to the file names an audience of which the user is a member now
    (one query: the reference's service scopes the audience)."""
    members = AudienceMember.objects.filter(
        service=OuterRef("service"), audience=OuterRef("audience"), user_id=user_id, granted=True
    )
    return (
        MediaReference.objects.filter(file_id=file_id)
        .exclude(audience="")
        .filter(Exists(members))
        .exists()
    )


def can_delete(*, user: TokenUser, file: MediaFile) -> bool:
    return file.owner_id == user.id or can_moderate(user)


def visible_file(*, user: TokenUser, file_id: UUID) -> MediaFile:
    """The file if `user` may see it; otherwise 404 (a private file's existence is not told)."""
    file = MediaFile.objects.filter(id=file_id).first()
    if file is None or not can_view(user=user, file=file):
        raise NotFound(_("No such file."), code="file_not_found")
    return file


def upload_for_owner(*, owner_id: UUID, upload_id: UUID) -> UploadSession:
    upload = UploadSession.objects.filter(id=upload_id, owner_id=owner_id).first()
    if upload is None:
        raise NotFound(_("No such upload."), code="upload_not_found")
    return upload


def upload_accepts_data(*, storage_key: str) -> bool:
    """A direct upload's object may be written only while the upload is `pending`: once
    `complete` has claimed it, nothing may change what is being checked."""
    try:
        upload_id = UUID(storage_key.rsplit("/", 1)[-1])  # incoming/<owner>/<upload id>
    except ValueError:
        return False
    return UploadSession.objects.filter(
        id=upload_id, storage_key=storage_key, status=UploadStatus.PENDING
    ).exists()


@dataclass(frozen=True)
class Rendition:
    name: str
    key: str
    content_type: str
    width: int | None
    height: int | None
    size: int


def renditions(file: MediaFile) -> dict[str, Rendition]:
    found = {
        ORIGINAL: Rendition(
            ORIGINAL, file.storage_key, file.content_type, file.width, file.height, file.stored_size
        )
    }
    for name, variant in file.variants.items():
        found[name] = Rendition(
            name,
            variant["key"],
            variant["content_type"],
            variant.get("width"),
            variant.get("height"),
            variant.get("size", 0),
        )
    return found


def public_urls(file: MediaFile) -> dict[str, str | None]:
    """Plain URLs of a public file's renditions (None for private files): string work only."""
    if not file.is_public or file.status == Status.FAILED:
        return {name: None for name in renditions(file)}
    storage = get_storage()
    return {name: storage.public_url(r.key) for name, r in renditions(file).items()}


def disposition(file: MediaFile, rendition: Rendition) -> str:
    """Documents download; images and videos display (in a sandbox, see nginx /media/)."""
    filename = file.filename
    if rendition.name != ORIGINAL:
        stem = filename.rsplit(".", 1)[0] if "." in filename else filename
        filename = f"{stem}-{rendition.name}.{rendition.key.rsplit('.', 1)[-1]}"
    header = content_disposition_header(file.kind == Kind.DOCUMENT, filename)
    return header or "attachment"


@dataclass(frozen=True)
class AccessUrl:
    url: str
    variant: str
    expires_at: datetime | None
    content_type: str


def access_url(
    *, user: TokenUser, file_id: UUID, variant: str = ORIGINAL, expires_in: int | None = None
) -> AccessUrl:
    file = visible_file(user=user, file_id=file_id)
    if file.status == Status.FAILED:
        raise ServiceError(
            _("The file failed processing (%(code)s) and has no content.")
            % {"code": file.failure_code},
            code="file_failed",
            status_code=409,
        )
    available = renditions(file)
    rendition = available.get(variant)
    if rendition is None:
        raise ServiceError.for_field(
            "variant",
            _("This file has no %(variant)s; it has: %(available)s.")
            % {"variant": variant, "available": ", ".join(available)},
            code="variant_not_found",
        )
    storage = get_storage()
    if file.is_public:
        return AccessUrl(storage.public_url(rendition.key), variant, None, rendition.content_type)
    limit = settings.MEDIA_SIGNED_URL_TTL_SECONDS
    ttl = max(1, min(expires_in or limit, limit))
    url = storage.signed_download_url(
        rendition.key,
        expires_in=ttl,
        content_type=rendition.content_type,
        disposition=disposition(file, rendition),
    )
    return AccessUrl(url, variant, timezone.now() + timedelta(seconds=ttl), rendition.content_type)
