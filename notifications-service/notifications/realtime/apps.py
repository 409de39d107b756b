from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "notifications.realtime"
    label = "realtime"
    verbose_name = "Realtime push"
