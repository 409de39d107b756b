"""The base of the commands that run a Celery beat pass once, now or at a chosen instant
(`--at 2026-12-03T05:30:00Z`): for operators (a catch-up after an outage) and for the
end-to-end tests (a chosen clock instead of waiting for one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class InstantCommand(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", help="the instant to run as (ISO 8601 with a zone)")

    def instant(self, options: dict[str, Any]) -> datetime:
        """`--at` as an aware datetime, or now without it."""
        if not options["at"]:
            return timezone.now()
        parsed = parse_datetime(options["at"])
        if parsed is None or parsed.tzinfo is None:
            raise CommandError("--at needs an ISO 8601 instant with a zone")
        return parsed
