"""Answers through the API are the `fsrs` package's own scheduling; undo restores a card
exactly; suspend, bury and reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import fsrs
import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from habits.cards.models import Card, CardState, Review

pytestmark = pytest.mark.django_db

RATING = {
    "again": fsrs.Rating.Again,
    "hard": fsrs.Rating.Hard,
    "good": fsrs.Rating.Good,
    "easy": fsrs.Rating.Easy,
}


@pytest.fixture
def clock(monkeypatch) -> Any:
    """`clock.set(instant)`: what `timezone.now()` returns from then on."""

    class Clock:
        now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

        def set(self, instant: datetime) -> None:
            self.now = instant

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def answer(client: Any, card_id: str, rating: str, duration_ms: int = 4000) -> dict[str, Any]:
    response = client.post(
        f"/api/habits/cards/cards/{card_id}/answer/",
        {"rating": rating, "duration_ms": duration_ms},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


SCRIPT = ["good", "good", "good", "again", "good", "hard", "easy", "good", "again", "again", "good"]


@pytest.mark.parametrize("desired_retention", [0.9, 0.85])
def test_a_scripted_sequence_equals_the_fsrs_package(
    cast, make_deck, make_note, clock, desired_retention
) -> None:
    deck = make_deck(fuzz=False, desired_retention=desired_retention)
    card_id = make_note(deck)["cards"][0]["id"]
    scheduler = fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=False)
    reference = fsrs.Card(card_id=1, due=clock.now)
    for i, rating in enumerate(SCRIPT):
        # Answer when due (and a little late every third time, so retrievability varies).
        at = max(clock.now, reference.due) + timedelta(hours=5 * (i % 3))
        clock.set(at)
        ours = answer(cast.owner, card_id, rating)
        reference, _log = scheduler.review_card(reference, RATING[rating], review_datetime=at)
        row = Card.objects.get(id=card_id)
        assert row.due == reference.due, i
        assert row.stability == reference.stability, i
        assert row.difficulty == reference.difficulty, i
        assert row.state == int(reference.state) and row.step == reference.step, i
        assert ours["due"] == reference.due.isoformat().replace("+00:00", "Z")
    assert Review.objects.filter(card_id=card_id).count() == len(SCRIPT)
    last = Review.objects.filter(card_id=card_id).order_by("-reviewed_at")[0]
    assert last.rating == 3 and last.duration_ms == 4000 and last.stability == reference.stability


def test_review_log_rows_carry_the_answer(cast, make_deck, make_note, clock) -> None:
    card_id = make_note(make_deck(fuzz=False))["cards"][0]["id"]
    answer(cast.owner, card_id, "easy", duration_ms=1234)
    clock.set(Card.objects.get(id=card_id).due + timedelta(days=2))
    answer(cast.owner, card_id, "good")
    rows = cast.owner.get("/api/habits/cards/reviews/").json()["results"]
    assert [r["rating"] for r in rows] == ["good", "easy"]
    assert rows[1]["state"] == "new" and rows[1]["duration_ms"] == 1234
    assert rows[0]["state"] == "review" and rows[0]["elapsed_days"] >= 2
    assert rows[0]["scheduled_days"] > 0


def test_undo_restores_the_card_exactly(cast, make_deck, make_note, clock) -> None:
    card_id = make_note(make_deck())["cards"][0]["id"]
    answer(cast.owner, card_id, "good")
    answer(cast.owner, card_id, "good")
    clock.set(clock.now + timedelta(days=3))
    before = model_to_dict(Card.objects.get(id=card_id))
    answer(cast.owner, card_id, "again")
    assert model_to_dict(Card.objects.get(id=card_id)) != before
    response = cast.owner.post("/api/habits/cards/undo/")
    assert response.status_code == 200
    assert model_to_dict(Card.objects.get(id=card_id)) == before
    assert Review.objects.filter(card_id=card_id).count() == 2
    # Undo again twice: back to new; then nothing to undo.
    cast.owner.post("/api/habits/cards/undo/")
    cast.owner.post("/api/habits/cards/undo/")
    assert Card.objects.get(id=card_id).state == CardState.NEW
    assert cast.owner.post("/api/habits/cards/undo/").status_code == 404


def test_undo_is_mine_only(cast, make_deck, make_note) -> None:
    card_id = make_note(make_deck())["cards"][0]["id"]
    answer(cast.owner, card_id, "good")
    assert cast.clients["stranger"].post("/api/habits/cards/undo/").status_code == 404
    assert Review.objects.count() == 1


@pytest.mark.parametrize("rating", ["perfect", "", 5, None])
def test_an_unknown_rating_names_rating(cast, make_deck, make_note, rating) -> None:
    card_id = make_note(make_deck())["cards"][0]["id"]
    response = cast.owner.post(
        f"/api/habits/cards/cards/{card_id}/answer/", {"rating": rating}, format="json"
    )
    assert response.status_code == 400
    assert "rating" in response.json()["fields"]
    assert Review.objects.count() == 0


def test_suspend_bury_reset(cast, make_deck, make_note, clock) -> None:
    card_id = make_note(make_deck())["cards"][0]["id"]
    queue = lambda: cast.owner.get("/api/habits/cards/queue/").json()  # noqa: E731
    assert queue()["counts"]["new"] == 1

    assert cast.owner.post(f"/api/habits/cards/cards/{card_id}/suspend/").json()["suspended"]
    assert queue()["counts"]["new"] == 0
    refused = cast.owner.post(
        f"/api/habits/cards/cards/{card_id}/answer/", {"rating": "good"}, format="json"
    )
    assert refused.status_code == 409
    cast.owner.post(f"/api/habits/cards/cards/{card_id}/unsuspend/")
    assert queue()["counts"]["new"] == 1

    buried = cast.owner.post(f"/api/habits/cards/cards/{card_id}/bury/").json()
    assert queue()["counts"]["new"] == 0
    # The next day starts at 4:00 in the owner's zone (Kyiv: UTC+2 in March).
    assert buried["buried_until"] == "2026-03-03T02:00:00Z"
    clock.set(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    assert queue()["counts"]["new"] == 1

    answer(cast.owner, card_id, "easy")
    assert Card.objects.get(id=card_id).state == CardState.REVIEW
    reset = cast.owner.post(f"/api/habits/cards/cards/{card_id}/reset/").json()
    assert reset["state"] == "new" and reset["stability"] is None and reset["reps"] == 0
    assert Review.objects.filter(card_id=card_id).count() == 1  # the log stays


def test_an_answer_is_a_fixed_number_of_queries(
    cast, make_deck, make_note, clock, django_assert_max_num_queries
) -> None:
    deck = make_deck()
    ids = [make_note(deck, front=f"q{i}")["cards"][0]["id"] for i in range(3)]
    answer(cast.owner, ids[0], "easy")  # the day's first answer sets the summary time
    for card_id in ids[1:]:
        with django_assert_max_num_queries(8):
            answer(cast.owner, card_id, "easy")
