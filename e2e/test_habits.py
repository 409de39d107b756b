"""Habits end to end, through nginx: a person living in Asia/Kolkata (UTC+05:30) creates a
daily habit, checks in on each of its 7 days (6 back-dated and today), the habit's read shows
the streak of 7, and the 7-day milestone reaches their socket; a reminder set for a local time
fires at that time (and only then, and once) and reaches the socket too.

On the real stack (PostgreSQL, Kafka, Redis) the reminder pass runs as an operator would run it
(`manage.py habits_beat --at`: the pass itself, at the reminder's instant, instead of waiting
for the minute). On `make run`'s embedded defaults (SQLite, the embedded event log, the SQLite
channel layer) habits-service's own Celery worker with beat runs the pass, as `make run` starts
it, and the reminder is set a couple of minutes ahead: nothing drives it but the clock.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness import PYTHON, ROOT, Stack, api_ok, new_username, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_notifications import no_more_frames, notification_frames, open_socket

ZONE = ZoneInfo("Asia/Kolkata")


def register(base: str) -> dict[str, Any]:
    """A person whose account's zone is Asia/Kolkata (so their token's `tz` claim is too)."""
    return register_and_login(base, username=new_username("habit"), time_zone=ZONE.key)


def api(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    return api_ok(base, account, method, f"habits/{path}", **body)


def local_today() -> date:
    return datetime.now(ZONE).date()


def milestone_journey(base: str, account: dict[str, Any]) -> None:
    today = local_today()
    habit = api(
        base,
        account,
        "POST",
        "habits/",
        name="Meditate",
        start_date=(today - timedelta(days=6)).isoformat(),
    )
    with open_socket(base, account) as ws:
        for back in range(6, -1, -1):
            api(
                base,
                account,
                "PUT",
                f"habits/{habit['id']}/checkins/",
                day=(today - timedelta(days=back)).isoformat(),
            )
        read = api(base, account, "GET", f"habits/{habit['id']}/")
        assert read["streak"]["current"] == 7 and read["streak"]["unit"] == "day", read
        [frame] = notification_frames(ws, 1, timeout=60)
        told = frame["notification"]
        assert told["type"] == "habit_streak_milestone"
        assert told["target"] == {"service": "habits", "kind": "habit", "id": habit["id"]}
        assert told["text"] == "“Meditate”: 7 days in a row!"
        assert no_more_frames(ws) == []  # once


def reminder_in(base: str, account: dict[str, Any], minutes: int) -> tuple[dict, str, datetime]:
    """A new habit with a reminder at the local HH:MM `minutes` from now (Kolkata), once
    habits-service knows the account's zone (from auth's event): the habit, the HH:MM, and
    the instant it fires."""
    habit = api(base, account, "POST", "habits/", name="Stretch")
    at = (datetime.now(ZONE) + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    local_time = at.strftime("%H:%M")
    api(base, account, "PUT", f"habits/{habit['id']}/reminders/", local_times=[local_time])

    def fires_then() -> bool:
        [reminder] = api(base, account, "GET", f"habits/{habit['id']}/reminders/")["results"]
        return datetime.fromisoformat(reminder["next_fire_at"]) == at

    wait_for(fires_then, timeout=60, what="the reminder at the account's local time")
    return habit, local_time, at.astimezone(UTC)


def beat(env: dict[str, str], at: datetime, log: Path) -> str:
    """habits-service's reminder pass, once, as of `at` (the operator's command)."""
    with open(log, "ab") as handle:
        done = subprocess.run(
            [PYTHON, "manage.py", "habits_beat", "--only", "reminders", "--at", at.isoformat()],
            cwd=ROOT / "habits-service",
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        handle.write(done.stdout + done.stderr)
    return done.stdout.decode()


def test_habits_through_nginx_on_the_real_stack(
    gateway: str, stack_env: dict[str, str], var_dir: Path
) -> None:
    account = register(gateway)
    milestone_journey(gateway, account)

    habit, local_time, at = reminder_in(gateway, account, minutes=90)
    log = var_dir / "habits-beat.log"
    with open_socket(gateway, account) as ws:
        # A minute early: nothing (other tests' reminders may fire; none of this account's).
        beat(stack_env, at - timedelta(minutes=1), log)
        assert no_more_frames(ws, wait=3) == []
        # At its local time: told, once, in the account's words.
        beat(stack_env, at, log)
        [frame] = notification_frames(ws, 1, timeout=60)
        told = frame["notification"]
        assert told["type"] == "habit_reminder"
        assert told["target"]["id"] == habit["id"]
        assert told["text"] == f"Time for “Stretch” ({local_time})"
        beat(stack_env, at + timedelta(seconds=30), log)  # the same minute again: nothing
        assert no_more_frames(ws, wait=3) == []
    [reminder] = api(gateway, account, "GET", f"habits/{habit['id']}/reminders/")["results"]
    assert reminder["last_fired_day"] == at.astimezone(ZONE).date().isoformat()
    assert datetime.fromisoformat(reminder["next_fire_at"]) == at + timedelta(days=1)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    # `make run`'s command with habits' own Celery worker (with beat, as `make run` starts it)
    # and without the other services' workers: the stack builds the command, once.
    stack = embedded_stack_of("habits", workers_of=("habits",))
    yield stack
    stack.stop()


@pytest.mark.timeout(600)  # beat fires at the start of a minute: up to two minutes' wait
def test_habits_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    account = register(embedded.url)
    milestone_journey(embedded.url, account)

    habit, local_time, at = reminder_in(embedded.url, account, minutes=1)
    with open_socket(embedded.url, account) as ws:
        wait = (at - datetime.now(UTC)).total_seconds()
        [frame] = notification_frames(ws, 1, timeout=wait + 120)
        arrived = datetime.now(UTC)
        told = frame["notification"]
        assert told["type"] == "habit_reminder" and told["target"]["id"] == habit["id"]
        assert told["text"] == f"Time for “Stretch” ({local_time})"
        # Not before its minute (beat runs at the start of each minute).
        assert arrived >= at, (arrived, at)
        assert no_more_frames(ws, wait=3) == []
