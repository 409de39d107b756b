"""Progress posts end to end, through nginx and the bus (Kafka on the real stack, the embedded
log on `make run`'s): a person with a 30-day habit streak (29 days of generated history, then
today's check-in through the API) and a task completed in a room that shares progress. With
their opt-ins on, the two progress posts reach a follower's home feed; with them off, nothing
more appears; a task of a room that does not share never reaches a non-member, with the opt-in
on or off. A room that shares progress reaching 10 completed tasks gives each opted-in
member's followers a post, never naming a private room.

Each "nothing appears" waits until social-service has handled the event (its id read from the
producer's outbox, then looked up in social's processed events), so it is not a timing guess.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from harness import PYTHON, ROOT, Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_social import social_worker  # noqa: F401 - the fan-out worker, a fixture

SOCIAL = "/api/social"
OPT_INS = ("task_completed", "streak_milestone")


class Person:
    def __init__(self, base: str) -> None:
        self.base = base
        self.account = register_and_login(base)
        self.username = self.account["user"]["username"]
        self.headers = {"Authorization": f"Bearer {self.account['access']}"}

    def call(self, method: str, path: str, **body: Any) -> Any:
        response = requests.request(
            method,
            f"{self.base}{path}",
            headers=self.headers,
            json=body if method in ("POST", "PATCH", "PUT") else None,
            timeout=30,
        )
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def feed(self) -> list[dict[str, Any]]:
        return self.call("GET", f"{SOCIAL}/feed/?page_size=50")["results"]


def shell(env: dict[str, str], service: str, code: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT / f"{service}-service",
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode().strip()


def handled_by_social(env: dict[str, str], producer: str, event_type: str, key: str) -> None:
    """Wait until social-service has handled the producer's `event_type` event for `key`."""
    read_id = (
        "from cotask_common.events.models import OutboxEvent; "
        f"print(OutboxEvent.objects.filter(type={event_type!r}, key={key!r})"
        ".values_list('id', flat=True).first() or '')"
    )
    event_id = ""

    def published() -> bool:
        nonlocal event_id
        event_id = shell(env, producer, read_id)
        return bool(event_id)

    wait_for(published, timeout=60, interval=1, what=f"{event_type} in {producer}'s outbox")
    handled = (
        "from cotask_common.events.models import ProcessedEvent; "
        f"print(ProcessedEvent.objects.filter(event_id={event_id!r}).exists())"
    )
    wait_for(
        lambda: shell(env, "social", handled) == "True",
        timeout=120,
        interval=1,
        what=f"social-service handling {event_type}",
    )


def thirty_day_streak(env: dict[str, str], person: Person, name: str) -> str:
    """A daily habit started 29 days ago with a check-in on each of those days (generated, as
    habits' own tests make history: the API takes check-ins at most 7 days back), then today's
    through the API: a streak of 30, and one milestone event, the highest reached (30)."""
    today = datetime.now(UTC).date()  # the account's zone is UTC (registered without one)
    habit = person.call(
        "POST",
        "/api/habits/habits/",
        name=name,
        start_date=(today - timedelta(days=29)).isoformat(),
    )
    shell(
        env,
        "habits",
        "from datetime import date, timedelta; "
        "from habits.tracking.models import Checkin, Habit; "
        f"today = date.fromisoformat({today.isoformat()!r}); "
        f"Checkin.objects.bulk_create([Checkin(habit_id={habit['id']!r}, "
        "day=today - timedelta(days=n)) for n in range(1, 30)]); "
        # The engine's kept state predates the rows: the next check-in counts from the start.
        f"Habit.objects.filter(id={habit['id']!r}).update(engine_state=None)",
    )
    person.call("PUT", f"/api/habits/habits/{habit['id']}/checkins/", day=today.isoformat())
    read = person.call("GET", f"/api/habits/habits/{habit['id']}/")
    assert read["streak"]["current"] == 30, read
    return str(habit["id"])


def complete_task(person: Person, room: dict[str, Any], title: str) -> str:
    task = person.call("POST", f"/api/tasks/rooms/{room['id']}/tasks/", title=title)
    person.call("POST", f"/api/tasks/tasks/{task['id']}/move/", status="completed")
    return str(task["id"])


def progress_in(feed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [post for post in feed if post["kind"] == "progress"]


def follow_once_there(follower: Person, person: Person) -> None:
    """`person`'s personal page comes from auth's event: wait for it, then follow it."""
    page = f"{SOCIAL}/pages/{person.username}/"
    wait_for(
        lambda: (
            requests.get(f"{follower.base}{page}", headers=follower.headers, timeout=30).status_code
            == 200
        ),
        timeout=60,
        interval=0.5,
        what=f"{person.username}'s personal page",
    )
    follower.call("POST", f"{page}follow/")


def journey(base: str, env: dict[str, str]) -> None:
    ada, bob = Person(base), Person(base)

    # Ada's personal page comes from auth's event; Bob follows it.
    follow_once_there(bob, ada)
    settings = ada.call("PATCH", f"{SOCIAL}/me/progress/", **dict.fromkeys(OPT_INS, True))
    assert settings["task_completed"] and settings["streak_milestone"], settings

    shared = ada.call("POST", "/api/tasks/rooms/", name="Launch crew")
    assert shared["share_progress"] is False  # off by default
    ada.call("PATCH", f"/api/tasks/rooms/{shared['id']}/", share_progress=True)
    quiet = ada.call("POST", "/api/tasks/rooms/", name="Board of secrets")

    # A room that does not share: handled, and nothing of it anywhere.
    secret = complete_task(ada, quiet, "Sign the secret merger")
    handled_by_social(env, "tasks", "tasks.task.completed", secret)

    habit = thirty_day_streak(env, ada, "Morning run")
    done = complete_task(ada, shared, "Write the launch notes")

    def two_posts() -> bool:
        return len(progress_in(bob.feed())) >= 2

    wait_for(two_posts, timeout=120, interval=1, what="two progress posts in bob's feed")
    posts = progress_in(bob.feed())
    by_kind = {post["progress"]["kind"]: post for post in posts}
    assert len(posts) == 2 and set(by_kind) == set(OPT_INS), posts
    streak = by_kind["streak_milestone"]
    assert streak["progress"]["figures"] == {"days": 30}
    assert streak["text"] == "A 30-day streak of “Morning run”!"
    task = by_kind["task_completed"]
    assert task["progress"]["names"] == {"title": "Write the launch notes", "room": "Launch crew"}
    assert all(post["page"]["handle"] == ada.username for post in posts)
    handled_by_social(env, "habits", "habits.streak.milestone", habit)
    handled_by_social(env, "tasks", "tasks.task.completed", done)

    # Liked and commented like any post.
    bob.call("POST", f"{SOCIAL}/posts/{streak['id']}/like/")
    bob.call("POST", f"{SOCIAL}/posts/{streak['id']}/comments/", text="Keep going!")

    # Opted out: the same two things again make no post.
    ada.call("PATCH", f"{SOCIAL}/me/progress/", **dict.fromkeys(OPT_INS, False))
    habit = thirty_day_streak(env, ada, "Evening read")
    done = complete_task(ada, shared, "Ship the release")
    handled_by_social(env, "habits", "habits.streak.milestone", habit)
    handled_by_social(env, "tasks", "tasks.task.completed", done)
    assert {p["id"] for p in progress_in(bob.feed())} == {p["id"] for p in posts}

    # The quiet room's task: not in the follower's feed, not on ada's page, not even for ada.
    page = bob.call("GET", f"{SOCIAL}/pages/{ada.username}/posts/?page_size=50")["results"]
    for seen in (bob.feed(), page, ada.feed()):
        texts = " ".join(str(post) for post in seen)
        assert "secret" not in texts.lower() and "Board of secrets" not in texts
    liked = [p for p in bob.feed() if p["id"] == streak["id"]]
    assert liked and liked[0]["liked"] and liked[0]["comment_count"] == 1


def room_milestone_journey(base: str, env: dict[str, str]) -> None:
    """Two rooms that share progress reach 10 completed tasks: an open one (its tenth task
    completed by another member, dragged next to a done one: the board's hand-written SQL on
    PostgreSQL) and a private one. Cyd opted in, Dan did not: Cyd's follower sees both posts,
    the private room unnamed; Dan's page has none."""
    cyd, dan, eve = Person(base), Person(base), Person(base)
    follow_once_there(eve, cyd)
    assert cyd.call("PATCH", f"{SOCIAL}/me/progress/", room_milestone=True)["room_milestone"]

    lab = cyd.call("POST", "/api/tasks/rooms/", name="Open lab")
    cyd.call("PATCH", f"/api/tasks/rooms/{lab['id']}/", share_progress=True)
    dan.call("POST", "/api/tasks/rooms/join/", code=lab["join_code"])
    done = [
        cyd.call(
            "POST", f"/api/tasks/rooms/{lab['id']}/tasks/", title=f"Step {n}", status="completed"
        )
        for n in range(9)
    ]
    last = dan.call("POST", f"/api/tasks/rooms/{lab['id']}/tasks/", title="Step 10")
    dan.call(
        "POST",
        f"/api/tasks/tasks/{last['id']}/move/",
        status="completed",
        after_id=done[-1]["id"],
    )

    vault = cyd.call("POST", "/api/tasks/rooms/", name="Hidden vault")
    room = cyd.call("PATCH", f"/api/tasks/rooms/{vault['id']}/", share_progress=True, private=True)
    assert room["private"] is True
    for n in range(10):
        title = f"Vault task {n}"
        cyd.call("POST", f"/api/tasks/rooms/{vault['id']}/tasks/", title=title, status="completed")

    def two_posts() -> bool:
        return len(progress_in(eve.feed())) >= 2

    wait_for(two_posts, timeout=120, interval=1, what="two room milestones in eve's feed")
    posts = progress_in(eve.feed())
    assert len(posts) == 2, posts
    assert all(post["progress"]["kind"] == "room_milestone" for post in posts)
    assert all(post["progress"]["figures"] == {"tasks": 10} for post in posts)
    texts = {post["text"] for post in posts}
    assert texts == {
        "Our room “Open lab” reached 10 completed tasks!",
        "A private room I am in reached 10 completed tasks!",
    }, texts
    assert "Hidden vault" not in str(posts) and "Vault task" not in str(posts)
    for key in (lab["id"], vault["id"]):
        handled_by_social(env, "tasks", "tasks.room.milestone", key)
    page = eve.call("GET", f"{SOCIAL}/pages/{dan.username}/posts/?page_size=50")["results"]
    assert progress_in(page) == []  # dan reached it but did not opt in


@pytest.mark.timeout(900)
def test_progress_posts_through_nginx_and_kafka(
    gateway: str,
    stack_env: dict[str, str],
    social_worker: Path,  # noqa: F811 - the fixture imported above
) -> None:
    journey(gateway, stack_env)


@pytest.mark.timeout(900)
def test_room_milestones_through_nginx_and_kafka(
    gateway: str,
    stack_env: dict[str, str],
    social_worker: Path,  # noqa: F811 - the fixture imported above
) -> None:
    room_milestone_journey(gateway, stack_env)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    # social's Celery worker fans new posts out, as `make run` starts it; the others' are idle.
    stack = embedded_stack_of("progress", workers_of=("social",))
    yield stack
    stack.stop()


@pytest.mark.timeout(900)
def test_progress_posts_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    journey(embedded.url, embedded.env)


@pytest.mark.timeout(900)
def test_room_milestones_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    room_milestone_journey(embedded.url, embedded.env)
