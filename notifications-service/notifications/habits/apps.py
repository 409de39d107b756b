from django.apps import AppConfig


class HabitNoticesConfig(AppConfig):
    name = "notifications.habits"
    label = "habit_notices"
    verbose_name = "Habit notices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The four notification types exist before the inbox's serializers list them.
        from notifications.habits import types  # noqa: F401
