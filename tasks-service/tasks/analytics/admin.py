"""The analytics tables in Django admin, read only (the consumer and the rebuild write them)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tasks.analytics.models import CurrentCount, DayTotals, TaskFact


class ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TaskFact)
class TaskFactAdmin(ReadOnly):
    list_display = ("task_id", "room_id", "status", "priority", "deadline", "created_at")
    search_fields = ("=task_id", "=room_id")


@admin.register(DayTotals)
class DayTotalsAdmin(ReadOnly):
    list_display = ("room_id", "user_id", "day", "created", "completed", "due")
    search_fields = ("=room_id", "=user_id")


@admin.register(CurrentCount)
class CurrentCountAdmin(ReadOnly):
    list_display = ("room_id", "user_id", "metric", "n")
    search_fields = ("=room_id", "=user_id")
