"""media-service's files as tasks-service knows them: read-only."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from tasks.mediafiles.models import MediaFile


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin):
    list_display = ("id", "owner_id", "purpose", "status", "updated_at")
    list_filter = ("purpose", "status")
    search_fields = ("=id", "=owner_id")
