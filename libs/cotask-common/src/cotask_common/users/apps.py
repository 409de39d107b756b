from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "cotask_common.users"
    label = "cotask_users"
    verbose_name = "User projection"
    default_auto_field = "django.db.models.BigAutoField"
