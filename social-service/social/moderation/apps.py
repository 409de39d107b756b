from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "social.moderation"
    label = "social_moderation"
    default_auto_field = "django.db.models.BigAutoField"
