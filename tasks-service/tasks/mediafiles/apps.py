from django.apps import AppConfig


class MediaFilesConfig(AppConfig):
    name = "tasks.mediafiles"
    label = "mediafiles"
    verbose_name = "Media files (projection)"
    default_auto_field = "django.db.models.BigAutoField"
