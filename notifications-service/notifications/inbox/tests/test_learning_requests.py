"""social.learning_request.offered and .matched become notices for the request's author and the
matched mentors, in their language, in the inbox and on the socket."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "offered", "matched"),
    [
        (
            "en",
            "Ada made an offer on your learning request",
            "Bob is looking for a mentor in a subject you teach",
        ),
        (
            "ru",
            "Ada сделал(а) предложение по вашему запросу на обучение",
            "Bob ищет ментора по предмету, который вы преподаёте",
        ),
        (
            "uk",
            "Ada зробив(ла) пропозицію на ваш запит на навчання",
            "Bob шукає ментора з предмета, який ви викладаєте",
        ),
    ],
)
def test_offer_and_match_notices(
    announce: Any, deliver: Any, language: str, offered: str, matched: str
) -> None:
    ada, bob, eve = (announce(username=name, language=language) for name in ("ada", "bob", "eve"))
    request_id = str(uuid.uuid4())
    deliver(
        type="social.learning_request.matched",
        key=request_id,
        actor=bob.id,
        data={
            "request_id": request_id,
            "student_id": str(bob.id),
            "subject": "python",
            "language": "en",
            "level": "beginner",
            "recipient_ids": [str(ada.id), str(eve.id)],
        },
    )
    assert texts(ada) == texts(eve) == [matched]
    assert texts(bob) == []
    deliver(
        type="social.learning_request.offered",
        key=request_id,
        actor=ada.id,
        data={
            "request_id": request_id,
            "offer_id": str(uuid.uuid4()),
            "subject": "python",
            "student_id": str(bob.id),
            "mentor_id": str(uuid.uuid4()),
            "mentor_user_id": str(ada.id),
            "mentor_handle": "ada",
            "recipient_ids": [str(bob.id)],
        },
    )
    assert texts(bob) == [offered]
    assert texts(ada) == [matched]


def test_nobody_outside_recipient_ids_is_told(announce: Any, deliver: Any) -> None:
    ada, bob = announce(username="ada"), announce(username="bob")
    request_id = str(uuid.uuid4())
    deliver(
        type="social.learning_request.offered",
        key=request_id,
        actor=ada.id,
        data={
            "request_id": request_id,
            "offer_id": str(uuid.uuid4()),
            "subject": "python",
            "student_id": str(bob.id),
            "mentor_id": str(uuid.uuid4()),
            "mentor_user_id": str(ada.id),
            "mentor_handle": "ada",
            "recipient_ids": [],
        },
    )
    assert texts(bob) == []
