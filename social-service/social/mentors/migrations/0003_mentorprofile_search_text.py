"""The text search matches a mentor by (`MentorProfile.search_text`, written by
`services.set_profile`), filled in for the profiles that exist. The PostgreSQL search vector over
it and its index are social.search's (`0002_fulltext_posts_mentors`)."""

from django.db import migrations, models


def backfill(apps, schema_editor):  # noqa: ANN001, ARG001 - the RunPython signature
    from social.mentors.services import search_text

    profile_model = apps.get_model("social_mentors", "MentorProfile")
    for profile in profile_model.objects.select_related("page", "user").iterator():
        profile.search_text = search_text(
            names=[profile.page.handle, profile.page.name, profile.user.display_name],
            subjects=[s for s in profile.subjects if isinstance(s, str)],
            tags=list(profile.tags),
            bio=profile.bio,
        )
        profile.save(update_fields=["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("social_mentors", "0002_learning_requests"),
    ]

    operations = [
        migrations.AddField(
            model_name="mentorprofile",
            name="search_text",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
