from django.urls import path

from tasks.reminders import apis

urlpatterns = [
    path("reminder-settings/", apis.ReminderSettingsApi.as_view(), name="reminder-settings"),
    path("tasks/<str:task_id>/reminders/", apis.TaskRemindersApi.as_view(), name="task-reminders"),
    path("reminders/", apis.MyRemindersApi.as_view(), name="my-reminders"),
    path("reminders/<str:reminder_id>/snooze/", apis.SnoozeApi.as_view(), name="reminder-snooze"),
]
