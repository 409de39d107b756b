"""Run the beat's cards pass once, now or at a given instant:

    manage.py cards_beat                                  # reminders, summaries, forecasts due now
    manage.py cards_beat --at 2026-12-03T05:30:00Z --only forecasts

What Celery beat does every minute (`habits.cards.daily`), for operators (a catch-up after an
outage) and for the end-to-end tests (a chosen clock instead of waiting for one)."""

from __future__ import annotations

from typing import Any

from cotask_common.management.instant import InstantCommand
from habits.cards import daily


class Command(InstantCommand):
    help = "Send the due cards reminders, day summaries and forecasts once."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--only", choices=["reminders", "summaries", "forecasts"])

    def handle(self, *args: Any, **options: Any) -> None:
        now = self.instant(options)
        passes = {
            "reminders": daily.send_reminders,
            "summaries": daily.send_summaries,
            "forecasts": daily.send_forecasts,
        }
        for name, run in passes.items():
            if options["only"] in (None, name):
                result = run(now=now)
                self.stdout.write(f"{name}: {result.sent} sent of {result.seen}")
