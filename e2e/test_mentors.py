"""Mentors end to end, through nginx: a mentor sets up a profile → a student writes to them in
chat and the mentor answers → the student reviews the mentor → the mentor is notified, live on
their open socket and in the list (social's outbox → the bus → notifications-service) → the
mentor answers the review and the student's socket hears of it → the rating shows on the mentor
list. On the real stack (PostgreSQL, Kafka, Redis) and on `make run`'s embedded defaults (SQLite,
the embedded event log, the SQLite channel layer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import Stack, api_ok, bearer, call_api, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_notifications import notification_frames, open_socket

MENTORS = "social/mentors"


def _frame_of(ws: Any, kind: str) -> dict[str, Any]:
    """The next notification frame of type `kind`; others (the chat's message notifications,
    which may come late) are passed over."""
    for _ in range(10):
        [frame] = notification_frames(ws, 1, timeout=90)
        if frame["notification"]["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame among the next 10")


def _journey(gateway: str) -> None:
    mentor, student = register_and_login(gateway), register_and_login(gateway)
    mentor_id = mentor["user"]["id"]
    profile = api_ok(
        gateway,
        mentor,
        "PUT",
        f"{MENTORS}/me/",
        subjects=["python", "mathematics"],
        tags=["django"],
        languages=["en", "uk"],
        years_experience=5,
        bio="Python and maths",
        price_min="10",
        price_max="25",
        currency="EUR",
        availability="Evenings",
    )
    assert [s["code"] for s in profile["subjects"]] == ["python", "mathematics"]
    # Subjects come in the reader's language.
    subjects = requests.get(
        f"{gateway}/api/{MENTORS}/subjects/", headers={"Accept-Language": "uk"}, timeout=30
    ).json()
    assert {s["code"]: s["name"] for s in subjects}["mathematics"] == "Математика"

    # No review before a real interaction.
    early = call_api(gateway, student, "POST", f"{MENTORS}/{mentor_id}/reviews/", rating=5)
    assert early.status_code == 403 and early.json()["code"] == "no_interaction"

    def started() -> Any:
        r = call_api(gateway, student, "POST", "social/chat/direct/", user_id=mentor_id)
        return r.json()["id"] if r.status_code in (200, 201) else None

    conversation = wait_for(started, timeout=60, what="the direct conversation")
    messages = f"social/chat/conversations/{conversation}/messages/"
    api_ok(gateway, student, "POST", messages, text="Can you help me with recursion?")
    api_ok(gateway, mentor, "POST", messages, text="Sure, let's start tomorrow.")

    bad = call_api(gateway, student, "POST", f"{MENTORS}/{mentor_id}/reviews/", rating=6)
    assert bad.status_code == 400 and "rating" in bad.json()["fields"]
    with open_socket(gateway, mentor) as ws:
        review = api_ok(
            gateway,
            student,
            "POST",
            f"{MENTORS}/{mentor_id}/reviews/",
            rating=5,
            text="Patient and clear",
        )
        assert review["interaction"] == "conversation"
        pushed = _frame_of(ws, "mentor_reviewed")
    assert pushed["notification"]["actor"]["id"] == student["user"]["id"]

    def notified() -> Any:
        r = requests.get(f"{gateway}/api/notifications/", headers=bearer(mentor), timeout=30)
        found = [n for n in r.json()["results"] if n["type"] == "mentor_reviewed"]
        return found[0] if found else None

    notice = wait_for(notified, timeout=90, what="the mentor's review notification")
    assert "5 of 5" in notice["text"], notice
    assert notice["id"] == pushed["notification"]["id"]  # the frame is the stored notification

    # The mentor answers once; the student hears of it on their socket.
    with open_socket(gateway, student) as ws:
        api_ok(
            gateway, mentor, "POST", f"{MENTORS}/reviews/{review['id']}/answer/", text="Thank you!"
        )
        answered = _frame_of(ws, "review_answered")
    assert answered["notification"]["actor"]["id"] == mentor_id
    again = call_api(
        gateway, mentor, "POST", f"{MENTORS}/reviews/{review['id']}/answer/", text="Once more"
    )
    assert again.status_code == 409, again.text

    listed = requests.get(
        f"{gateway}/api/{MENTORS}/",
        params={"subject": "python", "min_rating": 4, "active": "true", "page_size": 100},
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    [row] = [m for m in listed.json()["results"] if m["user_id"] == mentor_id]
    assert row["rating"]["count"] == 1 and row["rating"]["average"] == 5.0
    assert row["rating"]["distribution"]["5"] == 1 and row["active"] is True
    reviews = requests.get(f"{gateway}/api/{MENTORS}/{mentor_id}/reviews/", timeout=30).json()
    assert [r["text"] for r in reviews["results"]] == ["Patient and clear"]


def test_mentor_journey_on_the_real_stack(gateway: str) -> None:
    _journey(gateway)


@pytest.fixture(scope="module")
def embedded_gateway() -> Iterator[str]:
    """`make run`'s embedded defaults, without Celery workers: the journey needs none."""
    stack: Stack = embedded_stack_of("mentors", workers=False)
    yield stack.url
    stack.stop()


def test_mentor_journey_on_the_embedded_defaults(embedded_gateway: str) -> None:
    _journey(embedded_gateway)
