"""Parameter optimisation from the person's own review log (Celery task, run eagerly here):
not before enough reviews; then the loss before/after is shown, the parameters are kept, and
later answers use them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import fsrs
import pytest

from habits.cards import services, tasks
from habits.cards.models import Card, CardProfile, CardState, Deck, Note, Review

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def simulate(owner, *, cards: int, answers: int) -> None:
    """A review log as a forgetful person makes it: answers on the package's due days, recall
    by a hidden stability that grows slower than the default parameters expect."""
    rng = random.Random(3)  # noqa: S311 - a repeatable log, not a secret
    deck = Deck.objects.create(owner=owner, name="sim")
    rows = []
    for c in range(cards):
        note = Note.objects.create(owner=owner, deck=deck, front=f"q{c}")
        card = Card.objects.create(owner=owner, deck=deck, note=note, due=NOW)
        day = date(2025, 1, 1)
        interval = 0
        strength = 2.0
        for _k in range(answers):
            day += timedelta(days=interval)
            recalled = rng.random() < 0.9 ** (interval / strength)
            rating = rng.choice([3, 3, 3, 2, 4]) if recalled else 1
            strength = strength * 1.6 if recalled else max(1.0, strength / 2)
            rows.append(
                Review(
                    owner=owner,
                    card=card,
                    deck=deck,
                    rating=rating,
                    state=CardState.REVIEW,
                    reviewed_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                    day=day,
                )
            )
            interval = max(1, round(strength * rng.uniform(0.8, 1.6)))
    Review.objects.bulk_create(rows)


def test_not_enough_reviews_changes_nothing(cast, settings) -> None:
    settings.CARDS_OPTIMIZE_MIN_REVIEWS = 100
    simulate(cast.users["owner"], cards=5, answers=5)
    response = cast.owner.post("/api/habits/cards/settings/optimize/")
    assert response.status_code == 202
    tasks.optimize(str(cast.users["owner"].id))
    profile = CardProfile.objects.get(owner=cast.users["owner"])
    assert profile.optimization_status == "not_enough_reviews" and profile.parameters is None


def test_optimization_lowers_the_loss_and_applies_to_later_answers(cast, settings) -> None:
    settings.CARDS_OPTIMIZE_MIN_REVIEWS = 500
    owner = cast.users["owner"]
    simulate(owner, cards=80, answers=10)
    assert tasks.optimize(str(owner.id)) == "done"
    body = cast.owner.get("/api/habits/cards/settings/").json()
    assert body["optimization_status"] == "done" and body["optimized_reviews"] == 800
    assert body["loss_after"] < body["loss_before"]
    params = body["parameters"]
    assert len(params) == 21 and params != list(fsrs.scheduler.DEFAULT_PARAMETERS)

    # A new card answered now follows the fitted parameters (the package with them).
    deck = Deck.objects.create(owner=owner, name="new", fuzz=False)
    note = Note.objects.create(owner=owner, deck=deck, front="x")
    card = Card.objects.create(owner=owner, deck=deck, note=note, due=NOW)
    services.card_answer(user=owner, card_id=card.id, rating=4, now=NOW)
    expected, _ = fsrs.Scheduler(parameters=params, enable_fuzzing=False).review_card(
        fsrs.Card(card_id=1, due=NOW), fsrs.Rating.Easy, review_datetime=NOW
    )
    card.refresh_from_db()
    assert (card.stability, card.due) == (expected.stability, expected.due)


def test_only_signed_in_people_optimize_their_own(cast) -> None:
    assert cast.clients["anonymous"].post("/api/habits/cards/settings/optimize/").status_code == 401
    assert cast.clients["banned"].post("/api/habits/cards/settings/optimize/").status_code == 403
