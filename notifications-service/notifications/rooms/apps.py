from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "notifications.rooms"
    label = "rooms"
    verbose_name = "Task rooms"
    default_auto_field = "django.db.models.BigAutoField"
