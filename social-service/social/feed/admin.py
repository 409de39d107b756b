"""Feed state in Django admin, read-only (timelines are caches the services rebuild)."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.feed.models import FeedRepair, FeedState, TimelineEntry


@admin.register(FeedState)
class FeedStateAdmin(ReadOnlyAdmin):
    list_display = ("user", "built_at", "last_read_at")
    search_fields = ("user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-last_read_at",)
    show_full_result_count = False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    """The table backend's timelines (empty when timelines live in Redis)."""

    list_display = ("user_id", "post_id", "page_id")
    search_fields = ("=user_id", "=post_id", "=page_id")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(FeedRepair)
class FeedRepairAdmin(ReadOnlyAdmin):
    """Timeline/card work kept while Redis was away, waiting for its replay (outage.py)."""

    list_display = ("id", "post_id", "new_big_pages_version", "created_at")
    ordering = ("id",)
    show_full_result_count = False
