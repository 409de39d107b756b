from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tasks.analytics"
    label = "analytics"
    verbose_name = "Task analytics"
    default_auto_field = "django.db.models.BigAutoField"
