from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "media.files"
    label = "files"
    verbose_name = "Media files"

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.models.signals import post_migrate

        from media.files import storage

        # Tests switch storages with override_settings; the cached backend must follow.
        setting_changed.connect(storage.reset_on_setting_change)
        post_migrate.connect(storage.setup_after_migrate, sender=self)
