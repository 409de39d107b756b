"""Deleting an account removes the person from every service's data, through the real stack.

A person with a page, posts, an avatar, likes and comments on someone else's post, a follow, a
report and notifications in others' inboxes deletes the account. Afterwards no text, char or
JSON column of any table in any service's schema holds their id, username, display name or
anything they wrote, except the references listed in `IRREDUCIBLE` (docs/events.md,
`auth.user.deleted`), and the other people's counters are as if they had undone it all.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from harness import PYTHON, ROOT, SERVICES, register_and_login, wait_for, whoami
from PIL import Image
from psycopg import sql

SCHEMAS = SERVICES
# The outbox rows the deletion itself produces carry the person's id (never a name) so other
# services can act on it; they are removed at the outbox's retention like every other row.
DELETION_EVENT_TYPES = {
    "auth.user.deleted",
    "auth.session.revoked",
    "social.follow.removed",
    "social.follow.rejected",
    "social.page.deleted",
    "social.media.detached",
    "social.media.access_revoked",
    "media.file.deleted",
}
# Services whose outbox held events about the person: their Celery workers forget them.
WORKER_SERVICES = ("auth", "social", "media")


def _start_worker(service: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "celery"),
            "-A", "config", "worker",
            "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO",
            "--hostname", f"{service}-deletion-e2e@%h",
        ],
        cwd=ROOT / f"{service}-service",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    log.close()
    return process


@pytest.fixture(scope="module")
def workers(gateway: str, stack_env: dict[str, str], var_dir: Path) -> Iterator[None]:
    """The suite's stack runs no Celery workers; the deletion's housekeeping needs them."""
    processes = [
        _start_worker(service, stack_env, var_dir / f"{service}-deletion-worker.log")
        for service in WORKER_SERVICES
    ]
    yield
    for process in processes:
        _signal(process, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
            process.wait()


def _signal(process: subprocess.Popen[bytes], number: int) -> None:
    # The worker's own process group; it may have ended meanwhile.
    with contextlib.suppress(ProcessLookupError):
        if process.poll() is None:
            os.killpg(process.pid, number)


def _png(seed: int) -> bytes:
    pixels = hashlib.shake_256(f"avatar-{seed}".encode()).digest(64 * 64 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 64), pixels).save(buffer, "PNG")
    return buffer.getvalue()


class Person:
    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        account = register_and_login(gateway)
        self.account = account
        self.id = account["user"]["id"]
        self.username = account["user"]["username"]
        self.headers = {"Authorization": f"Bearer {account['access']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.gateway}/api/{path}", headers=self.headers, timeout=60, **kwargs
        )

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code in (200, 201, 204), (path, response.status_code, response.text)
        return response.json() if response.content else None

    def page(self) -> dict[str, Any]:
        return wait_for(
            lambda: self.call("GET", "social/me/").json().get("personal_page"),
            timeout=60,
            what=f"{self.username}'s personal page",
        )

    def notifications(self) -> list[dict[str, Any]]:
        return self.ok("GET", "notifications/")["results"]

    def stats(self, page_id: str) -> tuple[int, int, int]:
        stats = self.ok("GET", f"social/pages/{page_id}/stats/")
        return stats["followers"], stats["likes"], stats["comments"]


def _text_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = ANY(%s)"
        " AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')"
        " ORDER BY 1, 2, 3",
        [list(SCHEMAS)],
    ).fetchall()


def _findings(database_url: str, values: list[str]) -> list[tuple[str, str, str, str, str]]:
    """(schema, table, column, value, the row as text) for every row whose column holds a
    value (case-insensitive), in every text, char and JSON column of every service schema."""
    found = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        columns = _text_columns(conn)
        assert {schema for schema, _, _ in columns} == set(SCHEMAS)
        for schema, table, column in columns:
            for value in values:
                query = sql.SQL(
                    "SELECT row_to_json(t)::text FROM {}.{} t WHERE {}::text ILIKE %s"
                ).format(sql.Identifier(schema), sql.Identifier(table), sql.Identifier(column))
                for (row,) in conn.execute(query, [f"%{value}%"]):
                    found.append((schema, table, column, value, row))
    return found


def _irreducible(
    finding: tuple[str, str, str, str, str], *, user_id: str, names: list[str]
) -> bool:
    """What is allowed to keep the id (never a name or a text): auth's anonymised account row
    (`deleted-<hex id>`, kept so the id is never reused), and the outbox rows of the deletion's
    own events (ids only, so the other services can act; gone at the outbox's retention)."""
    schema, table, column, value, row = finding
    if value not in (user_id, uuid.UUID(user_id).hex):
        return False
    if any(name.lower() in row.lower() for name in names):
        return False
    if schema == "auth" and table == "accounts_user" and column in ("username", "email"):
        return True
    if table == "cotask_events_outboxevent" and column in ("key", "payload"):
        return any(f'"type":"{kind}"' in row.replace(" ", "") for kind in DELETION_EVENT_TYPES)
    return False


def test_a_deleted_account_leaves_nothing_in_any_service(
    gateway: str, stack_env: dict[str, str], workers: None
) -> None:
    ada, zed, cy = Person(gateway), Person(gateway), Person(gateway)
    marker = uuid.uuid4().hex[:8]
    display_name = f"Zed Vanishing {marker}"
    comment_text = f"zed was here {marker}"
    post_text = f"zed's own thoughts {marker}"
    report_text = f"zed reports this {marker}"
    zed.ok("PATCH", "auth/me/", json={"display_name": display_name})
    wait_for(
        lambda: all(whoami(gateway, s, zed.headers["Authorization"][7:]).json()["known_locally"]
                    for s in SERVICES),
        timeout=60,
        what="zed in every service",
    )  # fmt: skip
    ada_page, zed_page = ada.page(), zed.page()

    # zed's avatar (media), set on the personal page once social knows the file is ready.
    avatar = zed.call(
        "POST",
        "media/files/",
        files={"file": ("zed-avatar.png", _png(int(marker, 16)), "application/octet-stream")},
        data={"purpose": "avatar", "visibility": "public"},
    )
    assert avatar.status_code == 201, avatar.text
    avatar_id = avatar.json()["id"]
    wait_for(
        lambda: (
            zed.call(
                "PATCH", f"social/pages/{zed_page['id']}/", json={"avatar_id": avatar_id}
            ).status_code
            == 200
        ),
        timeout=60,
        what="the avatar usable in social",
    )
    zed.ok("POST", f"social/pages/{zed_page['id']}/posts/", json={"text": post_text})

    # On ada's page: zed and cy like ada's post, comment on it and follow the page.
    post = ada.ok("POST", f"social/pages/{ada_page['id']}/posts/", json={"text": "hello all"})
    cy.ok("POST", f"social/posts/{post['id']}/like/")
    zed.ok("POST", f"social/posts/{post['id']}/like/")
    cy.ok("POST", f"social/posts/{post['id']}/comments/", json={"text": "nice post"})
    zed_comment = zed.ok(
        "POST", f"social/posts/{post['id']}/comments/", json={"text": comment_text}
    )
    cy.ok("POST", f"social/comments/{zed_comment['id']}/like/")
    cy.ok("POST", f"social/pages/{ada_page['id']}/follow/")
    zed.ok("POST", f"social/pages/{ada_page['id']}/follow/")
    cy.ok("POST", f"social/pages/{zed_page['id']}/follow/")
    zed.ok(
        "POST",
        "social/reports/",
        json={"target_type": "post", "target_id": post["id"], "reason": report_text},
    )

    # ada's inbox names zed: a like grouped with cy's, a comment, a follow.
    def zed_in_adas_inbox() -> bool:
        texts = [n["text"] for n in ada.notifications()]
        return sum(display_name in t for t in texts) >= 3

    wait_for(zed_in_adas_inbox, timeout=60, what="zed's notifications in ada's inbox")
    assert ada.stats(ada_page["id"]) == (2, 2, 2)
    avatar_url = zed.ok("GET", f"media/files/{avatar_id}/").get("url")

    deleted = zed.call("POST", "auth/me/delete/", json={"password": zed.account["password"]})
    assert deleted.status_code in (200, 204), deleted.text

    # Every service applied it: ada's counts and inbox no longer include zed.
    wait_for(
        lambda: ada.stats(ada_page["id"]) == (1, 1, 1),
        timeout=60,
        what="ada's page statistics without zed",
    )
    wait_for(
        lambda: not any(display_name in n["text"] for n in ada.notifications()),
        timeout=60,
        what="zed gone from ada's inbox",
    )
    texts = sorted(n["text"] for n in ada.notifications())
    assert any(t.endswith("liked your post") and " and " not in t for t in texts), texts
    liked = ada.ok("GET", f"social/posts/{post['id']}/")
    assert (liked["like_count"], liked["comment_count"]) == (1, 1)
    comments = ada.ok("GET", f"social/posts/{post['id']}/comments/")["results"]
    assert [c["text"] for c in comments] == ["nice post"]
    assert cy.call("GET", f"social/pages/{zed_page['id']}/").status_code == 404
    assert cy.call("GET", f"media/files/{avatar_id}/").status_code == 404
    if avatar_url:  # the objects leave storage once media's transaction committed
        wait_for(
            lambda: requests.get(avatar_url, timeout=30).status_code in (403, 404),
            timeout=30,
            what="the avatar gone from storage",
        )

    # And nothing in any schema, once the workers forgot the published events.
    user_id = zed.id
    names = [zed.username, display_name, comment_text, post_text, report_text]
    values = [user_id, uuid.UUID(user_id).hex, *names]

    def leftovers() -> list[tuple[str, str, str, str, str]]:
        return [
            finding
            for finding in _findings(stack_env["DATABASE_URL"], values)
            if not _irreducible(finding, user_id=user_id, names=names)
        ]

    try:
        wait_for(lambda: not leftovers(), timeout=90, interval=2, what="no trace of zed")
    except Exception:
        pytest.fail(
            "left behind:\n" + "\n".join(str(f[:4]) + " " + f[4][:300] for f in leftovers())
        )
