"""MediaFile now belongs to pages (social_pages 0005): posts forgets it, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("social_posts", "0001_initial"),
        ("social_pages", "0005_mediafile_moved_from_posts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="MediaFile")],
            database_operations=[],
        ),
    ]
