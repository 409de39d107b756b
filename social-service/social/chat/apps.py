from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "social.chat"
    label = "social_chat"
    default_auto_field = "django.db.models.BigAutoField"
