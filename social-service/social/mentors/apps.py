from django.apps import AppConfig


class MentorsConfig(AppConfig):
    name = "social.mentors"
    label = "social_mentors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from social.core.activity import register
        from social.mentors.services import touch_activity

        # Posts and chat (below this app) report a person's activity through this hook.
        register(lambda user_id: touch_activity(user_id=user_id))
