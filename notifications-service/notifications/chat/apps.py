from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "notifications.chat"
    label = "chat"
    verbose_name = "Chat delivery"
    default_auto_field = "django.db.models.BigAutoField"
