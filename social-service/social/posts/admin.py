"""Posts, comments and likes in Django admin: read-only (changes go through the services, which
announce them and keep the counters and timelines right). Moderators delete posts and comments
with the changelist's actions, which call the moderation services."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.moderation.admin_actions import (
    DELETE_COMMENTS,
    DELETE_POSTS,
    ModerationActionsMixin,
    moderation_action,
)
from social.posts.models import Comment, CommentLike, MediaFile, Post, PostLike


@admin.register(Post)
class PostAdmin(ModerationActionsMixin, ReadOnlyAdmin):
    list_display = ("id", "page", "short_text", "like_count", "comment_count", "created_at")
    list_filter = (
        ("deleted_at", admin.EmptyFieldListFilter),
        ("reply_to", admin.EmptyFieldListFilter),
    )
    search_fields = ("=id", "page__handle_key", "=page__id", "text")
    list_select_related = ("page",)
    ordering = ("-id",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = [moderation_action(DELETE_POSTS)]

    @admin.display(description="text")
    def short_text(self, obj: Post) -> str:
        return obj.text[:80]


@admin.register(Comment)
class CommentAdmin(ModerationActionsMixin, ReadOnlyAdmin):
    list_display = ("id", "author", "post_id", "short_text", "like_count", "created_at")
    list_filter = (
        ("deleted_at", admin.EmptyFieldListFilter),
        ("parent", admin.EmptyFieldListFilter),
    )
    search_fields = ("=id", "=post__id", "author__username", "=author__id", "text")
    list_select_related = ("author",)
    ordering = ("-id",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = [moderation_action(DELETE_COMMENTS)]

    @admin.display(description="text")
    def short_text(self, obj: Comment) -> str:
        return obj.text[:80]


@admin.register(PostLike)
class PostLikeAdmin(ReadOnlyAdmin):
    list_display = ("user", "post_id", "created_at")
    search_fields = ("=post__id", "user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(CommentLike)
class CommentLikeAdmin(ReadOnlyAdmin):
    list_display = ("user", "comment_id", "created_at")
    search_fields = ("=comment__id", "user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin):
    """media-service's files as this service knows them (from `media.file.*` events)."""

    list_display = ("id", "owner_id", "purpose", "status", "updated_at")
    list_filter = ("purpose", "status")
    search_fields = ("=id", "=owner_id")
