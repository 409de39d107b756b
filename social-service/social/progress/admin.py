"""Progress settings and mutes in Django admin, read-only (people change their own)."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from social.progress.models import ProgressMute, ProgressSettings


@admin.register(ProgressSettings)
class ProgressSettingsAdmin(ReadOnlyAdmin):
    list_display = (
        "user",
        "task_completed",
        "streak_milestone",
        "cards_daily",
        "cards_weekly",
        "plan_accepted",
        "room_milestone",
        "language",
    )
    search_fields = ("user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-updated_at",)
    show_full_result_count = False


@admin.register(ProgressMute)
class ProgressMuteAdmin(ReadOnlyAdmin):
    list_display = ("user", "person", "created_at")
    search_fields = ("user__username", "person__username")
    list_select_related = ("user", "person")
    ordering = ("-id",)
    show_full_result_count = False
