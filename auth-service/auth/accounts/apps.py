from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "auth.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auth.accounts import schema  # noqa: F401 - registers the OpenAPI auth extension
