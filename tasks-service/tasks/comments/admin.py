"""Comments in Django admin: read, search, and remove (removal keeps the row as a tombstone
through the model's fields, as the API does)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tasks.comments import services
from tasks.comments.models import Comment


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "author", "short_body", "created_at", "deleted_at")
    list_select_related = ("task", "author")
    search_fields = ("=id", "=task__id", "author__username", "body")
    readonly_fields = ("id", "task", "author", "body", "mentioned", "created_at", "edited_at")
    list_filter = (("deleted_at", admin.EmptyFieldListFilter),)
    ordering = ("-id",)
    show_full_result_count = False
    actions = ["remove_comments"]

    def short_body(self, obj: Comment) -> str:
        return obj.body[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Remove the selected comments (text emptied)")
    def remove_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        for comment in queryset.filter(deleted_at__isnull=True):
            services.remove_comment(comment=comment)
