"""A task's deadline end to end, through nginx: the owner of a room creates a task for a member,
due in 2 minutes, with a 1-minute reminder (`PUT /api/tasks/tasks/<id>/reminders/`); tasks'
reminder pass (its Celery beat, as `make run` starts it) publishes `tasks.reminder.due` at its
minute, notifications turns it into `task_reminder`: the assignee's socket gets the frame, and
the email is in the mail backend (Django's file backend: `var/mail/notifications/`). When the
deadline passes, `task_overdue` reaches the socket once (a later pass sends nothing more), and
not the creator (the task has an assignee).

Once on the real stack (PostgreSQL, Kafka, Redis), once on `make run`'s embedded defaults
(SQLite, the embedded event log, the SQLite channel layer). Both stacks run without Celery
workers; the test starts the three this journey needs: tasks' (with beat: the pass), auth's
(the address-verification mail: notifications emails only verified addresses) and
notifications' (the notification emails). Nothing drives the pass but the clock; beat runs it
every few seconds (`TASKS_REMINDER_PASS_SECONDS`) instead of each minute, so the reminder and
the overdue notice come within seconds of their moment and "once" is seen over several passes.
"""

from __future__ import annotations

import email
import email.header
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from harness import PYTHON, ROOT, Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_notifications import auth, no_more_frames, open_socket

TITLE = "Ship the release"
PASS_SECONDS = 5
VERIFY_LINK = re.compile(r"https?://[^/\s]+/verify-email\?[^\s\"<]+")


# -- processes ----------------------------------------------------------------------------------


@contextmanager
def worker(
    service: str, env: dict[str, str], log_dir: Path, *, beat: bool = False
) -> Iterator[None]:
    """The service's Celery worker (with beat when `beat`), as `make run` starts it."""
    log = open(log_dir / f"{service}-reminders-worker.log", "ab")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "celery"),
            "-A", "config", "worker", *(["-B"] if beat else []),
            "--loglevel", "INFO", "--concurrency", "1", "--pool", "solo",
            "--hostname", f"{service}-e2e-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT / f"{service}-service",
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@contextmanager
def workers(env: dict[str, str], log_dir: Path) -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(worker("auth", env, log_dir))
        stack.enter_context(worker("notifications", env, log_dir))
        pass_every = {**env, "TASKS_REMINDER_PASS_SECONDS": str(PASS_SECONDS)}
        stack.enter_context(worker("tasks", pass_every, log_dir, beat=True))
        yield


# -- mail ---------------------------------------------------------------------------------------


def mails(mail_dir: Path, address: str) -> list[email.message.Message]:
    """Every message to `address` in Django's file backend (one file per connection)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.is_dir() else []:
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            message = email.message_from_bytes(raw.strip())
            if address in str(message.get("To", "")):
                found.append(message)
    return found


def subject(message: email.message.Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def plain_text(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def verify_address(base: str, var_dir: Path, account: dict[str, Any]) -> None:
    """Follow the verification mail's token (notifications emails verified addresses only)."""
    address = account["user"]["email"]

    def token() -> str | None:
        for message in mails(var_dir / "mail" / "auth", address):
            found = VERIFY_LINK.search(plain_text(message))
            if found:
                return parse_qs(urlsplit(found[0]).query)["token"][0]
        return None

    verified = requests.post(
        f"{base}/api/auth/email/verify/",
        json={"token": wait_for(token, timeout=120, what="the verification mail")},
        timeout=30,
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True


# -- the journey --------------------------------------------------------------------------------


def tasks_api(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    response = requests.request(
        method,
        f"{base}/api/tasks/{path}",
        headers=auth(account),
        json=body if method in ("POST", "PATCH", "PUT") else None,
        timeout=30,
    )
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def next_of(ws: Any, type: str, *, timeout: float) -> tuple[dict[str, Any], datetime]:
    """The next notification of `type` on the socket (others skipped) and when it came."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            break
        if message["type"] == "notification" and message["notification"]["type"] == type:
            return message["notification"], datetime.now(UTC)
    raise AssertionError(f"no {type} notification within {timeout}s")


def journey(base: str, var_dir: Path) -> None:
    owner, member = register_and_login(base), register_and_login(base)
    verify_address(base, var_dir, member)
    room = tasks_api(base, owner, "POST", "rooms/", name="Release")
    tasks_api(base, member, "POST", "rooms/join/", code=room["join_code"])

    with open_socket(base, member) as ws:
        due = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
        task = tasks_api(
            base,
            owner,
            "POST",
            f"rooms/{room['id']}/tasks/",
            title=TITLE,
            due=due.isoformat(),
            assignee_ids=[member["user"]["id"]],
        )
        tasks_api(base, owner, "PUT", f"tasks/{task['id']}/reminders/", offsets_minutes=[1])
        remind_at = due - timedelta(minutes=1)

        # The reminder at its moment (the next pass after it): live, then by email.
        wait = (remind_at - datetime.now(UTC)).total_seconds()
        reminder, arrived = next_of(ws, "task_reminder", timeout=wait + 90)
        assert arrived >= remind_at, (arrived, remind_at)
        assert reminder["text"] == f"Reminder: “{TITLE}” is due in 1 minute"
        assert reminder["target"] == {"service": "tasks", "kind": "task", "id": task["id"]}
        assert reminder["actor"] is None
        mailed = wait_for(
            lambda: [
                m
                for m in mails(var_dir / "mail" / "notifications", member["user"]["email"])
                if subject(m) == reminder["text"]
            ],
            timeout=90,
            what="the reminder's email",
        )
        assert len(mailed) == 1

        # Overdue once the deadline passed, once.
        wait = (due - datetime.now(UTC)).total_seconds()
        overdue, arrived = next_of(ws, "task_overdue", timeout=wait + 90)
        assert arrived >= due, (arrived, due)
        assert overdue["text"] == f"“{TITLE}” is overdue"
        assert overdue["target"]["id"] == task["id"]
        # The next passes tell nothing more.
        later = no_more_frames(ws, wait=PASS_SECONDS * 4)
        assert [f["notification"]["type"] for f in later] == []

    # The creator is not told (the task has an assignee), and the member's inbox has each once.
    def kinds(account: dict[str, Any]) -> list[str]:
        listed = requests.get(f"{base}/api/notifications/", headers=auth(account), timeout=30)
        assert listed.status_code == 200, listed.text
        return [n["type"] for n in listed.json()["results"]]

    assert not {"task_reminder", "task_overdue"} & set(kinds(owner))
    told = kinds(member)
    assert told.count("task_reminder") == 1 and told.count("task_overdue") == 1, told


# -- the two stacks -----------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_a_reminder_and_overdue_through_nginx_and_kafka_on_the_real_stack(
    gateway: str, stack_env: dict[str, str], var_dir: Path
) -> None:
    with workers(stack_env, var_dir):
        journey(gateway, var_dir)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    stack = embedded_stack_of("task-reminders", workers=False)
    yield stack
    stack.stop()


@pytest.mark.timeout(900)
def test_a_reminder_and_overdue_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    with workers(embedded.env, embedded.var_dir):
        journey(embedded.url, embedded.var_dir)
