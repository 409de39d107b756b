"""Run the beat's reminder and overdue pass once, now or at a given instant:

    manage.py tasks_reminders
    manage.py tasks_reminders --at 2026-12-03T05:30:00Z

What Celery beat does every minute, for operators (a catch-up after an outage) and for the
end-to-end tests (a chosen clock instead of waiting for one)."""

from __future__ import annotations

from typing import Any

from cotask_common.management.instant import InstantCommand
from tasks.reminders import sending


class Command(InstantCommand):
    help = "Send the due deadline reminders and overdue notices once."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sending.send_due_reminders(now=self.instant(options))
        self.stdout.write(
            f"reminders: {result.sent} sent, overdue: {result.overdue} sent, "
            f"{result.skipped} skipped"
        )
