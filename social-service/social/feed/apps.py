from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "social.feed"
    label = "social_feed"
    default_auto_field = "django.db.models.BigAutoField"
