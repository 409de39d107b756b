"""Read-only admin views: the outbox and processed events are written only by code."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cotask_common.events.models import OutboxEvent, ProcessedEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "type", "key", "published_at", "attempts", "short_error")
    list_filter = ("topic", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("=id", "type", "key")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"

    @admin.display(description="last error")
    def short_error(self, obj: OutboxEvent) -> str:
        return obj.last_error[:80]


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ("handled_at", "type", "event_id")
    list_filter = ("type",)
    search_fields = ("=event_id", "type")
    ordering = ("-handled_at",)
    date_hierarchy = "handled_at"
