"""`make run`: the whole system on embedded defaults (SQLite, the embedded event log, the SQLite
channel layer, local media and mail, Celery on the filesystem transport) behind nginx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from harness import SERVICES, Stack, register_and_login, wait_for, whoami
from harness import embedded_stack as embedded_stack_of


@pytest.fixture(scope="module")
def embedded_stack() -> Iterator[Stack]:
    # The same command `make run` runs, Celery workers included, on ports of its own.
    stack = embedded_stack_of("embedded")
    yield stack
    stack.stop()


def test_docs_list_all_six_apis_and_every_service_is_ready(embedded_stack: Stack) -> None:
    page = requests.get(f"{embedded_stack.url}/api/docs/", timeout=10)
    assert page.status_code == 200
    for service in SERVICES:
        assert f"/api/{service}/schema/" in page.text
        ready = requests.get(f"{embedded_stack.url}/api/{service}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["database"]["status"] == "ok"
        schema = requests.get(f"{embedded_stack.url}/api/{service}/schema/?format=json", timeout=30)
        assert schema.json()["info"]["title"].startswith("CoTask")


def test_embedded_mode_uses_sqlite_and_the_embedded_log(embedded_stack: Stack) -> None:
    var_dir = embedded_stack.var_dir
    for service in SERVICES:
        assert (var_dir / f"{service}.sqlite3").exists(), service
    assert (var_dir / "events.sqlite3").exists()


def test_registration_reaches_every_service_over_the_embedded_log(embedded_stack: Stack) -> None:
    account = register_and_login(embedded_stack.url)
    for service in SERVICES:
        assert whoami(embedded_stack.url, service, account["access"]).status_code == 200

    def projected_everywhere() -> bool:
        return all(
            whoami(embedded_stack.url, service, account["access"]).json()["known_locally"]
            for service in SERVICES
        )

    wait_for(projected_everywhere, timeout=60, interval=0.5, what="UserRef in every service")


def test_celery_workers_with_beat_are_running(embedded_stack: Stack) -> None:
    assert embedded_stack.process.poll() is None
    for service in SERVICES:
        log = embedded_stack.log_dir / f"{service}:worker.log"
        wait_for(
            lambda log=log: log.exists() and "ready." in log.read_text(errors="replace"),
            timeout=60,
            what=f"{service}'s Celery worker",
        )
        assert "beat: Starting" in log.read_text(errors="replace")


def test_a_post_is_fanned_out_by_celery_on_the_serverless_broker(embedded_stack: Stack) -> None:
    account = register_and_login(embedded_stack.url)
    headers = {"Authorization": f"Bearer {account['access']}"}

    def personal_page() -> dict | None:
        response = requests.get(f"{embedded_stack.url}/api/social/me/", headers=headers, timeout=10)
        return response.json().get("personal_page") if response.status_code == 200 else None

    page = wait_for(personal_page, timeout=60, what="the personal page over the embedded log")
    posted = requests.post(
        f"{embedded_stack.url}/api/social/pages/{page['id']}/posts/",
        json={"text": "hello from make run"},
        headers=headers,
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    log = embedded_stack.log_dir / "social:worker.log"
    wait_for(
        lambda: (
            "social.fan_out_post" in log.read_text(errors="replace")
            and "succeeded" in log.read_text(errors="replace")
        ),
        timeout=60,
        what="the fan-out task run by social's Celery worker",
    )
    feed = requests.get(f"{embedded_stack.url}/api/social/feed/", headers=headers, timeout=10)
    assert [post["id"] for post in feed.json()["results"]] == [posted.json()["id"]]


def test_a_like_and_its_grouping_reach_the_author_on_sqlite(embedded_stack: Stack) -> None:
    """The notifications' prepared statements and the relay's run on SQLite too: two likes of
    one post become one grouped notification, and reading it brings the count back to 0."""
    url = embedded_stack.url
    author, *likers = (register_and_login(url) for _ in range(3))

    def page_of(account: dict) -> dict | None:
        headers = {"Authorization": f"Bearer {account['access']}"}
        response = requests.get(f"{url}/api/social/me/", headers=headers, timeout=10)
        return response.json().get("personal_page") if response.status_code == 200 else None

    page = wait_for(lambda: page_of(author), timeout=60, what="the author's personal page")
    for liker in likers:
        wait_for(lambda liker=liker: page_of(liker), timeout=60, what="the liker's page")
    author_headers = {"Authorization": f"Bearer {author['access']}"}
    post = requests.post(
        f"{url}/api/social/pages/{page['id']}/posts/",
        json={"text": "like me"},
        headers=author_headers,
        timeout=30,
    ).json()
    for liker in likers:
        liked = requests.post(
            f"{url}/api/social/posts/{post['id']}/like/",
            headers={"Authorization": f"Bearer {liker['access']}"},
            timeout=30,
        )
        assert liked.status_code == 200, liked.text
        assert liked.json() == {"liked": True, "changed": True}

    def grouped() -> dict | None:
        listed = requests.get(
            f"{url}/api/notifications/?type=like", headers=author_headers, timeout=10
        ).json()["results"]
        return listed[0] if listed and listed[0]["actor_count"] == 2 else None

    notification = wait_for(grouped, timeout=60, what="one like notification with two actors")
    unread = f"{url}/api/notifications/unread-count/"
    assert requests.get(unread, headers=author_headers, timeout=10).json()["unread"] == 1
    read = requests.post(
        f"{url}/api/notifications/{notification['id']}/read/", headers=author_headers, timeout=10
    )
    assert read.status_code in (200, 204), read.text
    assert requests.get(unread, headers=author_headers, timeout=10).json()["unread"] == 0
