"""Pages and follows in Django admin: read-only. Every change to them is announced to other
services and moves counters in the same transaction, which only the services do; moderators
block and unblock pages with the changelist's actions, which call the moderation services
(see social/moderation/admin_actions.py)."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.moderation.admin_actions import (
    BLOCK_PAGES,
    UNBLOCK_PAGES,
    ModerationActionsMixin,
    moderation_action,
)
from social.pages.models import Follow, Page, PageBlock, PageDailyStat


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


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ("user", "page", "status", "created_at", "approved_at")
    list_filter = ("status",)
    search_fields = ("=id", "page__handle_key", "=page__id", "user__username", "=user__id")
    list_select_related = ("user", "page")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(PageBlock)
class PageBlockAdmin(ReadOnlyAdmin):
    list_display = ("user", "page", "created_at")
    search_fields = ("page__handle_key", "=page__id", "user__username", "=user__id")
    list_select_related = ("user", "page")
    ordering = ("-id",)


@admin.register(PageDailyStat)
class PageDailyStatAdmin(ReadOnlyAdmin):
    list_display = (
        "page",
        "day",
        "followers_gained",
        "followers_lost",
        "posts",
        "likes",
        "comments",
        "comment_likes",
    )
    search_fields = ("page__handle_key", "=page__id")
    list_select_related = ("page",)
    ordering = ("-day", "-id")
    date_hierarchy = "day"
    show_full_result_count = False
