"""The agenda end to end, through nginx: a person in Asia/Kolkata (UTC+05:30) with habits and
check-ins, a deck of cards (studied in part) and tasks over a generated week, in their personal
space and in a team room. tasks-service learns of the habits and cards only through Kafka; the
agenda for the week equals what the three services hold (tasks-service's own tasks,
habits-service's habits, check-ins and due queue); a check-in and a completed task reach the
person's socket as `agenda.changed`; the planner's suggestion moves a task only when accepted,
and nobody else can accept it.

On the real stack the cards pass runs as an operator would run it (`manage.py cards_beat`: the
pass itself, instead of waiting for the minute). On `make run`'s embedded defaults (SQLite, the
embedded event log, the SQLite channel layer) a shorter journey: habits, a check-in arriving
live, and an accepted suggestion.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from harness import (
    PYTHON,
    ROOT,
    Stack,
    api_ok,
    call_api,
    new_username,
    register_and_login,
    wait_for,
)
from harness import embedded_stack as embedded_stack_of
from test_notifications import auth, open_socket

from cotask_common.schedules import due_by_schedule

ZONE = ZoneInfo("Asia/Kolkata")


def register(base: str) -> dict[str, Any]:
    """A person whose account's zone is Asia/Kolkata (so their token's `tz` claim is too)."""
    return register_and_login(base, username=new_username("agenda"), time_zone=ZONE.key)


def call(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    return call_api(base, account, method, path, **body)


def api(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    return api_ok(base, account, method, path, **body)


def every(base: str, account: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """Every row of a paginated list."""
    rows, url = [], f"{base}/api/{path}"
    while url:
        page = requests.get(url, headers=auth(account), timeout=30)
        assert page.status_code == 200, page.text
        rows += page.json()["results"]
        url = page.json()["next"]
    return rows


def today() -> date:
    return datetime.now(ZONE).date()


def agenda(base: str, account: dict[str, Any]) -> list[dict[str, Any]]:
    body = api(base, account, "GET", "tasks/agenda/?days=7")
    assert body["time_zone"] == ZONE.key and body["today"] == today().isoformat(), body
    return body["days"]


def agenda_frames(ws: Any, *, timeout: float = 60) -> list[dict[str, Any]]:
    """`agenda.changed` frames until one arrives (then what else came within a second)."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=remaining if not frames else 1))
        except TimeoutError:
            if frames:
                break
            continue
        if message["type"] == "agenda.changed":
            frames.append(message)
    assert frames, "no agenda.changed frame"
    return frames


# ---------------------------------------------------------------------------------------------
# What the services hold, and the agenda built from it independently


def habits_expected(base: str, account: dict[str, Any], days: list[date]) -> list[list[tuple]]:
    habits = [h for h in every(base, account, "habits/habits/") if not h["archived"]]
    done: set[tuple[str, str]] = set()
    for habit in habits:
        for checkin in every(base, account, f"habits/habits/{habit['id']}/checkins/"):
            if float(checkin["value"]) >= 1:  # yes/no habits: a check-in is done
                done.add((habit["id"], checkin["day"]))
    expected = []
    for day in days:
        rows = []
        for h in sorted(habits, key=lambda h: (h["name"], h["id"])):
            start = date.fromisoformat(h["start_date"])
            if day >= start and due_by_schedule(
                kind=h["schedule_kind"],
                day=day,
                start_date=start,
                weekdays=h["weekdays"],
                interval_days=h["interval_days"],
            ):
                rows.append((h["id"], (h["id"], day.isoformat()) in done))
        expected.append(rows)
    return expected


def tasks_expected(
    base: str, account: dict[str, Any], days: list[date], plans: dict[str, date]
) -> list[list[str]]:
    """Each day's task ids from tasks-service's "my tasks" (open ones), placed the agenda's
    way: a deadline's day in the person's zone (an older one on today), else the planned day."""
    first, last = days[0], days[-1]
    by_day: dict[date, list[tuple]] = {d: [] for d in days}
    for task in every(base, account, "tasks/my-tasks/"):
        if task["status"] == "completed":
            continue
        due = task["due"]
        if due and due["date"]:
            day, sort = date.fromisoformat(due["date"]), due["date"] + "T00:00:00+00:00"
        elif due and due["at"]:
            at = datetime.fromisoformat(due["at"].replace("Z", "+00:00"))
            day, sort = at.astimezone(ZONE).date(), at.isoformat()
        elif task["id"] in plans:
            day, sort = max(plans[task["id"]], first), "9999"
        else:
            continue
        day = max(day, first)
        if day <= last:
            priority = ["none", "low", "medium", "high", "urgent"].index(task["priority"])
            by_day[day].append((sort, -priority, task["id"]))
    return [[row[2] for row in sorted(by_day[d])] for d in days]


def agenda_tasks(day: dict[str, Any]) -> list[str]:
    return [t["id"] for t in day["overdue"] + day["tasks"]]


def equals_the_services(base: str, account: dict[str, Any], plans: dict[str, date]) -> bool:
    days = agenda(base, account)
    dates = [date.fromisoformat(d["day"]) for d in days]
    habits = [[(h["habit_id"], h["done"]) for h in d["habits"]] for d in days]
    if habits != habits_expected(base, account, dates):
        return False
    return [agenda_tasks(d) for d in days] == tasks_expected(base, account, dates, plans)


# ---------------------------------------------------------------------------------------------
# The journeys


def make_habits(base: str, account: dict[str, Any]) -> list[dict[str, Any]]:
    start = (today() - timedelta(days=10)).isoformat()
    made = [
        api(base, account, "POST", "habits/habits/", name="Read", start_date=start),
        api(
            base,
            account,
            "POST",
            "habits/habits/",
            name="Gym",
            schedule_kind="weekdays",
            weekdays=[today().weekday(), (today().weekday() + 3) % 7],
            start_date=start,
        ),
        api(
            base,
            account,
            "POST",
            "habits/habits/",
            name="Call home",
            schedule_kind="every_n_days",
            interval_days=3,
            start_date=start,
        ),
    ]
    api(base, account, "PUT", f"habits/habits/{made[0]['id']}/checkins/", day=today().isoformat())
    return made


def make_heavy_day(base: str, account: dict[str, Any]) -> tuple[list[dict[str, Any]], dict]:
    """Five undated personal tasks of 60 minutes planned for today: 300 minutes, over the
    day's 240."""
    undated = [
        api(
            base,
            account,
            "POST",
            "tasks/personal/tasks/",
            title=f"Undated {i}",
            estimate_minutes=60,
            priority=["none", "low", "medium", "high", "urgent"][i],
        )
        for i in range(5)
    ]
    plans = {}
    for task in undated:
        api(base, account, "PUT", f"tasks/agenda/plans/{task['id']}/", day=today().isoformat())
        plans[task["id"]] = today()
    return undated, plans


def suggestion_journey(
    base: str, account: dict[str, Any], other: dict[str, Any], plans: dict[str, date]
) -> None:
    before = agenda(base, account)
    suggestions = api(base, account, "POST", "tasks/agenda/suggestions/")["results"]
    assert suggestions, "a day over its minutes gets a suggestion"
    first = suggestions[0]
    assert first["from_day"] == today().isoformat() and first["to_day"] > first["from_day"]
    # Suggested is not moved; and another person cannot see, accept or ignore it.
    assert agenda(base, account) == before
    assert api(base, other, "GET", "tasks/agenda/suggestions/")["results"] == []
    for verb in ("accept", "ignore"):
        refused = call(base, other, "POST", f"tasks/agenda/suggestions/{first['id']}/{verb}/")
        assert refused.status_code == 404, refused.text
    assert agenda(base, account) == before
    accepted = api(base, account, "POST", f"tasks/agenda/suggestions/{first['id']}/accept/")
    assert accepted["status"] == "accepted"
    moved = {d["day"]: agenda_tasks(d) for d in agenda(base, account)}
    assert first["task"]["id"] in moved[first["to_day"]]
    assert first["task"]["id"] not in moved[first["from_day"]]
    plans[first["task"]["id"]] = date.fromisoformat(first["to_day"])
    for rest in suggestions[1:]:
        ignored = api(base, account, "POST", f"tasks/agenda/suggestions/{rest['id']}/ignore/")
        assert ignored["status"] == "ignored"
        still = {d["day"]: agenda_tasks(d) for d in agenda(base, account)}
        assert rest["task"]["id"] in still[rest["from_day"]]


def cards_beat(env: dict[str, str], log: Path) -> None:
    """habits-service's cards pass, once, now (the operator's command)."""
    with open(log, "ab") as handle:
        done = subprocess.run(
            [PYTHON, "manage.py", "cards_beat", "--only", "forecasts"],
            cwd=ROOT / "habits-service",
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        handle.write(done.stdout + done.stderr)


@pytest.mark.timeout(600)
def test_the_agenda_of_a_generated_week_through_nginx_and_kafka(
    gateway: str, stack_env: dict[str, str], var_dir: Path
) -> None:
    me, other = register(gateway), register(gateway)
    make_habits(gateway, me)

    # Cards: six notes, two of them studied now (answered easy: due in some days).
    deck = api(gateway, me, "POST", "habits/cards/decks/", name="Words")
    for i in range(6):
        api(gateway, me, "POST", "habits/cards/notes/", deck=deck["id"], front=f"q{i}", back="a")
    for _ in range(2):
        card = api(gateway, me, "GET", "habits/cards/queue/")["cards"][0]
        api(
            gateway,
            me,
            "POST",
            f"habits/cards/cards/{card['id']}/answer/",
            rating="easy",
            duration_ms=4000,
        )
    cards_beat(stack_env, var_dir / "cards-beat.log")

    # Tasks over the week: dated ones in the personal space and in a team room, one overdue.
    now = datetime.now(ZONE)
    for title, due, priority in (
        ("Overdue", (today() - timedelta(days=2)).isoformat(), "high"),
        ("Today, low", today().isoformat(), "low"),
        ("Today, urgent", today().isoformat(), "urgent"),
        ("In two days", (today() + timedelta(days=2)).isoformat(), "medium"),
        ("At a time", (now + timedelta(days=3)).replace(microsecond=0).isoformat(), "none"),
        ("Next month", (today() + timedelta(days=30)).isoformat(), "none"),
    ):
        api(gateway, me, "POST", "tasks/personal/tasks/", title=title, due=due, priority=priority)
    room = api(gateway, other, "POST", "tasks/rooms/", name="Team")
    code = api(gateway, other, "GET", f"tasks/rooms/{room['id']}/")["join_code"]
    api(gateway, me, "POST", "tasks/rooms/join/", code=code)
    api(
        gateway,
        other,
        "POST",
        f"tasks/rooms/{room['id']}/tasks/",
        title="Mine in the room",
        due=(today() + timedelta(days=1)).isoformat(),
        assignee_ids=[me["user"]["id"]],
    )
    api(
        gateway,
        other,
        "POST",
        f"tasks/rooms/{room['id']}/tasks/",
        title="Theirs",
        due=today().isoformat(),
        assignee_ids=[other["user"]["id"]],
    )
    _undated, plans = make_heavy_day(gateway, me)

    # The habits, check-ins and cards reach tasks-service through Kafka: then the agenda
    # equals what the services hold.
    wait_for(
        lambda: equals_the_services(gateway, me, plans),
        timeout=120,
        what="the agenda equal to the habits and tasks the services hold",
    )
    queue = api(gateway, me, "GET", "habits/cards/queue/")["counts"]

    def cards_today() -> bool:
        return agenda(gateway, me)[0]["cards"]["due"] == sum(queue.values())

    wait_for(cards_today, timeout=60, what="the cards forecast on the agenda")
    days = agenda(gateway, me)
    assert days[0]["cards"]["minutes"] >= 1
    assert sum(d["cards"]["due"] or 0 for d in days[1:]) <= 2  # at most the two studied
    assert [t["title"] for t in days[0]["overdue"]] == ["Overdue"]
    assert [t["title"] for t in days[0]["tasks"]][:2] == ["Today, urgent", "Today, low"]
    assert "Theirs" not in json.dumps(days)
    # Nobody else's agenda holds any of it.
    theirs = agenda(gateway, other)
    assert all(not d["habits"] and d["cards"]["due"] is None for d in theirs)

    # Live: a check-in and a completed task update the agenda on the socket.
    with open_socket(gateway, me) as ws:
        gym = next(h for h in days[0]["habits"] if h["name"] == "Gym")
        api(
            gateway,
            me,
            "PUT",
            f"habits/habits/{gym['habit_id']}/checkins/",
            day=today().isoformat(),
        )
        frames = agenda_frames(ws)
        assert any(f["reason"] == "checkin" and today().isoformat() in f["days"] for f in frames), (
            frames
        )
        done = next(t for t in days[0]["tasks"] if t["title"] == "Today, low")
        api(gateway, me, "PATCH", f"tasks/tasks/{done['id']}/", status="completed")
        frames = agenda_frames(ws)
        assert any(f["reason"] == "task" for f in frames), frames
    assert equals_the_services(gateway, me, plans)

    suggestion_journey(gateway, me, other, plans)
    assert equals_the_services(gateway, me, plans)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    stack = embedded_stack_of("agenda", workers=False)
    yield stack
    stack.stop()


@pytest.mark.timeout(600)
def test_the_agenda_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    base = embedded.url
    me, other = register(base), register(base)
    habits = make_habits(base, me)
    _undated, plans = make_heavy_day(base, me)
    wait_for(
        lambda: equals_the_services(base, me, plans),
        timeout=120,
        what="the agenda equal to the habits and tasks the services hold",
    )
    with open_socket(base, me) as ws:
        api(base, me, "PUT", f"habits/habits/{habits[1]['id']}/checkins/", day=today().isoformat())
        frames = agenda_frames(ws)
        assert any(f["reason"] == "checkin" for f in frames), frames
    suggestion_journey(base, me, other, plans)
    assert equals_the_services(base, me, plans)
