from django.apps import AppConfig


class SampleConfig(AppConfig):
    name = "testproject.sample"
    label = "sample"
    default_auto_field = "django.db.models.BigAutoField"
