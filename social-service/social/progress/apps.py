from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "social.progress"
    label = "social_progress"
    default_auto_field = "django.db.models.BigAutoField"
