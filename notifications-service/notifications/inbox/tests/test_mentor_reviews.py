"""social.mentor.reviewed and social.review.answered become notices for the mentor and the
review's author, in their language."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db


def _review_data(mentor: Any, student: Any, recipient: Any, rating: int = 4) -> dict[str, Any]:
    return {
        "review_id": str(uuid.uuid4()),
        "mentor_id": str(uuid.uuid4()),
        "mentor_user_id": str(mentor.id),
        "mentor_handle": mentor.username,
        "student_id": str(student.id),
        "rating": rating,
        "recipient_ids": [str(recipient.id)],
    }


@pytest.mark.parametrize(
    ("language", "reviewed", "answered"),
    [
        ("en", "Bob reviewed you as a mentor: 4 of 5", "Ada answered your review"),
        ("ru", "Bob оставил(а) вам отзыв как ментору: 4 из 5", "Ada ответил(а) на ваш отзыв"),
        ("uk", "Bob залишив(ла) вам відгук як ментору: 4 з 5", "Ada відповів(ла) на ваш відгук"),
    ],
)
def test_review_and_answer_notices(
    announce: Any, deliver: Any, language: str, reviewed: str, answered: str
) -> None:
    ada, bob = (
        announce(username="ada", language=language),
        announce(username="bob", language=language),
    )
    data = _review_data(ada, bob, ada)
    deliver(
        type="social.mentor.reviewed",
        key=data["mentor_id"],
        actor=bob.id,
        data={**data, "average": 4.0, "reviews_count": 1},
    )
    assert texts(ada) == [reviewed]
    assert texts(bob) == []
    deliver(
        type="social.review.answered",
        key=data["review_id"],
        actor=ada.id,
        data={**data, "recipient_ids": [str(bob.id)]},
    )
    assert texts(bob) == [answered]
    assert texts(ada) == [reviewed]


def test_nobody_outside_recipient_ids_is_told(announce: Any, deliver: Any) -> None:
    ada, bob = announce(username="ada"), announce(username="bob")
    data = {**_review_data(ada, bob, ada), "recipient_ids": []}
    deliver(
        type="social.mentor.reviewed",
        key=data["mentor_id"],
        actor=bob.id,
        data={**data, "average": 4.0, "reviews_count": 1},
    )
    assert texts(ada) == []
