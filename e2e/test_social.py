"""social-service end to end: through the gateway, with real PostgreSQL, Redis and Kafka.

One journey: personal pages appear from `auth.user.registered` (Kafka), public and private
follows, the home feed filled by fan-out on write (a Celery worker of social-service started
here: the suite's stack runs without workers), likes and comments, unfollow, and a moderator's
block hiding a page's posts from everyone else."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from harness import ROOT, register_and_login, wait_for

API = "/api/social"


@pytest.fixture(scope="module")
def social_worker(gateway: str, stack_env: dict[str, str], var_dir: Path) -> Iterator[Path]:
    """social-service's Celery worker (fan-out of new posts), on the stack's own broker; yields
    its log."""
    log_path = var_dir / "social-worker.log"
    log = open(log_path, "ab")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"social-e2e-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT / "social-service",
        env={**stack_env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield log_path
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


class Client:
    """One signed-in person talking to social-service through the gateway."""

    def __init__(self, gateway: str, account: dict[str, Any]) -> None:
        self.gateway = gateway
        self.account = account
        self.id = account["user"]["id"]
        self.username = account["user"]["username"]
        self.token = account["access"]

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.gateway}{API}{path}"
        return requests.request(
            method, url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def personal_page(self) -> dict[str, Any] | None:
        response = self.get("/me/")
        return response.json()["personal_page"] if response.status_code == 200 else None

    def publish(self, handle: str, text: str) -> str:
        response = self.post(f"/pages/{handle}/posts/", json={"text": text})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def feed(self, *, page_size: int) -> list[str]:
        """Every page of the home feed, following `next` to the end."""
        ids: list[str] = []
        url = f"/feed/?page_size={page_size}"
        while url:
            response = self.get(url)
            assert response.status_code == 200, response.text
            body = response.json()
            ids += [post["id"] for post in body["results"]]
            url = body["next"]
        return ids


def _person(gateway: str) -> Client:
    person = Client(gateway, register_and_login(gateway))
    page = wait_for(
        person.personal_page, timeout=60, interval=0.3, what="the personal page (over Kafka)"
    )
    assert page["kind"] == "personal"
    assert page["handle"].lower() == person.username.lower()
    return person


def _relogin_as(gateway: str, stack_env: dict[str, str], person: Client, role: str) -> Client:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "set_role", person.username, role],
        cwd=ROOT / "auth-service",
        env=stack_env,
        check=True,
        capture_output=True,
    )
    login = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": person.username, "password": person.account["password"]},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    return Client(gateway, {**person.account, **login.json()})


def test_the_social_journey(gateway: str, stack_env: dict[str, str], social_worker: None) -> None:
    ada, carol, reader, mod = (_person(gateway) for _ in range(4))
    ada_page = ada.personal_page()["handle"]
    assert reader.feed(page_size=5) == []  # the first read builds (keeps) the timeline

    # A public page: followed at once.
    followed = reader.post(f"/pages/{ada_page}/follow/")
    assert followed.status_code == 201, followed.text
    assert followed.json()["status"] == "approved"

    # A private page: the follow waits for the owner's approval.
    club = f"club_{uuid.uuid4().hex[:8]}"
    created = carol.post("/pages/", json={"handle": club, "name": "Study club", "is_private": True})
    assert created.status_code == 201, created.text
    asked = reader.post(f"/pages/{club}/follow/")
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending"
    assert reader.get(f"/pages/{club}/posts/").status_code == 403
    pending = carol.get(f"/pages/{club}/requests/")
    assert [row["user"]["id"] for row in pending.json()["results"]] == [reader.id]
    approved = carol.post(f"/pages/{club}/requests/approve/", json={"user_ids": [reader.id]})
    assert approved.json() == {"count": 1}
    assert reader.get(f"/pages/{club}/").json()["follow_status"] == "approved"

    # Posts of both followed pages reach the home feed (fan-out), newest first, and the
    # cursor pages never repeat a post; an unfollowed page's posts never appear.
    posted = []
    for i in range(4):
        posted.append(ada.publish(ada_page, f"ada {i}"))
        posted.append(carol.publish(club, f"club {i}"))
    carol_own = carol.publish(carol.personal_page()["handle"], "not followed")
    newest_first = list(reversed(posted))
    # Fan-out on write (the Celery worker): each followed page's post pushed to one timeline,
    # so the feed below is read from the kept timeline, not from the database fallback. The
    # worker may first drain fan-outs queued by earlier tests, and the stack's other social
    # workers take fan-outs too, so a count in this worker's log says nothing of these posts:
    # the kept timeline must show them all.
    wait_for(
        lambda: reader.feed(page_size=3) == newest_first,
        timeout=30,
        what="the fan-out of the posts into the reader's timeline",
    )
    pages = reader.get("/feed/?page_size=3").json()
    assert len(pages["results"]) == 3 and pages["next"]
    seen = reader.feed(page_size=3)
    assert seen == newest_first
    assert len(seen) == len(set(seen))
    assert carol_own not in seen

    # Likes and comments.
    target = posted[-2]  # ada's newest
    for _ in range(2):  # liking is idempotent
        assert reader.post(f"/posts/{target}/like/").status_code == 200
    comment = reader.post(f"/posts/{target}/comments/", json={"text": "well done"})
    assert comment.status_code == 201, comment.text
    reply = ada.post(
        f"/posts/{target}/comments/", json={"text": "thanks", "parent_id": comment.json()["id"]}
    )
    assert reply.status_code == 201, reply.text
    post = reader.get(f"/posts/{target}/").json()
    assert (post["like_count"], post["liked"]) == (1, True)
    assert post["comment_count"] >= 1
    likers = ada.get(f"/posts/{target}/likes/").json()["results"]
    assert [row["user"]["id"] for row in likers] == [reader.id]
    comments = ada.get(f"/posts/{target}/comments/").json()["results"]
    assert [row["text"] for row in comments] == ["well done"]
    thread = ada.get(f"/posts/{target}/comments/?parent={comment.json()['id']}").json()
    assert [row["text"] for row in thread["results"]] == ["thanks"]

    # Unfollowing removes the page's posts from the feed.
    assert reader.delete(f"/pages/{club}/follow/").status_code == 204
    ada_posts = [p for i, p in enumerate(posted) if i % 2 == 0]
    assert reader.feed(page_size=3) == list(reversed(ada_posts))

    # A moderator blocks ada's page: its posts disappear for everyone else, not for ada.
    mod = _relogin_as(gateway, stack_env, mod, "moderator")
    refused = reader.post(
        f"/moderation/pages/{ada_page}/block/", json={"reason": "spam", "duration_hours": 1}
    )
    assert refused.status_code == 403
    blocked = mod.post(
        f"/moderation/pages/{ada_page}/block/", json={"reason": "spam", "duration_hours": 1}
    )
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["is_blocked"] is True
    assert reader.feed(page_size=3) == []
    assert reader.get(f"/pages/{ada_page}/").status_code == 404
    assert reader.get(f"/posts/{target}/").status_code == 404
    assert ada.get(f"/pages/{ada_page}/").json()["is_blocked"] is True
    actions = mod.get("/moderation/actions/").json()["results"]
    assert any(a["action"] == "block_page" and a["reason"] == "spam" for a in actions)

    # Lifting the block brings the posts back (blocks apply when the feed is read).
    lifted = mod.delete(f"/moderation/pages/{ada_page}/block/", json={"reason": "appeal"})
    assert lifted.status_code == 200, lifted.text
    assert reader.feed(page_size=3) == list(reversed(ada_posts))
