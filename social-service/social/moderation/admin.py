"""Reports and the moderation record in Django admin: read-only. Moderators resolve reports and
act through the API, which records the action, announces it (so the author is told) and applies
it; the record itself is never edited."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.moderation.models import ModerationAction, Report


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "target_type", "target_id", "reporter", "status", "created_at")
    list_filter = ("status", "target_type")
    search_fields = ("=id", "=target_id", "reporter__username", "=reporter__id", "reason")
    list_select_related = ("reporter",)
    ordering = ("-id",)
    date_hierarchy = "created_at"


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "target_type", "target_id", "actor_id", "actor_role")
    list_filter = ("action", "target_type", "actor_role")
    search_fields = ("=id", "=target_id", "=actor_id", "=target_owner_id", "reason")
    ordering = ("-id",)
    date_hierarchy = "created_at"
