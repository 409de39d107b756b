"""Carry the aggregates over from one row per metric (`DailyCount`, `MonthlyCount`, and the
`due:<day>` rows of `CurrentCount`) to one row per room, person and day or month (`DayTotals`,
`MonthTotals`), and back when reversed: the same numbers, so nothing needs a rebuild. Room by
room, so memory stays bounded by one room's rows."""

from collections import Counter, defaultdict
from datetime import date

from django.db import migrations

DAY = ("created", "completed", "s_pending", "s_in_progress", "s_completed", "overdue", "due")
MONTH = ("s_pending", "s_in_progress", "s_completed", "overdue", "due")
BATCH = 1000


def _column(metric):
    return metric.replace("s:", "s_")


def _rooms(*querysets):
    rooms = set()
    for queryset in querysets:
        rooms.update(queryset.values_list("room_id", flat=True).distinct())
    return sorted(rooms)


def forwards(apps, schema_editor):
    DailyCount = apps.get_model("analytics", "DailyCount")
    MonthlyCount = apps.get_model("analytics", "MonthlyCount")
    CurrentCount = apps.get_model("analytics", "CurrentCount")
    DayTotals = apps.get_model("analytics", "DayTotals")
    MonthTotals = apps.get_model("analytics", "MonthTotals")
    dues = CurrentCount.objects.filter(metric__startswith="due:")
    for room in _rooms(DailyCount.objects.all(), MonthlyCount.objects.all(), dues):
        days = defaultdict(Counter)
        leads = defaultdict(Counter)
        months = defaultdict(Counter)
        for user, day, metric, n in DailyCount.objects.filter(room_id=room).values_list(
            "user_id", "day", "metric", "n"
        ):
            if metric.startswith("lt:"):
                leads[user, day][metric[3:]] += n
            else:
                days[user, day][_column(metric)] += n
        for user, month, metric, n in MonthlyCount.objects.filter(room_id=room).values_list(
            "user_id", "month", "metric", "n"
        ):
            months[user, month][_column(metric)] += n
        for user, metric, n in dues.filter(room_id=room).values_list("user_id", "metric", "n"):
            day = date.fromisoformat(metric[4:])
            days[user, day]["due"] += n
            months[user, day.replace(day=1)]["due"] += n
        day_rows = [
            DayTotals(
                room_id=room, user_id=user, day=day,
                lead_times={b: n for b, n in sorted(leads[user, day].items()) if n},
                **{column: days[user, day][column] for column in DAY},
            )
            for user, day in sorted(set(days) | set(leads))
        ]
        DayTotals.objects.bulk_create(day_rows, batch_size=BATCH)
        MonthTotals.objects.bulk_create(
            [
                MonthTotals(room_id=room, user_id=user, month=month, **{c: v[c] for c in MONTH})
                for (user, month), v in sorted(months.items())
            ],
            batch_size=BATCH,
        )
    dues.delete()


def backwards(apps, schema_editor):
    DailyCount = apps.get_model("analytics", "DailyCount")
    MonthlyCount = apps.get_model("analytics", "MonthlyCount")
    CurrentCount = apps.get_model("analytics", "CurrentCount")
    DayTotals = apps.get_model("analytics", "DayTotals")
    MonthTotals = apps.get_model("analytics", "MonthTotals")
    for room in _rooms(DayTotals.objects.all(), MonthTotals.objects.all()):
        daily, due = [], Counter()
        for row in DayTotals.objects.filter(room_id=room).order_by("user_id", "day"):
            for column in DAY[:-1]:
                n = getattr(row, column)
                if n:
                    metric = column.replace("s_", "s:", 1) if column.startswith("s_") else column
                    daily.append(DailyCount(room_id=room, user_id=row.user_id, day=row.day,
                                            metric=metric, n=n))
            for bucket, n in row.lead_times.items():
                daily.append(DailyCount(room_id=room, user_id=row.user_id, day=row.day,
                                        metric=f"lt:{bucket}", n=n))
            if row.due:
                due[row.user_id, f"due:{row.day.isoformat()}"] += row.due
        DailyCount.objects.bulk_create(daily, batch_size=BATCH)
        monthly = []
        for row in MonthTotals.objects.filter(room_id=room).order_by("user_id", "month"):
            for column in MONTH[:-1]:
                n = getattr(row, column)
                if n:
                    metric = column.replace("s_", "s:", 1) if column.startswith("s_") else column
                    monthly.append(MonthlyCount(room_id=room, user_id=row.user_id,
                                                month=row.month, metric=metric, n=n))
        MonthlyCount.objects.bulk_create(monthly, batch_size=BATCH)
        CurrentCount.objects.bulk_create(
            [CurrentCount(room_id=room, user_id=user, metric=metric, n=n)
             for (user, metric), n in sorted(due.items())],
            batch_size=BATCH,
        )
    DayTotals.objects.all().delete()
    MonthTotals.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0003_totals"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
