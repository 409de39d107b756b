"""Learning requests end to end, through nginx: a student posts a private request → it lists the
mentor as a match, with the reasons → the mentor is told live on their socket and finds it among
the requests for them → the mentor offers and the student is told live → the student accepts →
a direct conversation of the two is open and the request is closed → the student may now review
the mentor. On the real stack (PostgreSQL, Kafka, Redis) and on `make run`'s embedded defaults
(SQLite, the embedded event log, the SQLite channel layer)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from harness import Stack, api_ok, call_api, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_mentors import _frame_of
from test_notifications import open_socket

MENTORS = "social/mentors"
REQUESTS = "social/learning-requests"


def _journey(gateway: str) -> None:
    mentor, student, stranger = (register_and_login(gateway) for _ in range(3))
    mentor_id = mentor["user"]["id"]
    api_ok(
        gateway,
        mentor,
        "PUT",
        f"{MENTORS}/me/",
        subjects=["python"],
        tags=["django"],
        languages=["uk", "en"],
        years_experience=4,
    )
    deadline = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    past = call_api(
        gateway,
        student,
        "POST",
        f"{REQUESTS}/",
        subject="python",
        language="uk",
        deadline="2001-01-01",
    )
    assert past.status_code == 400 and "deadline" in past.json()["fields"], past.text

    with open_socket(gateway, mentor) as ws:

        def posted() -> Any:
            r = call_api(
                gateway,
                student,
                "POST",
                f"{REQUESTS}/",
                subject="python",
                tags=["django"],
                requirements="Help me with Django views",
                level="beginner",
                language="uk",
                budget_max="30",
                currency="EUR",
                deadline=deadline,
                visibility="private",
            )
            return r.json() if r.status_code == 201 else None

        request = wait_for(posted, timeout=60, what="the learning request")
        pushed = _frame_of(ws, "learning_request_match")
    assert pushed["notification"]["actor"]["id"] == student["user"]["id"]
    rid = request["id"]

    # A stranger learns nothing of the private request; the student sees the mentor matched.
    hidden = call_api(gateway, stranger, "GET", f"{REQUESTS}/{rid}/")
    assert hidden.status_code == 404, hidden.text
    matches = api_ok(gateway, student, "GET", f"{REQUESTS}/{rid}/matches/")
    [match] = [m for m in matches["results"] if m["mentor"]["user_id"] == mentor_id]
    reasons = [r["text"] for r in match["reasons"]]
    assert "Teaches Python" in reasons and "Speaks Ukrainian" in reasons, reasons

    # The mentor finds it among the requests for them, and offers; the student hears of it.
    mine = api_ok(gateway, mentor, "GET", f"{REQUESTS}/for-me/")
    assert rid in [r["id"] for r in mine["results"]]
    with open_socket(gateway, student) as ws:
        offer = api_ok(
            gateway,
            mentor,
            "POST",
            f"{REQUESTS}/{rid}/offers/",
            message="Let us start on Monday",
            price="25",
            currency="EUR",
        )
        told = _frame_of(ws, "learning_offer")
    assert told["notification"]["actor"]["id"] == mentor_id
    offers = api_ok(gateway, student, "GET", f"{REQUESTS}/{rid}/offers/")
    assert [o["id"] for o in offers["results"]] == [offer["id"]]

    # The student accepts: the conversation of the two is open, the request closed.
    accepted = api_ok(gateway, student, "POST", f"{REQUESTS}/{rid}/offers/{offer['id']}/accept/")
    assert accepted["status"] == "accepted"
    again = call_api(gateway, student, "POST", f"{REQUESTS}/{rid}/offers/{offer['id']}/accept/")
    assert again.status_code == 409, again.text
    request = api_ok(gateway, student, "GET", f"{REQUESTS}/{rid}/")
    assert request["status"] == "accepted" and request["conversation_id"]
    messages = f"social/chat/conversations/{request['conversation_id']}/messages/"
    api_ok(gateway, mentor, "POST", messages, text="Welcome!")
    late = call_api(gateway, mentor, "POST", f"{REQUESTS}/{rid}/offers/", message="again")
    assert late.status_code == 409, late.text

    # The accepted offer is the interaction that allows the review.
    review = api_ok(
        gateway, student, "POST", f"{MENTORS}/{mentor_id}/reviews/", rating=5, text="Great"
    )
    assert review["interaction"] == "learning_request"


def test_learning_request_journey_on_the_real_stack(gateway: str) -> None:
    _journey(gateway)


@pytest.fixture(scope="module")
def embedded_gateway() -> Iterator[str]:
    """`make run`'s embedded defaults, without Celery workers: the journey needs none."""
    stack: Stack = embedded_stack_of("learning", workers=False)
    yield stack.url
    stack.stop()


def test_learning_request_journey_on_the_embedded_defaults(embedded_gateway: str) -> None:
    _journey(embedded_gateway)
