"""MediaFile moves from posts to pages (pages check avatars against it and sit below posts in
the layer order). Only Django's idea of the model moves: the table keeps its name and rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("social_pages", "0004_page_owner_inactive"),
        ("social_posts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MediaFile",
                    fields=[
                        ("id", models.UUIDField(primary_key=True, serialize=False)),
                        ("owner_id", models.UUIDField(db_index=True)),
                        ("purpose", models.CharField(blank=True, default="", max_length=32)),
                        ("status", models.CharField(blank=True, default="", max_length=32)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={"db_table": "social_posts_mediafile"},
                ),
            ],
            database_operations=[],
        ),
    ]
