"""Follows, blocks and statistics of pages, and media files, in Django admin: read-only. Every
change to them is announced to other services and moves counters in the same transaction, which
only the services do. The admin of pages themselves, whose changelist blocks and unblocks them,
is in social/moderation/admin.py: moderation sits above the pages app."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.pages.models import Follow, MediaFile, PageBlock, PageDailyStat


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


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin):
    """media-service's files as this service knows them (from `media.file.*` events)."""

    list_display = ("id", "owner_id", "purpose", "status", "updated_at")
    list_filter = ("purpose", "status")
    search_fields = ("=id", "=owner_id")
