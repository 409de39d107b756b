"""Likes in Django admin: read-only (changes go through the services, which
announce them and keep the counters and timelines right). The admin of posts and comments, whose
changelists delete them, is in social/moderation/admin.py: moderation sits above the posts app."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.posts.models import CommentLike, PostLike


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
