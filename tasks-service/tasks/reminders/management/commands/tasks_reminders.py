"""Run the beat's reminder and overdue pass once, now or at a given instant:

    manage.py tasks_reminders
    manage.py tasks_reminders --at 2026-12-03T05:30:00Z

What Celery beat does every minute, for operators (a catch-up after an outage) and for the
end-to-end tests (a chosen clock instead of waiting for one)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks.reminders import sending


class Command(BaseCommand):
    help = "Send the due deadline reminders and overdue notices once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", help="the instant to run as (ISO 8601 with a zone)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["at"]:
            parsed = parse_datetime(options["at"])
            if parsed is None or parsed.tzinfo is None:
                raise CommandError("--at needs an ISO 8601 instant with a zone")
            now = parsed
        result = sending.send_due_reminders(now=now)
        self.stdout.write(
            f"reminders: {result.sent} sent, overdue: {result.overdue} sent, "
            f"{result.skipped} skipped"
        )
