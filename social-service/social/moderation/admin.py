"""Reports and the moderation record in Django admin: read-only. Moderators resolve reports
with the changelist's action, which calls the moderation service like the API does: it records
the action, announces it (so the reporter and the author are told) and applies it. The record
itself is never edited.

Pages, posts and comments are administered here too (read-only, like every admin of this
service): their changelists block and unblock pages and delete posts and comments through the
same actions, and moderation is the app that sits above pages and posts."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.moderation.admin_actions import (
    BLOCK_PAGES,
    DELETE_COMMENTS,
    DELETE_POSTS,
    RESOLVE_REPORTS,
    UNBLOCK_PAGES,
    ModerationActionsMixin,
    moderation_action,
)
from social.moderation.models import ModerationAction, Report
from social.pages.models import Page
from social.posts.models import Comment, Post


@admin.register(Report)
class ReportAdmin(ModerationActionsMixin, ReadOnlyAdmin):
    list_display = ("id", "target_type", "target_id", "reporter", "status", "created_at")
    list_filter = ("status", "target_type")
    search_fields = ("=id", "=target_id", "reporter__username", "=reporter__id", "reason")
    list_select_related = ("reporter",)
    ordering = ("-id",)
    date_hierarchy = "created_at"
    actions = [moderation_action(RESOLVE_REPORTS)]


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "target_type", "target_id", "actor_id", "actor_role")
    list_filter = ("action", "target_type", "actor_role")
    search_fields = ("=id", "=target_id", "=actor_id", "=target_owner_id", "reason")
    ordering = ("-id",)
    date_hierarchy = "created_at"


@admin.register(Page)
class PageAdmin(ModerationActionsMixin, ReadOnlyAdmin):
    list_display = (
        "handle",
        "name",
        "kind",
        "owner",
        "is_private",
        "is_blocked",
        "blocked_until",
        "followers_count",
        "posts_count",
        "created_at",
    )
    list_filter = ("kind", "is_private", "is_blocked", "owner_banned", "blocked_permanently")
    search_fields = ("handle_key", "name", "=id", "owner__username", "=owner__id")
    list_select_related = ("owner",)
    ordering = ("-id",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over a large table on every page
    actions = [moderation_action(BLOCK_PAGES), moderation_action(UNBLOCK_PAGES)]


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
