"""The `--at` of the beat-pass commands (tasks_reminders, habits_beat): an aware instant, now
without it, and a clear error for a time without a zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from cotask_common.management.instant import InstantCommand


def _instant(*argv: str) -> datetime:
    command = InstantCommand()
    options = vars(command.create_parser("manage.py", "pass").parse_args(list(argv)))
    return command.instant(options)


def test_at_is_the_instant_given_with_its_zone() -> None:
    assert _instant("--at", "2026-12-03T05:30:00+02:00") == datetime(2026, 12, 3, 3, 30, tzinfo=UTC)


def test_without_at_it_is_now() -> None:
    assert abs(_instant() - timezone.now()) < timedelta(seconds=5)


@pytest.mark.parametrize("value", ["2026-12-03T05:30:00", "tomorrow"])
def test_a_time_without_a_zone_or_not_a_time_is_refused(value: str) -> None:
    with pytest.raises(CommandError, match="ISO 8601 instant with a zone"):
        _instant("--at", value)
