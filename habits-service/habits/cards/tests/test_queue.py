"""Today's due queue: the person's zone and day start, per-deck daily limits, due reviews
first then learning then new, counts, and a query count that does not grow with the
collection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from habits.cards.models import Card, CardState

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 11:00 in Kyiv


@pytest.fixture(autouse=True)
def frozen(monkeypatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def as_review(card_ids: list[str], *, due: datetime) -> None:
    Card.objects.filter(id__in=card_ids).update(
        state=CardState.REVIEW,
        due=due,
        stability=10.0,
        difficulty=5.0,
        last_review=due - timedelta(days=10),
    )


def queue(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/habits/cards/queue/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_reviews_first_then_learning_then_new(cast, make_deck, make_note) -> None:
    deck = make_deck()
    new = make_note(deck, front="new")["cards"][0]["id"]
    review = make_note(deck, front="review")["cards"][0]["id"]
    learning = make_note(deck, front="learning")["cards"][0]["id"]
    as_review([review], due=NOW - timedelta(hours=1))
    Card.objects.filter(id=learning).update(
        state=CardState.LEARNING, step=1, due=NOW, stability=1, difficulty=5
    )
    body = queue(cast.owner)
    assert [c["id"] for c in body["cards"]] == [review, learning, new]
    assert body["counts"] == {"review": 1, "learning": 1, "new": 1}
    assert body["day"] == "2026-03-02"


def test_daily_limits_per_deck_count_what_was_done_today(cast, make_deck, make_note) -> None:
    small = make_deck(name="small", new_per_day=2, reviews_per_day=1)
    big = make_deck(name="big")
    for i in range(4):
        make_note(small, front=f"s{i}")
    reviews = [make_note(small, front=f"r{i}")["cards"][0]["id"] for i in range(3)]
    as_review(reviews, due=NOW - timedelta(days=1))
    make_note(big, front="b")
    body = queue(cast.owner, limit=50)
    assert body["counts"] == {"review": 1, "learning": 0, "new": 3}  # 2 of small + 1 of big
    assert len(body["cards"]) == 4
    first_new = next(
        c["id"] for c in body["cards"] if c["state"] == "new" and c["deck"] == small["id"]
    )
    cast.owner.post(
        f"/api/habits/cards/cards/{first_new}/answer/", {"rating": "again"}, format="json"
    )
    body = queue(cast.owner, limit=50)
    assert body["counts"]["new"] == 2  # one of small's 2 used, big's 1
    assert body["counts"]["learning"] == 1
    only_small = queue(cast.owner, deck=small["id"])
    assert only_small["counts"] == {"review": 1, "learning": 1, "new": 1}


def test_the_day_starts_at_the_chosen_hour_in_my_zone(cast, make_deck, make_note) -> None:
    card = make_note(make_deck())["cards"][0]["id"]
    # 03:30 tomorrow in Kyiv (01:30 UTC): before 4:00, so still today's study day.
    as_review([card], due=datetime(2026, 3, 3, 1, 30, tzinfo=UTC))
    assert queue(cast.owner)["counts"]["review"] == 1
    response = cast.owner.patch("/api/habits/cards/settings/", {"day_start_hour": 0}, format="json")
    assert response.status_code == 200 and response.json()["day_start_hour"] == 0
    assert queue(cast.owner)["counts"]["review"] == 0
    bad = cast.owner.patch("/api/habits/cards/settings/", {"day_start_hour": 24}, format="json")
    assert bad.status_code == 400 and "day_start_hour" in bad.json()["fields"]


def test_stranger_cannot_queue_my_deck(cast, make_deck) -> None:
    deck = make_deck()
    assert (
        cast.clients["stranger"].get("/api/habits/cards/queue/", {"deck": deck["id"]}).status_code
        == 404
    )
    assert cast.clients["anonymous"].get("/api/habits/cards/queue/").status_code == 401
    assert cast.clients["banned"].get("/api/habits/cards/queue/").status_code == 403


def test_queue_queries_do_not_grow_with_the_collection(
    cast, make_deck, make_note, django_assert_max_num_queries
) -> None:
    def fill(n: int) -> None:
        for d in range(3):
            deck = make_deck(name=f"d{d}-{n}")
            ids = [
                make_note(deck, front=f"{d}-{i}", kind="basic_reversed")["cards"][0]["id"]
                for i in range(n)
            ]
            as_review(ids[: n // 2], due=NOW - timedelta(hours=2))

    fill(2)
    queue(cast.owner)
    with django_assert_max_num_queries(8):
        queue(cast.owner, limit=20)
    fill(8)
    with django_assert_max_num_queries(8):
        body = queue(cast.owner, limit=20)
    assert body["counts"]["review"] == 3 * 1 + 3 * 4
