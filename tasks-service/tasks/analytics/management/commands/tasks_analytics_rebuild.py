"""`manage.py tasks_analytics_rebuild`: compute the analytics tables again from the tasks
tables (tasks, assignments, their history), in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tasks.analytics.services import rebuild


class Command(BaseCommand):
    help = "Rebuild the task analytics aggregates from the tasks tables."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = rebuild()
        self.stdout.write(
            f"rebuilt analytics: {counts['tasks']} tasks, {counts['daily_rows']} daily rows,"
            f" {counts['current_rows']} current rows"
        )
