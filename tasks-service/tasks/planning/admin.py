"""Django admin for tasks (assignments inline) and their history (read-only). Edits made here
bypass the services: no history rows, no events; use it to look, and to repair."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from tasks.planning.models import Assignment, Task, TaskChange


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("assigned_at",)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "room", "status", "priority", "due_sort", "updated_at")
    list_filter = ("status", "priority")
    search_fields = ("=id", "title", "room__name")
    raw_id_fields = ("room", "parent", "creator", "completed_by")
    filter_horizontal = ()
    readonly_fields = ("id", "created_at", "updated_at", "series_id")
    exclude = ("labels", "blocked_by")
    inlines = [AssignmentInline]
    list_select_related = ("room",)


@admin.register(TaskChange)
class TaskChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "task", "field", "actor")
    list_filter = ("field",)
    search_fields = ("=task__id",)
    list_select_related = ("task", "actor")
