from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "social.posts"
    label = "social_posts"
    default_auto_field = "django.db.models.BigAutoField"
