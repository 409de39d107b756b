from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "auth.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"
