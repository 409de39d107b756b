"""Imported cards are studied like any other: an overdue Anki review card is in today's queue
as a review, and answering it goes through the fsrs package from its converted memory state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import genanki
import pytest

from habits.card_transfer.tests.conftest import AnkiCardPatch, make_apkg
from habits.cards.models import Card, CardState
from habits.tracking.tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_an_imported_review_card_is_due_and_answerable(
    cast: Cast, upload: Callable[..., Any]
) -> None:
    package = make_apkg(
        [
            ("Words", genanki.BASIC_MODEL, ["old", "studied in Anki"], []),
            ("Words", genanki.BASIC_MODEL, ["fresh", "never studied"], []),
        ],
        patches=[AnkiCardPatch(front="old", type=2, queue=2, due=50, ivl=20, factor=2300, reps=5)],
    )
    assert upload(package, "words.apkg").json()["status"] == "done"
    card = Card.objects.get(note__front="old")
    assert card.state == CardState.REVIEW

    queue = cast.owner.get("/api/habits/cards/queue/").json()
    assert queue["counts"] == {"review": 1, "learning": 0, "new": 1}
    assert queue["cards"][0]["id"] == str(card.id)

    response = cast.owner.post(
        f"/api/habits/cards/cards/{card.id}/answer/",
        {"rating": "good", "duration_ms": 3000},
        format="json",
    )
    assert response.status_code == 200, response.json()
    card.refresh_from_db()
    assert card.state == CardState.REVIEW
    assert (card.stability or 0) > 20  # remembered well past the interval: the memory got stronger
    assert card.reps == 6
