"""The cards' messages speak the reader's language (en, ru, uk); codes never change."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

CLOZE = {
    "en": "A cloze note needs at least one cloze, like {{c1::answer}}.",
    "ru": "В заметке с пропусками нужен хотя бы один пропуск, например {{c1::ответ}}.",
    "uk": "У нотатці з пропусками потрібен хоча б один пропуск, наприклад {{c1::відповідь}}.",
}
RATING = {
    "en": "Choose again, hard, good or easy.",
    "ru": "Выберите again, hard, good или easy.",
    "uk": "Оберіть again, hard, good або easy.",
}
DECK = {
    "en": "No deck with this id.",
    "ru": "Нет колоды с таким id.",
    "uk": "Немає колоди з таким id.",
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_card_errors_in_the_readers_language(cast, make_deck, make_note, language) -> None:
    deck = make_deck()
    response = cast.owner.post(
        "/api/habits/cards/notes/",
        {"deck": deck["id"], "kind": "cloze", "text": "none"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.json()["fields"]["text"] == [{"code": "no_cloze", "message": CLOZE[language]}]
    card = make_note(deck)["cards"][0]["id"]
    bad = cast.owner.post(
        f"/api/habits/cards/cards/{card}/answer/",
        {"rating": "meh"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert bad.json()["fields"]["rating"][0]["message"] == RATING[language]
    missing = cast.owner.get("/api/habits/cards/decks/nope/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert (missing["code"], missing["message"]) == ("deck_not_found", DECK[language])
