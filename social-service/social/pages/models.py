"""Pages (a personal page per user, and any number of others), follows, per-page user blocks and
the counters behind page statistics, and the projection of media-service's files (avatars and
post files are checked against it)."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.media_files import MediaFileProjection
from cotask_common.users.models import UserRef


class Page(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal"
        PAGE = "page"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="pages")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PAGE)
    handle = models.CharField(max_length=40)
    # Handles are unique regardless of case: the lower-cased copy carries the unique index.
    handle_key = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    avatar_id = models.UUIDField(null=True, blank=True)
    links = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    is_private = models.BooleanField(default=False)

    # Moderation state. `is_blocked` is the one flag readers filter on; it is recomputed from
    # the reasons below whenever one of them changes (see moderation.services).
    is_blocked = models.BooleanField(default=False, db_index=True)
    blocked_until = models.DateTimeField(null=True, blank=True)
    blocked_permanently = models.BooleanField(default=False)
    block_reason = models.TextField(blank=True, default="")
    owner_banned = models.BooleanField(default=False)
    # The owner's account was deactivated by staff (auth `is_active`): blocked like a ban.
    owner_inactive = models.BooleanField(default=False)

    # Counters kept current by the services that change them (statistics read only these).
    followers_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    likes_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)
    # Likes on the comments under the page's posts (`likes_count` is likes on the posts). The
    # database default keeps raw inserts that predate the column (bench COPY) working.
    comment_likes_count = models.PositiveIntegerField(default=0, db_default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "kind"], name="page_owner_kind_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(kind="personal"),
                name="page_one_personal_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class PageTag(models.Model):
    """One row per (page, tag), so pages are found by tag through an index."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "page"], name="pagetag_unique")]

    def __str__(self) -> str:
        return f"#{self.tag}"


class Follow(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="follows")
    status = models.CharField(max_length=16, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "user"], name="follow_unique")]
        indexes = [
            models.Index(fields=["page", "status", "-id"], name="follow_page_status_idx"),
            models.Index(fields=["user", "status", "-id"], name="follow_user_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.page_id} ({self.status})"


class PageBlock(models.Model):
    """A user the page's owner blocked: they can no longer follow or see the page."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="user_blocks")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="page_blocks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "user"], name="pageblock_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} blocked from {self.page_id}"


class PageDailyStat(models.Model):
    """Per page and UTC day: what changed, for follower growth without scanning follows."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    followers_gained = models.PositiveIntegerField(default=0)
    followers_lost = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    comment_likes = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "day"], name="pagedaily_unique")]

    def __str__(self) -> str:
        return f"{self.page_id} {self.day}"


class MediaFile(MediaFileProjection):
    """What social-service knows of a media-service file, from `media.file.*` events."""

    # Lesson videos, from `media.video.ready` / `.failed`: {"conversion": "ready", "duration",
    # "poster", "renditions"} or {"conversion": "failed", "code"}; empty until then.
    video = models.JSONField(default=dict, blank=True)

    class Meta:
        # Its table from when posts owned it: the model moved (pages check avatars against it
        # and sit below posts), the rows did not.
        db_table = "social_posts_mediafile"
