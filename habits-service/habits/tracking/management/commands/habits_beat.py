"""Run the beat's habits work once, now or at a given instant:

    manage.py habits_beat                      # reminders and day closes due now
    manage.py habits_beat --at 2026-12-03T05:30:00Z --only reminders

What Celery beat does every minute, for operators (a catch-up after an outage) and for the
end-to-end tests (a chosen clock instead of waiting for one)."""

from __future__ import annotations

from typing import Any

from cotask_common.management.instant import InstantCommand
from habits.tracking import reminders


class Command(InstantCommand):
    help = "Send the due habit reminders and close the due habit days once."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--only", choices=["reminders", "days"])

    def handle(self, *args: Any, **options: Any) -> None:
        now = self.instant(options)
        if options["only"] != "days":
            result = reminders.send_due_reminders(now=now)
            self.stdout.write(f"reminders: {result.sent} sent, {result.skipped} skipped")
        if options["only"] != "reminders":
            result = reminders.close_due_days(now=now)
            self.stdout.write(f"days: {result.sent} events, {result.batches} batches")
