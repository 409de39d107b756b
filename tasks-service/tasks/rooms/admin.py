"""Rooms in Django admin: rooms with their members inline, labels, and the membership history
(read-only: every change of it is written by the services together with its event)."""

from __future__ import annotations

from django.contrib import admin

from cotask_common.events.admin import ReadOnlyAdmin
from tasks.rooms.models import Label, Membership, MembershipChange, Room


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    readonly_fields = ("user", "role", "joined_at")
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Members join and leave through the API, which tells media and notifications.
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "created_at")
    list_filter = ("kind",)
    search_fields = ("=id", "name", "owner__username", "=owner__id")
    list_select_related = ("owner",)
    ordering = ("-id",)
    show_full_result_count = False
    # Name and description only: owner, code and kind change through the services (events).
    fields = ("id", "kind", "name", "description", "owner", "join_code", "created_at")
    readonly_fields = ("id", "kind", "owner", "join_code", "created_at")
    inlines = [MembershipInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "color", "room", "created_at")
    search_fields = ("name", "=room__id", "room__name")
    list_select_related = ("room",)
    raw_id_fields = ("room",)
    ordering = ("-id",)


@admin.register(MembershipChange)
class MembershipChangeAdmin(ReadOnlyAdmin):
    list_display = ("room", "action", "actor", "subject", "role_before", "role_after", "created_at")
    list_filter = ("action",)
    search_fields = ("=room__id", "room__name", "subject__username", "actor__username")
    list_select_related = ("room", "actor", "subject")
    ordering = ("-id",)
