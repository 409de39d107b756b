"""The cards' hand-written statements (`habits.cards.hot_sql`) give what their ORM twins give on
the same data, and a sequence of answers leaves the same cards, review rows and profiles either
way (PostgreSQL: on SQLite the services run the twins)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from cotask_common.testing.parity import statements_on_postgresql
from habits.cards import hot_sql, services
from habits.cards.models import Card, CardProfile, CardState, Deck, Note, Review
from habits.cards.scheduling import SNAPSHOT_FIELDS
from habits.cards.tests.conftest import NOW

pytestmark = pytest.mark.django_db


_statements = statements_on_postgresql(hot_sql)


def collection(owner: Any, *, fuzz: bool = True, reviews: int = 30) -> list[Card]:
    """A deck with options of its own, a new card, a learning card and `reviews` review cards
    due over the next days (so balancing has days to choose between)."""
    deck = Deck.objects.create(
        owner=owner,
        name="parity",
        fuzz=fuzz,
        desired_retention=0.87,
        learning_steps=[90, 900],
        relearning_steps=[300],
        maximum_interval=400,
    )
    notes = Note.objects.bulk_create(
        [
            Note(owner=owner, deck=deck, kind="cloze", text="{{c1::Paris}} is in *France*")
            if i == 0
            else Note(owner=owner, deck=deck, front=f"q{i}", back="**a**", extra="x")
            for i in range(reviews + 2)
        ]
    )
    cards = [Card(owner=owner, deck=deck, note=notes[0], due=NOW)]
    cards.append(
        Card(owner=owner, deck=deck, note=notes[1], state=CardState.LEARNING, step=1,
             stability=1.5, difficulty=6.0, due=NOW, last_review=NOW - timedelta(minutes=10))
    )  # fmt: skip
    for i, note in enumerate(notes[2:]):
        due = NOW + timedelta(days=i % 9 - 1)
        cards.append(
            Card(owner=owner, deck=deck, note=note, state=CardState.REVIEW, stability=8.0 + i,
                 difficulty=5.0, due=due, due_day=due.date(), reps=3,
                 last_review=due - timedelta(days=8 + i))
        )  # fmt: skip
    return Card.objects.bulk_create(cards)


def test_the_read_equals_its_twin(cast: Any) -> None:
    owner = cast.users["owner"]
    cards = collection(owner)
    CardProfile.objects.create(owner=owner, day_start_hour=6, parameters=[0.5] * 21)
    for card in cards[:3]:
        sql = hot_sql.answer_read(card_id=card.id, owner_id=owner.id)
        orm = hot_sql.answer_read_orm(card_id=card.id, owner_id=owner.id)
        assert sql is not None and orm is not None
        assert model_to_dict(sql.card) == model_to_dict(orm.card)
        assert sql.card.updated_at == orm.card.updated_at
        for name in hot_sql.DECK_OPTIONS:
            assert getattr(sql.card.deck, name) == getattr(orm.card.deck, name), name
        for name in hot_sql.NOTE_TEXT:
            assert getattr(sql.card.note, name) == getattr(orm.card.note, name), name
        for name in ("day_start_hour", "parameters", "next_summary_at", "forecast_at"):
            assert getattr(sql, name) == getattr(orm, name), name
        assert sql.time_zone == orm.time_zone == owner.time_zone
    # Someone else's card, a missing one: None both ways; no profile: its fields are None.
    stranger = cast.users["stranger"]
    for owner_id, card_id in ((stranger.id, cards[0].id), (owner.id, stranger.id)):
        assert hot_sql.answer_read(card_id=card_id, owner_id=owner_id) is None
        assert hot_sql.answer_read_orm(card_id=card_id, owner_id=owner_id) is None
    theirs = collection(stranger, reviews=1)[0]
    sql = hot_sql.answer_read(card_id=theirs.id, owner_id=stranger.id)
    orm = hot_sql.answer_read_orm(card_id=theirs.id, owner_id=stranger.id)
    assert sql is not None and orm is not None
    assert sql.day_start_hour is None and orm.day_start_hour is None


def test_the_balancing_count_equals_its_twin(cast: Any) -> None:
    owner = cast.users["owner"]
    cards = collection(owner)
    collection(cast.users["stranger"])
    for first, last in ((-3, 10), (2, 4), (20, 30)):
        window = {
            "owner_id": owner.id,
            "first": NOW.date() + timedelta(days=first),
            "last": NOW.date() + timedelta(days=last),
            "but": cards[5].id,
        }
        assert hot_sql.due_per_day(**window) == hot_sql.due_per_day_orm(**window)
    assert hot_sql.due_per_day(**window | {"first": NOW.date()}) != {}


def answers(owner: Any, *, enabled: bool, clock: Any) -> dict[str, Any]:
    """The same answers to a fresh collection of `owner`; what they leave behind."""
    hot_sql.ENABLED = enabled
    clock.now = NOW
    cards = collection(owner)
    rng = random.Random(5)  # noqa: S311 - the same draws both ways, not a secret
    script = [(0, 3), (1, 1), (2, 3), (0, 3), (3, 4), (4, 1), (1, 3), (5, 2), (0, 4), (6, 3)]
    for step, (i, rating) in enumerate(script):
        clock.now = NOW + timedelta(minutes=7 * step)
        services.card_answer(
            user=owner, card_id=cards[i].id, rating=rating, duration_ms=1000 + step, rng=rng
        )
    rows = [
        {name: getattr(card, name) for name in SNAPSHOT_FIELDS} | {"updated_at": card.updated_at}
        for card in Card.objects.filter(owner=owner).order_by("id")
    ]
    reviews = [
        model_to_dict(r, exclude=["id", "owner", "card", "deck"]) | {"card": order(cards, r)}
        for r in Review.objects.filter(owner=owner).order_by("reviewed_at", "id")
    ]
    profile = model_to_dict(CardProfile.objects.get(owner=owner), exclude=["owner"])
    return {"cards": rows, "reviews": reviews, "profile": profile}


def order(cards: list[Card], review: Review) -> int:
    return [c.id for c in cards].index(review.card_id)


def test_a_sequence_of_answers_is_the_same_either_way(cast: Any, clock: Any) -> None:
    sql = answers(cast.users["owner"], enabled=True, clock=clock)
    orm = answers(cast.users["stranger"], enabled=False, clock=clock)
    assert sql["cards"] == orm["cards"]
    assert sql["reviews"] == orm["reviews"]
    assert sql["profile"] == orm["profile"]
    assert len(sql["reviews"]) == 10 and sql["profile"]["next_summary_at"] is not None


@pytest.mark.parametrize("write", [hot_sql.answer_write, hot_sql.answer_write_orm])
def test_a_card_changed_since_the_read_is_not_written(cast: Any, write: Any) -> None:
    owner = cast.users["owner"]
    card = collection(owner, reviews=1)[0]
    services.profile_for(user_id=owner.id)
    read = hot_sql.answer_read(card_id=card.id, owner_id=owner.id)
    assert read is not None
    Card.objects.get(id=card.id).save()  # someone else's write: a newer updated_at
    changed = read.card
    changed.state, changed.reps, changed.updated_at = CardState.LEARNING, 1, timezone.now()
    review = Review(owner_id=owner.id, card_id=card.id, deck_id=card.deck_id, rating=3,
                    state=CardState.NEW, reviewed_at=NOW, day=NOW.date())  # fmt: skip
    stale = read.card.updated_at
    assert not write(card=changed, read_updated_at=stale, review=review,
                     next_summary_at=NOW, now=NOW)  # fmt: skip
    assert Card.objects.get(id=card.id).state == CardState.NEW
    assert not Review.objects.exists()
    assert CardProfile.objects.get(owner=owner).next_summary_at is None


def test_an_answer_after_a_lost_race_is_scheduled_again(cast: Any, monkeypatch: Any) -> None:
    owner = cast.users["owner"]
    card = collection(owner, reviews=1)[1]  # learning
    real = hot_sql.answer_read
    raced: list[bool] = []

    def read_then_race(**kwargs: Any) -> Any:
        read = real(**kwargs)
        if not raced:  # another answer lands between the first read and its write
            raced.append(True)
            services.card_answer(user=owner, card_id=card.id, rating=3)
        return read

    monkeypatch.setattr(hot_sql, "answer_read", read_then_race)
    _card, review = services.card_answer(user=owner, card_id=card.id, rating=3)
    assert Review.objects.filter(card_id=card.id).count() == 2
    assert review.previous["reps"] == 1  # scheduled from the card the first answer left
    assert Card.objects.get(id=card.id).reps == 2


def test_an_answer_is_two_statements_and_a_balanced_one_three(
    cast: Any, django_assert_num_queries: Any
) -> None:
    owner = cast.users["owner"]
    cards = collection(owner)
    services.profile_for(user_id=owner.id)
    with django_assert_num_queries(2):  # a new card's first step
        services.card_answer(user=owner, card_id=cards[0].id, rating=3)
    with django_assert_num_queries(3):  # a review with fuzz: the balancing count
        services.card_answer(user=owner, card_id=cards[9].id, rating=3)


def queue_data(owner: Any) -> dict[str, Any]:
    """Decks (one inside another) with small daily limits, and cards of every kind around the
    day's edges: new ones sharing a due time, reviews overdue, later today and tomorrow,
    learning now and later, relearning, suspended, buried; answers already given today."""
    services.profile_for(user_id=owner.id)
    parent = Deck.objects.create(owner=owner, name="p", new_per_day=3, reviews_per_day=4)
    child = Deck.objects.create(owner=owner, name="c", parent=parent, new_per_day=2)
    other = Deck.objects.create(owner=owner, name="o", reviews_per_day=2, new_per_day=0)
    cards = []
    for d, deck in enumerate((parent, child, other)):
        for i in range(14):
            note = Note.objects.create(owner=owner, deck=deck, front=f"q{d}-{i}", back="a")
            kind = i % 7
            fields: dict[str, Any] = {"due": NOW - timedelta(hours=i)}
            if kind == 0:
                fields = {"due": NOW}  # new, sharing a due time: ordinal and id decide
            elif kind in (1, 2):
                fields |= {
                    "state": CardState.REVIEW,
                    "stability": 5.0,
                    "difficulty": 5.0,
                    "due": NOW + timedelta(hours=(i - 6) * 3),
                    "last_review": NOW,
                }
            elif kind == 3:
                fields |= {
                    "state": CardState.LEARNING,
                    "step": 0,
                    "stability": 1.0,
                    "difficulty": 5.0,
                    "due": NOW + timedelta(minutes=i * 3 - 15),
                }
            elif kind == 4:
                fields |= {
                    "state": CardState.RELEARNING,
                    "step": 0,
                    "stability": 1.0,
                    "difficulty": 5.0,
                    "due": NOW + timedelta(minutes=10 - i),
                }
            elif kind == 5:
                fields |= {"suspended": i % 2 == 0, "buried_until": NOW + timedelta(hours=1)}
            else:
                fields |= {"buried_until": NOW - timedelta(hours=1)}
            for ordinal in (1, 2) if kind in (0, 6) else (1,):
                cards.append(Card(owner=owner, deck=deck, note=note, ordinal=ordinal, **fields))
    Card.objects.bulk_create(cards)
    today = NOW.date()
    for deck, state in ((parent, CardState.NEW), (parent, CardState.REVIEW), (other, 2)):
        Review.objects.create(owner=owner, card=cards[0], deck=deck, rating=3, state=state,
                              reviewed_at=NOW, day=today)  # fmt: skip
    return {"parent": parent.id, "child": child.id, "other": other.id}


def test_the_queue_is_the_same_either_way(cast: Any) -> None:
    from habits.cards.selectors import due_queue
    from habits.cards.serializers import card_json

    owner = cast.users["owner"]
    decks = queue_data(owner)
    collection(cast.users["stranger"])
    shown = 0
    for now in (NOW, NOW + timedelta(hours=20)):
        for deck in (None, *decks.values()):
            for limit in (0, 1, 3, 6, 10, 40):
                both = []
                for enabled in (True, False):
                    hot_sql.ENABLED = enabled
                    queue = due_queue(user=owner, deck_id=deck, limit=limit, now=now)
                    both.append((queue.today, queue.counts, [card_json(c) for c in queue.cards]))
                assert both[0] == both[1], (now, deck, limit)
                shown += len(both[0][2])
    assert shown > 100
    hot_sql.ENABLED = True
    with pytest.raises(services.DeckNotFound):
        due_queue(user=owner, deck_id=cast.users["stranger"].id)


def test_the_queue_is_three_statements(cast: Any, django_assert_num_queries: Any) -> None:
    from habits.cards.selectors import due_queue

    owner = cast.users["owner"]
    queue_data(owner)
    with django_assert_num_queries(3):
        assert len(due_queue(user=owner, limit=10, now=NOW).cards) == 10
    with django_assert_num_queries(2):
        due_queue(user=owner, limit=0, now=NOW)
