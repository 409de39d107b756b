from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "habits.tracking"
    label = "tracking"
    verbose_name = "Habits"
    default_auto_field = "django.db.models.BigAutoField"
