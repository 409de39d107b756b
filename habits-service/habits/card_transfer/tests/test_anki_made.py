"""Packages exported by Anki itself (its own library, `anki`, the desktop program's backend):
cards studied with Anki's scheduler, exported in both of Anki's formats — the legacy
`collection.anki21` and the current default `collection.anki21b` (zstd, schema 18) — import with
their note types, decks, scheduling and review history."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from habits.card_transfer.legacy import memory_state_from_sm2
from habits.cards.models import Card, CardState, Deck, Note, NoteKind, Review
from habits.tracking.tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _anki_package(*, legacy: bool) -> tuple[bytes, dict[str, dict[str, Any]], int]:
    """A collection studied in Anki, exported; with each card's Anki scheduling (keyed by
    first field and card number) and the number of answers logged."""
    from anki.collection import Collection, ExportAnkiPackageOptions

    with tempfile.TemporaryDirectory() as folder:
        col: Any = Collection(str(Path(folder) / "collection.anki2"))
        try:
            deck_id = col.decks.id("Languages::Spanish")
            for model, values in (
                ("Basic", {"Front": "hablar", "Back": "to speak"}),
                ("Basic (and reversed card)", {"Front": "perro", "Back": "dog"}),
                ("Cloze", {"Text": "{{c1::Madrid}} is in {{c2::Spain}}", "Back Extra": ""}),
                ("Basic (optional reversed card)", {"Front": "gato", "Back": "cat"}),
            ):
                note = col.new_note(col.models.by_name(model))
                for name, value in values.items():
                    note[name] = value
                col.add_note(note, deck_id)
            col.decks.select(deck_id)
            # Study: Good, Good graduates a new card; Easy on the first answer of some.
            answers = [3, 3, 4, 1, 3, 3, 3, 3, 4, 3]
            for ease in answers:
                card = col.sched.getCard()
                if card is None:
                    break
                col.sched.answerCard(card, ease)
            hablar = col.find_cards("hablar")[0]
            col.sched.suspend_cards([col.find_cards("perro")[0]])
            cards: dict[str, dict[str, Any]] = {}
            for cid in col.find_cards(""):
                card = col.get_card(cid)
                first = card.note().fields[0]
                cards[f"{first}#{card.ord + 1}"] = {
                    "type": card.type,
                    "queue": card.queue,
                    "due": card.due,
                    "ivl": card.ivl,
                    "factor": card.factor,
                    "reps": card.reps,
                    "lapses": card.lapses,
                }
            assert cards and hablar
            logged = col.db.scalar("SELECT count() FROM revlog")
            crt = col.crt
            out = Path(folder) / "export.apkg"
            col.export_anki_package(
                out_path=str(out),
                options=ExportAnkiPackageOptions(
                    with_scheduling=True, with_deck_configs=True, with_media=True, legacy=legacy
                ),
                limit=None,
            )
            data = out.read_bytes()
        finally:
            col.close()
    for values in cards.values():
        values["crt"] = crt
    return data, cards, logged


@pytest.mark.parametrize("legacy", [True, False], ids=["anki21", "anki21b"])
def test_a_package_exported_by_anki_imports_with_its_scheduling(
    cast: Cast, upload: Callable[..., Any], legacy: bool
) -> None:
    data, anki_cards, logged = _anki_package(legacy=legacy)
    job = upload(data, "anki.apkg").json()
    assert job["status"] == "done", job
    assert job["counts"]["notes"] == 4
    assert job["counts"]["reviews"] == logged
    assert job["converted_models"] == {"Basic (optional reversed card)": 1}

    owner = cast.users["owner"]
    languages = Deck.objects.get(owner=owner, name="Languages", parent=None)
    spanish = Deck.objects.get(owner=owner, name="Spanish", parent=languages)
    assert set(Note.objects.values_list("deck", flat=True)) == {spanish.id}
    assert dict(Note.objects.values_list("front", "kind").exclude(kind=NoteKind.CLOZE)) == {
        "hablar": NoteKind.BASIC,
        "perro": NoteKind.BASIC_REVERSED,
        "gato": NoteKind.BASIC,
    }
    assert Note.objects.get(kind=NoteKind.CLOZE).text == "{{c1::Madrid}} is in {{c2::Spain}}"
    assert Card.objects.count() == 1 + 2 + 2 + 1

    studied = 0
    for card in Card.objects.select_related("note"):
        first = card.note.text if card.note.kind == NoteKind.CLOZE else card.note.front
        anki = anki_cards[f"{first}#{card.ordinal}"]
        assert card.suspended == (anki["queue"] == -1)
        assert (card.reps, card.lapses) == (anki["reps"], anki["lapses"])
        if anki["type"] == 0:
            assert card.state == CardState.NEW
        elif anki["type"] == 2:
            studied += 1
            stability, difficulty = memory_state_from_sm2(
                ease=anki["factor"] / 1000, interval=anki["ivl"]
            )
            assert card.state == CardState.REVIEW
            assert card.due == datetime.fromtimestamp(anki["crt"], UTC) + timedelta(
                days=anki["due"]
            )
            assert (card.stability, card.difficulty) == (
                pytest.approx(stability),
                pytest.approx(difficulty),
            )
        else:
            studied += 1
            assert card.state in (CardState.LEARNING, CardState.RELEARNING)
            assert card.due == datetime.fromtimestamp(anki["due"], UTC)
    assert studied >= 3
    assert Review.objects.count() == logged
