from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "tasks.calendar"
    label = "tasks_calendar"
    verbose_name = "Calendar feeds"
    default_auto_field = "django.db.models.BigAutoField"
