"""Calendar feeds in Django admin: who has which, read-only (no secrets are stored); staff may
delete one, which revokes its address."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasks.calendar.models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "kind", "room", "created_at", "last_fetched_at")
    list_select_related = ("owner", "room")
    list_filter = ("kind",)
    search_fields = ("=id", "=owner__id", "owner__username", "=room__id")
    readonly_fields = ("id", "owner", "kind", "room", "created_at", "rotated_at", "last_fetched_at")
    exclude = ("token_digest",)
    ordering = ("-id",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
