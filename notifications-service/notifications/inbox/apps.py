from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "notifications.inbox"
    label = "inbox"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
