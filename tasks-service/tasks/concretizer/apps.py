from django.apps import AppConfig


class ConcretizerConfig(AppConfig):
    name = "tasks.concretizer"
    label = "concretizer"
    verbose_name = "Goal concretizer"
    default_auto_field = "django.db.models.BigAutoField"
