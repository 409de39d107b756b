from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "social.pages"
    label = "social_pages"
    default_auto_field = "django.db.models.BigAutoField"
