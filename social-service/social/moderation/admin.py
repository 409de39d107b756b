"""Reports and the moderation record in Django admin: read-only. Moderators resolve reports
with the changelist's action, which calls the moderation service like the API does: it records
the action, announces it (so the reporter and the author are told) and applies it. The record
itself is never edited."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.moderation.admin_actions import (
    RESOLVE_REPORTS,
    ModerationActionsMixin,
    moderation_action,
)
from social.moderation.models import ModerationAction, Report


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
