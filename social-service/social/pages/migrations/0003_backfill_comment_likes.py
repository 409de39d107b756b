"""Count the likes on comments given before comment likes were counted (0002).

A page's `comment_likes_count` is its comments' likes now (a like adds one, taking it back
subtracts one), so it is recomputed from the rows for every page. A day's `comment_likes` is the
likes given that day; likes given before 0002 and taken back since cannot be counted any more,
so a day gets at least the likes of that day still there, and a day counted live (which also
knows those taken back) keeps its figure.
"""

from typing import Any

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncDate


def backfill_comment_likes(apps: Any, schema_editor: Any) -> None:
    page_model = apps.get_model("social_pages", "Page")
    daily_model = apps.get_model("social_pages", "PageDailyStat")
    like_model = apps.get_model("social_posts", "CommentLike")
    page_key = "comment__post__page_id"

    totals = like_model.objects.values(page_key).annotate(likes=Count("id")).order_by()
    counted = set()
    for row in totals.iterator():
        counted.add(row[page_key])
        page_model.objects.filter(id=row[page_key]).update(comment_likes_count=row["likes"])
    page_model.objects.exclude(id__in=counted).exclude(comment_likes_count=0).update(
        comment_likes_count=0
    )

    per_day = (
        like_model.objects.annotate(day=TruncDate("created_at"))
        .values(page_key, "day")
        .annotate(likes=Count("id"))
        .order_by()
    )
    for row in per_day.iterator():
        stat, created = daily_model.objects.get_or_create(
            page_id=row[page_key], day=row["day"], defaults={"comment_likes": row["likes"]}
        )
        if not created and stat.comment_likes < row["likes"]:
            stat.comment_likes = row["likes"]
            stat.save(update_fields=["comment_likes"])


class Migration(migrations.Migration):
    dependencies = [
        ("social_pages", "0002_comment_likes"),
        ("social_posts", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill_comment_likes, migrations.RunPython.noop)]
