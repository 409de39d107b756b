"""Import jobs in Django admin, read-only: an operator sees what ran, how far and why it failed
(the file itself is never shown)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from habits.card_transfer.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "percent", "owner", "created_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("=id", "owner__username", "=owner__id")
    raw_id_fields = ("owner", "deck")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
