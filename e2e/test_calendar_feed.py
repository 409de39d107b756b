"""The calendar feed through nginx, on the real stack (PostgreSQL, Kafka) and on `make run`'s
embedded defaults (SQLite): a person in New York makes a feed, a calendar app fetches the `.ics`
through the gateway without any token, two independent parsers read it, the deadline shows at
the local time it was set for, a 304 answers an unchanged feed, the address stays out of the
access log, and a revoked address answers 404."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import requests
import vobject
from harness import Stack, new_username, wait_for
from harness import embedded_stack as embedded_stack_of

ZONE = "America/New_York"


@pytest.fixture(scope="module")
def embedded_stack() -> Iterator[Stack]:
    stack = embedded_stack_of("calendar-feed", workers=False)
    yield stack
    stack.stop()


def _person(base: str) -> dict[str, str]:
    username = new_username("cal")
    password = f"Pw-{uuid.uuid4().hex}"
    registered = requests.post(
        f"{base}/api/auth/register/",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": password,
            "time_zone": ZONE,
        },
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    login = requests.post(
        f"{base}/api/auth/login/", json={"login": username, "password": password}, timeout=30
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access']}"}


def _journey(base: str, stack: Stack) -> None:
    auth = _person(base)
    year = datetime.now(UTC).year + 1
    local = datetime(year, 7, 1, 17, 30, tzinfo=ZoneInfo(ZONE))  # EDT, UTC-4
    timed = requests.post(
        f"{base}/api/tasks/personal/tasks/",
        json={"title": "Send the report", "due": local.isoformat()},
        headers=auth,
        timeout=30,
    )
    assert timed.status_code == 201, timed.text
    all_day = requests.post(
        f"{base}/api/tasks/personal/tasks/",
        json={"title": "Holiday", "due": f"{year}-12-24", "recurrence": "FREQ=YEARLY"},
        headers=auth,
        timeout=30,
    )
    assert all_day.status_code == 201, all_day.text

    made = requests.post(f"{base}/api/tasks/calendar/feeds/", json={}, headers=auth, timeout=30)
    assert made.status_code == 201, made.text
    feed = made.json()
    assert feed["url"].startswith(f"{base}/api/tasks/calendar/"), feed["url"]

    def fetched() -> requests.Response | None:
        # The account's zone reaches tasks-service with auth's event: wait until it has.
        response = requests.get(feed["url"], timeout=30)  # no Authorization: the secret is it
        assert response.status_code == 200, response.text
        return response if f"X-WR-TIMEZONE:{ZONE}".encode() in response.content else None

    response = wait_for(fetched, timeout=60, interval=0.5, what="the feed in the person's zone")
    assert response.headers["Content-Type"].startswith("text/calendar")

    first = icalendar.Calendar.from_ical(response.content)
    second = vobject.readOne(response.content.decode())
    events = {str(event["SUMMARY"]): event for event in first.walk("VEVENT")}
    vevents = {event.summary.value: event for event in second.vevent_list}
    assert set(events) == set(vevents) == {"Send the report", "Holiday"}
    for start in (
        events["Send the report"].decoded("DTSTART"),
        vevents["Send the report"].dtstart.value,
    ):
        assert start == local
        assert start.astimezone(ZoneInfo(ZONE)).time() == time(17, 30)
    assert events["Holiday"].decoded("DTSTART") == date(year, 12, 24)
    assert vevents["Holiday"].dtstart.value == date(year, 12, 24)
    assert events["Holiday"]["RRULE"]["FREQ"] == ["YEARLY"]
    assert events["Send the report"].walk("VALARM"), "the default reminders as alarms"

    unchanged = requests.get(
        feed["url"], headers={"If-None-Match": response.headers["ETag"]}, timeout=30
    )
    assert unchanged.status_code == 304

    # The secret address never reaches the gateway's access log.
    secret = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    log = stack.var_dir / "nginx" / stack.name / "access.log"

    def logged() -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for line in log.read_text(errors="replace").splitlines()
            if "/api/tasks/calendar/[masked].ics" in line
        ]

    wait_for(logged, timeout=10, what="the feed's fetches in the access log")
    assert secret not in log.read_text(errors="replace")

    revoked = requests.delete(
        f"{base}/api/tasks/calendar/feeds/{feed['id']}/", headers=auth, timeout=30
    )
    assert revoked.status_code == 204
    gone = requests.get(feed["url"], timeout=30)
    assert gone.status_code == 404
    assert gone.json()["code"] == "calendar_feed_not_found"
    unknown = requests.get(f"{base}/api/tasks/calendar/{'x' * 43}.ics", timeout=30)
    assert unknown.status_code == 404
    assert {k: v for k, v in unknown.json().items() if k != "request_id"} == {
        k: v for k, v in gone.json().items() if k != "request_id"
    }


def test_the_feed_through_the_gateway_on_the_real_stack(gateway: str, stack: Stack) -> None:
    _journey(gateway, stack)


def test_the_feed_through_the_gateway_on_the_embedded_defaults(embedded_stack: Stack) -> None:
    _journey(embedded_stack.url, embedded_stack)
