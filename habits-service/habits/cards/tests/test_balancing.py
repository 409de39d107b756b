"""Load balancing on a generated collection: answers that land in a fuzz range go to its least
loaded day, so no day spikes; without balancing the same answers pile onto one day."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest

from habits.cards import services
from habits.cards.models import Card, CardState, Deck, Note

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CARDS = 240


def generate(owner, *, fuzz: bool) -> tuple[Deck, list[Card]]:
    """`CARDS` identical review cards, all learned the same day and all due now (a burst of
    cards added together: the case that spikes)."""
    deck = Deck.objects.create(owner=owner, name="generated", fuzz=fuzz)
    notes = Note.objects.bulk_create(
        [Note(owner=owner, deck=deck, front=f"q{i}", back="a") for i in range(CARDS)]
    )
    cards = Card.objects.bulk_create(
        [
            Card(
                owner=owner,
                deck=deck,
                note=n,
                state=CardState.REVIEW,
                stability=20.0,
                difficulty=5.0,
                due=NOW,
                last_review=NOW - timedelta(days=20),
            )
            for n in notes
        ]
    )
    return deck, cards


def answer_all(owner, cards: list[Card]) -> Counter:
    rng = random.Random(7)  # noqa: S311 - a repeatable spread, not a secret
    for card in cards:
        services.card_answer(user=owner, card_id=card.id, rating=3, now=NOW, rng=rng)
    return Counter(
        Card.objects.filter(owner=owner, id__in=[c.id for c in cards]).values_list(
            "due_day", flat=True
        )
    )


def test_balanced_answers_spread_without_a_spike(cast) -> None:
    owner = cast.users["owner"]
    _deck, cards = generate(owner, fuzz=True)
    per_day = answer_all(owner, cards)
    window = sorted(per_day)
    assert len(window) >= 5  # the fuzz range of a ~30-day interval spans several days
    first, last = window[0], window[-1]
    counts = [per_day.get(first + timedelta(days=i), 0) for i in range((last - first).days + 1)]
    assert max(counts) <= 1.5 * mean(counts), counts
    assert max(counts) - min(counts) <= 1, counts  # least-loaded first: an even spread


def test_balancing_fills_the_quiet_days_around_a_busy_one(cast) -> None:
    owner = cast.users["owner"]
    deck, cards = generate(owner, fuzz=True)
    # Someone already has 40 cards due on one day of the coming range.
    ref = services.card_answer(user=owner, card_id=cards[0].id, rating=3, now=NOW)[0]
    busy_day = ref.due_day
    filler_note = Note.objects.create(owner=owner, deck=deck, front="f", back="b")
    for i in range(2, 42):
        Card.objects.create(
            owner=owner,
            deck=deck,
            note=Note.objects.create(owner=owner, deck=deck, front=f"x{i}"),
            state=CardState.REVIEW,
            stability=50,
            difficulty=5,
            due=NOW + timedelta(days=5),
            due_day=busy_day,
        )
    del filler_note
    per_day = answer_all(owner, cards[1:])
    window = sorted(per_day)
    busy_total = Card.objects.filter(owner=owner, due_day=busy_day).count()
    others = [Card.objects.filter(owner=owner, due_day=d).count() for d in window if d != busy_day]
    # The busy day took nothing (or almost) of the new answers; the others evened out.
    assert busy_total <= 42
    assert max(others) - min(others) <= 1


def test_without_balancing_the_same_answers_pile_on_one_day(cast) -> None:
    owner = cast.users["owner"]
    _deck, cards = generate(owner, fuzz=False)
    per_day = answer_all(owner, cards)
    assert len(per_day) == 1  # every card on the same day: the spike balancing removes
