from django.contrib import admin

from tasks.reminders.models import Reminder, ReminderSettings, TaskReminderOverride


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("task", "user", "kind", "minutes_before", "remind_at", "sent_at")
    list_filter = ("kind",)
    raw_id_fields = ("task", "user")
    list_select_related = ("task", "user")


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "offsets_minutes", "all_day_time")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(TaskReminderOverride)
class TaskReminderOverrideAdmin(admin.ModelAdmin):
    list_display = ("task", "offsets_minutes", "updated_at")
    raw_id_fields = ("task", "updated_by")
    list_select_related = ("task",)
