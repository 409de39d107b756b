"""Decks and notes through the API: cards generated from notes, edits keeping the scheduling
of surviving cards, bad input naming the field, safe Markdown, and who may see what."""

from __future__ import annotations

from typing import Any

import pytest

from habits.cards.models import Card, CardState, Deck, Note

pytestmark = pytest.mark.django_db


def ordinals(note: dict[str, Any]) -> list[int]:
    return sorted(c["ordinal"] for c in note["cards"])


def test_basic_makes_one_card_reversed_two_cloze_one_per_number(make_deck, make_note) -> None:
    deck = make_deck()
    assert ordinals(make_note(deck)) == [1]
    assert ordinals(make_note(deck, kind="basic_reversed")) == [1, 2]
    cloze = make_note(
        deck,
        kind="cloze",
        front="",
        text="{{c1::Paris}} is the capital of {{c2::France::country}}; {{c1::Paris}} again",
    )
    assert ordinals(cloze) == [1, 2]


def test_reversed_card_asks_the_back(cast, make_deck, make_note) -> None:
    note = make_note(make_deck(), kind="basic_reversed")
    card = next(c for c in note["cards"] if c["ordinal"] == 2)
    body = cast.owner.get(f"/api/habits/cards/cards/{card['id']}/").json()
    assert body["question_html"] == "<p>Paris</p>\n"
    assert "France" in body["answer_html"]


def test_cloze_question_hides_its_cloze_and_shows_the_hint(cast, make_deck, make_note) -> None:
    note = make_note(
        make_deck(), kind="cloze", front="", text="{{c1::Kyiv::city}} on {{c2::Dnipro}}"
    )
    by_ordinal = {c["ordinal"]: c["id"] for c in note["cards"]}
    first = cast.owner.get(f"/api/habits/cards/cards/{by_ordinal[1]}/").json()
    assert first["question_html"] == "<p>[city] on Dnipro</p>\n"
    assert first["answer_html"] == "<p><strong>Kyiv</strong> on Dnipro</p>\n"
    second = cast.owner.get(f"/api/habits/cards/cards/{by_ordinal[2]}/").json()
    assert second["question_html"] == "<p>Kyiv on [...]</p>\n"


def test_cloze_without_a_cloze_is_a_400_naming_text(cast, make_deck) -> None:
    deck = make_deck()
    response = cast.owner.post(
        "/api/habits/cards/notes/",
        {"deck": deck["id"], "kind": "cloze", "text": "no cloze here"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["text"][0]["code"] == "no_cloze"
    assert Note.objects.count() == 0


def test_basic_without_front_names_front(cast, make_deck) -> None:
    deck = make_deck()
    response = cast.owner.post(
        "/api/habits/cards/notes/", {"deck": deck["id"], "back": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["front"][0]["code"] == "front_needed"


def test_editing_a_cloze_adds_and_removes_cards_keeping_the_survivors(
    cast, make_deck, make_note
) -> None:
    note = make_note(make_deck(), kind="cloze", front="", text="{{c1::a}} {{c2::b}}")
    c1 = next(c["id"] for c in note["cards"] if c["ordinal"] == 1)
    answered = cast.owner.post(
        f"/api/habits/cards/cards/{c1}/answer/", {"rating": "good"}, format="json"
    )
    assert answered.status_code == 200
    before = Card.objects.get(id=c1)

    response = cast.owner.patch(
        f"/api/habits/cards/notes/{note['id']}/", {"text": "{{c1::a}} {{c3::c}}"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert ordinals(response.json()) == [1, 3]
    after = Card.objects.get(id=c1)
    assert (after.state, after.stability, after.difficulty, after.due) == (
        before.state,
        before.stability,
        before.difficulty,
        before.due,
    )
    assert after.state != CardState.NEW

    removed = cast.owner.patch(
        f"/api/habits/cards/notes/{note['id']}/", {"text": "no cloze left"}, format="json"
    )
    assert removed.status_code == 400
    assert "text" in removed.json()["fields"]


def test_basic_to_reversed_adds_the_reverse_card(cast, make_deck, make_note) -> None:
    note = make_note(make_deck())
    response = cast.owner.patch(
        f"/api/habits/cards/notes/{note['id']}/", {"kind": "basic_reversed"}, format="json"
    )
    assert ordinals(response.json()) == [1, 2]
    back = cast.owner.patch(
        f"/api/habits/cards/notes/{note['id']}/", {"kind": "basic"}, format="json"
    )
    assert ordinals(back.json()) == [1]


def test_markdown_is_rendered_without_raw_html_or_script_links(cast, make_deck, make_note) -> None:
    note = make_note(
        make_deck(),
        front="**bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    html = note["front_html"]
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript:' not in html
    assert note["front"].startswith("**bold**")  # the source is kept as written


def test_unknown_kind_names_kind(cast, make_deck) -> None:
    deck = make_deck()
    response = cast.owner.post(
        "/api/habits/cards/notes/",
        {"deck": deck["id"], "kind": "triple", "front": "a"},
        format="json",
    )
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


def test_tags_are_one_word_as_the_document_states(cast, make_deck) -> None:
    """The document's pattern is the service's check: trimmed, 1 to 50 characters, no space
    inside (any Unicode space); lower-cased after the check. The characters Python's and
    ECMAScript's `\\s` disagree on (U+001C to U+001F, U+0085, U+FEFF) are refused wherever they
    stand, by both the pattern and the service, so no validator reads the rule otherwise."""
    import re

    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    tag = schemas["DeckInputRequest"]["properties"]["tags"]["items"]["pattern"]
    for wrong in ("two words", "a\x85b", "wo\x1drd", "\x1cword", "word\ufeff", "x" * 51, ""):
        assert not re.match(tag, wrong)
        response = cast.owner.post(
            "/api/habits/cards/decks/", {"name": "Words", "tags": [wrong]}, format="json"
        )
        assert response.status_code == 400, wrong
        assert any(f.startswith("tags") for f in response.json()["fields"]), wrong
    written = ["  Spanish ", "İ" * 50]
    assert all(re.match(tag, t) for t in written)
    deck = make_deck(name="Words", tags=written)
    assert Deck.objects.get(id=deck["id"]).tags == ["spanish", "i̇" * 50]


def test_sub_decks_and_no_cycles(cast, make_deck) -> None:
    parent = make_deck(name="Languages")
    child = make_deck(name="French", parent=parent["id"])
    assert child["parent"] == parent["id"]
    response = cast.owner.patch(
        f"/api/habits/cards/decks/{parent['id']}/", {"parent": child["id"]}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()["fields"]


@pytest.mark.parametrize("who", ["stranger", "banned", "anonymous"])
def test_only_the_owner_sees_a_private_deck_note_and_card(cast, make_deck, make_note, who) -> None:
    deck = make_deck()
    note = make_note(deck)
    card_id = note["cards"][0]["id"]
    client = cast.clients[who]
    expected = {"stranger": 404, "banned": 403, "anonymous": 401}[who]
    urls = [
        ("get", f"/api/habits/cards/decks/{deck['id']}/"),
        ("get", f"/api/habits/cards/decks/{deck['id']}/notes/"),
        ("get", f"/api/habits/cards/notes/{note['id']}/"),
        ("get", f"/api/habits/cards/cards/{card_id}/"),
        ("post", f"/api/habits/cards/cards/{card_id}/answer/"),
        ("post", f"/api/habits/cards/cards/{card_id}/suspend/"),
        ("patch", f"/api/habits/cards/notes/{note['id']}/"),
        ("delete", f"/api/habits/cards/decks/{deck['id']}/"),
        ("post", f"/api/habits/cards/decks/{deck['id']}/publish/"),
        ("post", f"/api/habits/cards/public/{deck['id']}/copy/"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"rating": "good"}, format="json")
        assert response.status_code == expected, (method, url, response.status_code)
    # A stranger's note into my deck: the same 400 as a missing deck.
    if who == "stranger":
        response = client.post(
            "/api/habits/cards/notes/", {"deck": deck["id"], "front": "x"}, format="json"
        )
        assert response.status_code == 400
        assert "deck" in response.json()["fields"]
        assert client.get("/api/habits/cards/decks/").json()["results"] == []
    assert Deck.objects.filter(id=deck["id"]).exists()


def test_lists_are_paginated_with_bounded_queries(
    cast, make_deck, make_note, django_assert_max_num_queries
) -> None:
    deck = make_deck()
    for i in range(6):
        make_note(deck, front=f"q{i}", kind="basic_reversed")
        make_deck(name=f"d{i}")
    cast.owner.get("/api/habits/cards/decks/")  # warm the kit's caches
    for url in (
        "/api/habits/cards/decks/",
        f"/api/habits/cards/decks/{deck['id']}/notes/",
        f"/api/habits/cards/decks/{deck['id']}/cards/",
        "/api/habits/cards/reviews/",
        "/api/habits/cards/public/",
    ):
        with django_assert_max_num_queries(6):
            response = cast.owner.get(url)
        assert response.status_code == 200, url
        assert "next" in response.json()
