from django.urls import path

from habits.tracking import reminder_apis

urlpatterns = [
    path(
        "habits/<str:habit_id>/reminders/",
        reminder_apis.ReminderListApi.as_view(),
        name="habit-reminders",
    ),
    path(
        "habits/<str:habit_id>/reminders/<str:local_time>/",
        reminder_apis.ReminderDetailApi.as_view(),
        name="habit-reminder",
    ),
]
