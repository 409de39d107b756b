"""The move from one aggregate row per metric to one per room, person and day or month
(migrations 0003 to 0005) carries the numbers over, and back when reversed; so does the move
of the lead times from JSON to pairs of numbers (0007)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tasks.analytics.models import ROOM

BEFORE = [("analytics", "0002_monthly_counts")]
AFTER = [("analytics", "0005_drop_metric_rows")]
ROOM_ID = uuid.UUID("01234567-89ab-7def-8123-456789abcdef")
PERSON = uuid.UUID("11111111-2222-4333-8444-555555555555")
DAILY = {
    (ROOM_ID, ROOM, date(2026, 1, 10), "created", 2),
    (ROOM_ID, ROOM, date(2026, 1, 10), "s:pending", 2),
    (ROOM_ID, ROOM, date(2026, 1, 10), "lt:40", 1),
    (ROOM_ID, ROOM, date(2026, 1, 10), "lt:57", 3),
    (ROOM_ID, PERSON, date(2025, 12, 20), "completed", 1),
    (ROOM_ID, PERSON, date(2025, 12, 20), "overdue", -1),
}
MONTHLY = {
    (ROOM_ID, ROOM, date(2026, 1, 1), "s:pending", 2),
    (ROOM_ID, PERSON, date(2025, 12, 1), "overdue", -1),
}
CURRENT = {
    (ROOM_ID, ROOM, "p:high", 3),
    (ROOM_ID, ROOM, "due:2026-01-15", 2),
    (ROOM_ID, PERSON, "due:2025-12-31", 1),
}


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_rows(apps: Any) -> tuple[set[Any], ...]:
    model = apps.get_model
    return (
        set(
            model("analytics", "DailyCount")
            .objects.exclude(n=0)
            .values_list("room_id", "user_id", "day", "metric", "n")
        ),
        set(
            model("analytics", "MonthlyCount")
            .objects.exclude(n=0)
            .values_list("room_id", "user_id", "month", "metric", "n")
        ),
        set(model("analytics", "CurrentCount").objects.values_list(
            "room_id", "user_id", "metric", "n"
        )),
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_counts_move_to_rows_per_day_and_month_and_back() -> None:
    try:
        old = _migrate(BEFORE)
        model = old.get_model
        model("analytics", "DailyCount").objects.bulk_create(
            [model("analytics", "DailyCount")(room_id=r, user_id=u, day=d, metric=m, n=n)
             for r, u, d, m, n in [*DAILY, (ROOM_ID, ROOM, date(2026, 1, 10), "lt:41", 0)]]
        )  # fmt: skip
        model("analytics", "MonthlyCount").objects.bulk_create(
            [model("analytics", "MonthlyCount")(room_id=r, user_id=u, month=m, metric=k, n=n)
             for r, u, m, k, n in MONTHLY]
        )  # fmt: skip
        model("analytics", "CurrentCount").objects.bulk_create(
            [model("analytics", "CurrentCount")(room_id=r, user_id=u, metric=m, n=n)
             for r, u, m, n in CURRENT]
        )  # fmt: skip

        new = _migrate(AFTER)
        columns = ("created", "completed", "s_pending", "s_in_progress", "s_completed",
                   "overdue", "due")  # fmt: skip
        days = {
            (row.user_id, row.day): (tuple(getattr(row, c) for c in columns), row.lead_times)
            for row in new.get_model("analytics", "DayTotals").objects.filter(room_id=ROOM_ID)
        }
        assert days == {
            (ROOM, date(2026, 1, 10)): ((2, 0, 2, 0, 0, 0, 0), {"40": 1, "57": 3}),
            (ROOM, date(2026, 1, 15)): ((0, 0, 0, 0, 0, 0, 2), {}),
            (PERSON, date(2025, 12, 20)): ((0, 1, 0, 0, 0, -1, 0), {}),
            (PERSON, date(2025, 12, 31)): ((0, 0, 0, 0, 0, 0, 1), {}),
        }
        months = set(
            new.get_model("analytics", "MonthTotals").objects.values_list(
                "room_id", "user_id", "month", *columns[2:]
            )
        )
        assert months == {
            (ROOM_ID, ROOM, date(2026, 1, 1), 2, 0, 0, 0, 2),
            (ROOM_ID, PERSON, date(2025, 12, 1), 0, 0, 0, -1, 1),
        }
        current = new.get_model("analytics", "CurrentCount").objects.values_list(
            "room_id", "user_id", "metric", "n"
        )
        assert set(current) == {(ROOM_ID, ROOM, "p:high", 3)}

        assert _old_rows(_migrate(BEFORE)) == (DAILY, MONTHLY, CURRENT)
    finally:
        # Back to the newest migration, which the other tests of the session expect.
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("analytics"))


@pytest.mark.django_db(transaction=True)
def test_a_days_lead_times_move_to_pairs_of_numbers_and_back() -> None:
    before, after = [("analytics", "0006_figures_version")], [("analytics", "0007_day_lead_pairs")]
    leads = {
        date(2026, 1, 10): {"40": 1, "57": 3, "112": 2},
        date(2026, 1, 11): {},
        date(2026, 1, 12): {"0": 5, "41": 0},
    }
    try:
        days = _migrate(before).get_model("analytics", "DayTotals")
        days.objects.bulk_create(
            [days(room_id=ROOM_ID, user_id=ROOM, day=day, created=1, lead_times=lead)
             for day, lead in leads.items()]
        )  # fmt: skip
        new = _migrate(after).get_model("analytics", "DayTotals")
        assert dict(new.objects.values_list("day", "lead_pairs")) == {
            date(2026, 1, 10): "40,1,57,3,112,2",  # by bucket as a number, not as text
            date(2026, 1, 11): "",
            date(2026, 1, 12): "0,5",  # a zero amount is left out
        }
        old = _migrate(before).get_model("analytics", "DayTotals")
        assert dict(old.objects.values_list("day", "lead_times")) == {
            date(2026, 1, 10): {"40": 1, "57": 3, "112": 2},
            date(2026, 1, 11): {},
            date(2026, 1, 12): {"0": 5},
        }
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("analytics"))
