"""Habits in Django admin: habits with their pauses and reminders inline, check-ins. The cached
streak figures are read-only (they are a recount of the check-ins, kept by the services);
staff fix a name or a description, or delete spam."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from habits.tracking.models import Checkin, Habit, Pause, Reminder


class PauseInline(admin.TabularInline):
    model = Pause
    extra = 0
    fields = ("start_date", "end_date", "created_at")
    readonly_fields = ("start_date", "end_date", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Pauses move the streak: they change through the API, which re-evaluates it.
        return False


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    fields = ("local_time", "next_fire_at", "last_fired_day")
    readonly_fields = ("local_time", "next_fire_at", "last_fired_day")
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Habit)
class HabitAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "schedule_kind", "current_streak", "archived_at", "created_at")
    list_filter = ("schedule_kind", "kind")
    search_fields = ("=id", "name", "owner__username", "=owner__id")
    list_select_related = ("owner",)
    ordering = ("-id",)
    show_full_result_count = False
    readonly_fields = (
        "id",
        "owner",
        "kind",
        "target_value",
        "target_direction",
        "schedule_kind",
        "weekday_mask",
        "times",
        "interval_days",
        "start_date",
        "archived_at",
        "position",
        "current_streak",
        "best_streak",
        "freezes_held",
        "strength",
        "streak_started_on",
        "milestone_published",
        "evaluated_through",
        "next_evaluation_at",
        "created_at",
        "updated_at",
    )
    inlines = [PauseInline, ReminderInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # A renamed habit is announced like one renamed through the API.
        from habits.tracking.services import habit_saved_by_staff

        with transaction.atomic():
            super().save_model(request, obj, form, change)
            habit_saved_by_staff(habit=obj)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Deleting announces `habits.habit.deleted`: the owner does it through the API.
        return False


@admin.register(Checkin)
class CheckinAdmin(admin.ModelAdmin):
    list_display = ("habit", "day", "value", "updated_at")
    search_fields = ("=habit__id", "habit__name")
    list_select_related = ("habit",)
    raw_id_fields = ("habit",)
    ordering = ("-id",)
    show_full_result_count = False
    readonly_fields = ("habit", "day", "value", "created_at", "updated_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # An undo re-evaluates the streak: the owner does it through the API.
        return False


@admin.register(Pause)
class PauseAdmin(admin.ModelAdmin):
    list_display = ("habit", "start_date", "end_date", "created_at")
    search_fields = ("=habit__id", "habit__name")
    list_select_related = ("habit",)
    raw_id_fields = ("habit",)
    ordering = ("-id",)
    readonly_fields = ("habit", "start_date", "end_date", "created_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("habit", "local_time", "next_fire_at", "last_fired_day")
    search_fields = ("=habit__id", "habit__name")
    list_select_related = ("habit",)
    raw_id_fields = ("habit",)
    ordering = ("-id",)
    readonly_fields = ("habit", "local_time", "next_fire_at", "last_fired_day")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
