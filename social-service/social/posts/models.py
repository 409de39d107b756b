"""Posts (and replies, which are posts), comments and likes."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from social.pages.models import Page


class Post(models.Model):
    class Kind(models.TextChoices):
        POST = "post"
        # Written by social-service from another service's event (social.progress).
        PROGRESS = "progress"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # The database defaults keep raw inserts that predate the columns (bench COPY) working.
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.POST, db_default=Kind.POST
    )
    # A progress post's card for clients to render: {"kind", "figures", "names"}.
    progress = models.JSONField(null=True, blank=True)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="posts")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    text = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    mentions = models.JSONField(default=list, blank=True)  # handles, as written
    media_ids = models.JSONField(default=list, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    # Rank of the popular feed: log10(engagement) + created/45000 s, so newer posts need ten
    # times the engagement per 12.5 hours of age to rank as high (Reddit's "hot").
    hot_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["page", "-id"], name="post_page_id_idx"),
            models.Index(fields=["reply_to", "-id"], name="post_reply_idx"),
            models.Index(fields=["-hot_score", "-id"], name="post_hot_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.id}"


class PostTag(models.Model):
    """(tag, post) rows so the tag feed is one index range scan, newest first."""

    tag = models.CharField(max_length=40)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="tag_rows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "post"], name="posttag_unique")]

    def __str__(self) -> str:
        return f"#{self.tag}"


class PostLike(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="post_likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="postlike_unique")]
        indexes = [models.Index(fields=["user", "-id"], name="postlike_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    text = models.TextField()
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["post", "parent", "-id"], name="comment_post_idx")]

    def __str__(self) -> str:
        return f"comment {self.id}"


class CommentLike(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="comment_likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="commentlike_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.comment_id}"
