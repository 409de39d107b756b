"""Statistics, shared decks (publish, search, copy, pull) and a deleted account's
collection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from habits.cards.models import Card, CardProfile, CardState, Deck, Note, Review

pytestmark = pytest.mark.django_db


def answer(client: Any, card_id: str, rating: str, ms: int = 1000) -> None:
    response = client.post(
        f"/api/habits/cards/cards/{card_id}/answer/",
        {"rating": rating, "duration_ms": ms},
        format="json",
    )
    assert response.status_code == 200, response.json()


def stats(client: Any) -> dict[str, Any]:
    response = client.get("/api/habits/cards/stats/")
    assert response.status_code == 200
    return response.json()


def test_statistics_follow_the_answers(
    cast, make_deck, make_note, clock, django_assert_max_num_queries
) -> None:
    deck = make_deck(fuzz=False)
    ids = [make_note(deck, front=f"q{i}")["cards"][0]["id"] for i in range(4)]
    empty = stats(cast.owner)
    assert empty["retention"]["month"]["retention"] is None
    assert empty["cards_by_state"]["new"] == 4
    assert sum(d["reviews"] for d in empty["forecast"]) == 0

    for card_id in ids:
        answer(cast.owner, card_id, "easy", ms=2000)  # new → review, due in days
    after = stats(cast.owner)
    assert after["cards_by_state"]["review"] == 4
    assert sum(d["reviews"] for d in after["forecast"]) == 4
    assert len(after["forecast"]) == 30
    assert after["time_spent"]["day"] == {"reviews": 4, "ms": 8000}
    assert sum(b["cards"] for b in after["stability"]) == 4
    assert after["heatmap"]["days"] == [{"day": "2026-03-02", "reviews": 4}]
    assert after["retention"]["month"]["reviews"] == 0  # answers of new cards do not count

    # Review-state answers: 3 passed, 1 again → 75 %.
    clock.now = Card.objects.order_by("-due")[0].due + timedelta(hours=1)
    for card_id, rating in zip(ids, ["good", "good", "hard", "again"], strict=True):
        answer(cast.owner, card_id, rating)
    later = stats(cast.owner)
    assert later["retention"]["week"] == {"reviews": 4, "passed": 3, "retention": 0.75}
    assert later["cards_by_state"]["relearning"] == 1

    with django_assert_max_num_queries(8):
        stats(cast.owner)
    assert stats(cast.clients["stranger"])["cards_by_state"]["review"] == 0
    assert cast.clients["anonymous"].get("/api/habits/cards/stats/").status_code == 401
    bad = cast.owner.get("/api/habits/cards/stats/", {"year": "soon"})
    assert bad.status_code == 400 and "year" in bad.json()["fields"]


def test_publish_search_copy_and_pull(cast, make_deck, make_note, clock, published_events) -> None:
    author, reader = cast.owner, cast.clients["stranger"]
    deck = make_deck(name="French verbs", tags=["french", "verbs"])
    note = make_note(deck, kind="cloze", front="", text="je {{c1::suis}}")
    # Private: nobody else finds or copies it.
    assert reader.get("/api/habits/cards/public/", {"q": "french"}).json()["results"] == []
    assert reader.post(f"/api/habits/cards/public/{deck['id']}/copy/").status_code == 404

    published = author.post(f"/api/habits/cards/decks/{deck['id']}/publish/", {}, format="json")
    assert published.status_code == 200 and published.json()["is_public"]
    [event] = published_events("habits.cards.deck_published")
    assert event.data["deck_id"] == deck["id"] and event.data["notes"] == 1

    found = reader.get("/api/habits/cards/public/", {"tag": "verbs"}).json()["results"]
    assert [d["id"] for d in found] == [deck["id"]] and found[0]["owner"] == "owner"
    assert reader.get("/api/habits/cards/public/", {"q": "german"}).json()["results"] == []

    copied = reader.post(f"/api/habits/cards/public/{deck['id']}/copy/")
    assert copied.status_code == 201
    copy = copied.json()
    assert copy["origin"] == deck["id"] and not copy["is_public"]
    my_card = Card.objects.get(deck_id=copy["id"])
    assert my_card.owner_id == cast.users["stranger"].id
    answer(reader, str(my_card.id), "good")
    answer(reader, str(my_card.id), "good")
    mine_before = Card.objects.get(id=my_card.id)
    assert mine_before.state == CardState.REVIEW
    # The author's scheduling is untouched by my answers.
    assert Card.objects.get(deck_id=deck["id"]).state == CardState.NEW

    # The author edits (adds a cloze) and adds a note; I pull.
    author.patch(
        f"/api/habits/cards/notes/{note['id']}/",
        {"text": "je {{c1::suis}} {{c2::tu es}}"},
        format="json",
    )
    make_note(deck, front="avoir", back="to have")
    pulled = reader.post(f"/api/habits/cards/decks/{copy['id']}/pull/")
    assert pulled.status_code == 200 and pulled.json() == {"updated": 1, "added": 1}
    mine_after = Card.objects.get(id=my_card.id)
    assert (mine_after.stability, mine_after.due) == (mine_before.stability, mine_before.due)
    assert Card.objects.filter(deck_id=copy["id"]).count() == 3
    assert Note.objects.get(deck_id=copy["id"], origin_id=note["id"]).text.endswith("{{c2::tu es}}")

    # Pulling someone else's copy, or a deck that is no copy: 404 / 409.
    assert author.post(f"/api/habits/cards/decks/{copy['id']}/pull/").status_code == 404
    assert author.post(f"/api/habits/cards/decks/{deck['id']}/pull/").status_code == 409
    # Unpublished: copies can no longer pull, nobody can find it.
    author.post(f"/api/habits/cards/decks/{deck['id']}/publish/", {"public": False}, format="json")
    assert reader.post(f"/api/habits/cards/decks/{copy['id']}/pull/").status_code == 409
    assert reader.get("/api/habits/cards/public/").json()["results"] == []


def test_a_deleted_account_takes_its_collection(cast, make_deck, make_note) -> None:
    deck = make_deck()
    card_id = make_note(deck)["cards"][0]["id"]
    answer(cast.owner, card_id, "good")
    cast.owner.patch("/api/habits/cards/settings/", {"reminder_time": "19:00"}, format="json")
    other = make_deck(client=cast.clients["stranger"])
    owner_id = cast.users["owner"].id
    assert handle_event(make_event(type="auth.user.deleted", key=str(owner_id), data={}))
    handle_event(make_event(type="auth.user.deleted", key=str(owner_id), data={}))  # again
    for model in (Deck, Note, Card, Review, CardProfile):
        assert not model.objects.filter(owner_id=owner_id).exists(), model
    assert Deck.objects.filter(id=other["id"]).exists()
