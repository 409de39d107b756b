"""Files, direct uploads in progress, references from other services, and pending deletions.

Owners are user ids from the token, not foreign keys: a file may arrive before this service has
projected its owner's account (auth-service's events are asynchronous).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cotask_common.ids import uuid7
from media.files.purposes import PURPOSES


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public (plain URL)"
    PRIVATE = "private", "Private (signed URLs only)"


class Kind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    DOCUMENT = "document", "Document"


class Status(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Conversion(models.TextChoices):
    """A video's transcoding to the MP4 renditions, after it is `ready` (probed, poster made)."""

    QUEUED = "queued", "Queued"
    CONVERTING = "converting", "Converting"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


PURPOSE_CHOICES = [(name, name.replace("_", " ")) for name in PURPOSES]


class MediaFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner_id = models.UUIDField()
    purpose = models.CharField(max_length=32, choices=PURPOSE_CHOICES)
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField(help_text="Bytes of the upload as received.")
    sha256 = models.CharField(max_length=64, help_text="Of the upload as received (dedup key).")
    storage_key = models.CharField(max_length=512, help_text="The stored original.")
    stored_size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds (video).")
    video_codec = models.CharField(max_length=32, blank=True, default="")
    audio_codec = models.CharField(max_length=32, blank=True, default="")
    # {"thumbnail": {"key", "content_type", "width", "height", "size"}, "medium": {...}, ...}
    variants = models.JSONField(default=dict, blank=True)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.TextField(blank=True, default="")
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    # Videos only ("" otherwise): the MP4 renditions' transcoding. The uploaded original is kept
    # until it succeeds (and when it fails, with the reason below).
    conversion_status = models.CharField(
        max_length=16, choices=Conversion.choices, blank=True, default=""
    )
    conversion_progress = models.PositiveSmallIntegerField(default=0, help_text="Percent.")
    conversion_error_code = models.CharField(max_length=64, blank=True, default="")
    conversion_error = models.TextField(blank=True, default="")
    conversion_attempts = models.PositiveSmallIntegerField(default=0)
    # Set while no other service references the file; it is removed after the grace period.
    unreferenced_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The owner's list, newest first (cursor pagination on -id).
            models.Index(fields=["owner_id", "-id"], name="mediafile_owner_idx"),
            models.Index(
                fields=["unreferenced_since"],
                name="mediafile_unreferenced_idx",
                condition=Q(unreferenced_since__isnull=False),
            ),
            models.Index(
                fields=["updated_at"],
                name="mediafile_processing_idx",
                condition=Q(status="processing"),
            ),
            models.Index(
                fields=["updated_at"],
                name="mediafile_converting_idx",
                condition=Q(conversion_status__in=["queued", "converting"]),
            ),
        ]
        constraints = [
            # The same content uploaded twice by one owner for one use is stored once.
            models.UniqueConstraint(
                fields=["owner_id", "purpose", "visibility", "sha256"],
                condition=~Q(status="failed"),
                name="mediafile_owner_content_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.id} ({self.status})"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def storage_keys(self) -> list[str]:
        # After a conversion the original's key is also a rendition's: listed once.
        return list(dict.fromkeys([self.storage_key, *(v["key"] for v in self.variants.values())]))


class UploadStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the upload"
    COMPLETING = "completing", "Being checked"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class UploadSession(models.Model):
    """A direct upload announced by a client: what it promised to send, and where."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner_id = models.UUIDField()
    purpose = models.CharField(max_length=32, choices=PURPOSE_CHOICES)
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=512, help_text="Under incoming/; never served.")
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.PENDING
    )
    expires_at = models.DateTimeField(help_text="When the upload URL stops working.")
    file = models.ForeignKey(MediaFile, null=True, blank=True, on_delete=models.SET_NULL)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "expires_at"], name="upload_status_expiry_idx")]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.status})"


class MediaReference(models.Model):
    """Another service uses the file (a post, a task, a message), as announced by its events."""

    file = models.ForeignKey(MediaFile, on_delete=models.CASCADE, related_name="references")
    service = models.CharField(max_length=32)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    # Whose members may read the file while this reference lasts (`page:<id>`, `room:<id>`),
    # from the `audience` of `<service>.media.attached`; "" = none. Scoped by `service`.
    audience = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["file", "service", "object_type", "object_id"],
                name="mediareference_unique",
            )
        ]
        indexes = [
            models.Index(fields=["service", "object_type", "object_id"], name="mediaref_object_idx")
        ]

    def __str__(self) -> str:
        return f"{self.service}.{self.object_type}:{self.object_id} -> {self.file_id}"


class AudienceMember(models.Model):
    """A user's membership of another service's audience, from `<service>.media.access_granted`
    / `.access_revoked`. A revocation stays as a row (`granted` false) so that an older grant
    delivered late cannot bring the access back: `changed_at` is the `occurred_at` of the
    change applied last, and older changes are ignored."""

    service = models.CharField(max_length=32)
    audience = models.CharField(max_length=128)
    user_id = models.UUIDField()
    granted = models.BooleanField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Also the index of the access check (service, audience, user).
            models.UniqueConstraint(
                fields=["service", "audience", "user_id"], name="audiencemember_unique"
            )
        ]

    def __str__(self) -> str:
        state = "member" if self.granted else "revoked"
        return f"{self.user_id} in {self.service}.{self.audience} ({state})"


class AudienceReset(models.Model):
    """Everyone's access to an audience was revoked at `revoked_at` (the audience is gone):
    grants that occurred before it are ignored, even for users without a member row."""

    service = models.CharField(max_length=32)
    audience = models.CharField(max_length=128)
    revoked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "audience"], name="audiencereset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service}.{self.audience} revoked at {self.revoked_at}"


class StorageDeletion(models.Model):
    """An object to delete from storage: written in the same transaction that stops using it
    (or before an upload writes it), so a crash can never leave an orphan behind. The purge
    task deletes the object, then the row; `not_before` protects uploads still in progress."""

    key = models.CharField(max_length=512)
    not_before = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["not_before"], name="storagedeletion_due_idx")]

    def __str__(self) -> str:
        return self.key
