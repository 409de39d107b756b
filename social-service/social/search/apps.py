from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "social.search"
    label = "social_search"
    default_auto_field = "django.db.models.BigAutoField"
