from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "tasks.planning"
    label = "planning"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"
