from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "tasks.reminders"
    label = "reminders"
    verbose_name = "Deadline reminders"
    default_auto_field = "django.db.models.BigAutoField"
