"""Anki .apkg import: a package written by genanki (not our code) with basic, reversed, cloze and
another note type, sub-decks and scheduling imports with its cards, their FSRS state and review
history; a damaged or foreign file fails its job naming the problem, with nothing imported."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import genanki
import pytest

from habits.card_transfer.legacy import memory_state_from_sm2
from habits.card_transfer.tests.conftest import DAY0, AnkiCardPatch, at, make_apkg
from habits.cards.models import Card, CardState, Deck, Note, NoteKind, Review
from habits.tracking.tests.conftest import Cast

pytestmark = pytest.mark.django_db

NOTES = [
    ("Spanish::Verbs", genanki.BASIC_MODEL, ["hablar", "to <b>speak</b>"], ["es", "verbs"]),
    ("Spanish::Verbs", genanki.BASIC_MODEL, ["comer", "to eat<br>(food)"], ["es"]),
    ("Spanish", genanki.BASIC_AND_REVERSED_CARD_MODEL, ["perro", "dog"], []),
    (
        "Science",
        genanki.CLOZE_MODEL,
        ["The {{c1::Sun}} is a {{c2::star}} &amp; hot", "astronomy"],
        ["space"],
    ),
    ("Science", genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, ["H2O", "water", "y"], []),
]
PATCHES = [
    # A review card: due on day 103, a 10-day interval, ease 2.5, with its history.
    AnkiCardPatch(
        front="hablar",
        type=2,
        queue=2,
        due=103,
        ivl=10,
        factor=2500,
        reps=4,
        lapses=1,
        reviews=[
            (at(80), 3, -600, 0, 4000),
            (at(81), 3, 1, 0, 3000),
            (at(82), 1, 1, 1, 9000),
            (at(93), 3, 10, 1, 5000),
        ],
    ),
    # A learning card due at a time, and a suspended review card.
    AnkiCardPatch(
        front="comer",
        type=1,
        queue=1,
        due=int(at(100.5).timestamp()),
        reps=1,
        reviews=[(at(100.4), 1, -60, 0, 2000)],
    ),
    AnkiCardPatch(front="perro", ord=1, type=2, queue=-1, due=150, ivl=40, factor=1800, reps=6),
]


def test_a_package_made_by_genanki_imports_with_cards_and_scheduling(
    cast: Cast, upload: Callable[..., Any], published_events: Any
) -> None:
    job = upload(make_apkg(NOTES, patches=PATCHES), "deck.apkg").json()
    assert job["status"] == "done", job
    assert job["percent"] == 100
    assert job["counts"]["notes"] == 5
    assert job["counts"]["cards"] == 1 + 1 + 2 + 2 + 1
    assert job["counts"]["reviews"] == 5
    assert job["counts"]["converted_notes"] == 1
    assert job["converted_models"] == {"Basic (optional reversed card) (genanki)": 1}

    # Decks: "Spanish::Verbs" is sub-deck Verbs of Spanish; top-level without a target deck.
    owner = cast.users["owner"]
    spanish = Deck.objects.get(owner=owner, name="Spanish", parent=None)
    verbs = Deck.objects.get(owner=owner, name="Verbs", parent=spanish)
    science = Deck.objects.get(owner=owner, name="Science", parent=None)

    hablar = Note.objects.get(front="hablar")
    assert (hablar.deck, hablar.kind, hablar.back, hablar.tags) == (
        verbs,
        NoteKind.BASIC,
        "to speak",
        ["es", "verbs"],
    )
    assert Note.objects.get(front="comer").back == "to eat\n(food)"
    perro = Note.objects.get(front="perro")
    assert (perro.deck, perro.kind) == (spanish, NoteKind.BASIC_REVERSED)
    cloze = Note.objects.get(kind=NoteKind.CLOZE)
    assert (cloze.deck, cloze.text, cloze.extra) == (
        science,
        "The {{c1::Sun}} is a {{c2::star}} & hot",
        "astronomy",
    )
    assert sorted(cloze.cards.values_list("ordinal", flat=True)) == [1, 2]
    other = Note.objects.get(front="H2O")
    assert (other.kind, other.back) == (NoteKind.BASIC, "water")

    # Scheduling: the review card is due on Anki's day 103, its memory state from SM-2.
    card = Card.objects.get(note=hablar)
    stability, difficulty = memory_state_from_sm2(ease=2.5, interval=10)
    assert card.state == CardState.REVIEW
    assert card.due == DAY0 + timedelta(days=103)
    assert card.stability == pytest.approx(stability) == pytest.approx(10.0)
    assert card.difficulty == pytest.approx(difficulty)
    assert (card.reps, card.lapses) == (4, 1)
    assert card.last_review == at(93)
    assert card.due_day is not None
    history = list(Review.objects.filter(card=card).order_by("reviewed_at"))
    assert [(r.rating, r.state, r.duration_ms) for r in history] == [
        (3, CardState.LEARNING, 4000),
        (3, CardState.LEARNING, 3000),
        (1, CardState.REVIEW, 9000),
        (3, CardState.REVIEW, 5000),
    ]
    assert [r.elapsed_days for r in history] == [0, 1, 1, 11]
    assert history[-1].scheduled_days == 10

    learning = Card.objects.get(note__front="comer")
    assert learning.state == CardState.LEARNING
    assert learning.due == at(100.5).replace(microsecond=0)
    assert learning.step == 0 and learning.stability is None

    reversed_cards = {c.ordinal: c for c in Card.objects.filter(note=perro)}
    assert reversed_cards[1].state == CardState.NEW
    assert reversed_cards[2].state == CardState.REVIEW and reversed_cards[2].suspended
    assert reversed_cards[2].difficulty == pytest.approx(
        memory_state_from_sm2(ease=1.8, interval=40)[1]
    )
    assert Card.objects.filter(state=CardState.NEW).count() == 4

    assert [e.data["status"] for e in published_events("habits.card_import.progressed")] == [
        "queued",
        "running",
        "running",
        "done",
    ]


def test_a_target_deck_takes_the_anki_decks_and_a_second_import_adds_nothing(
    cast: Cast, upload: Callable[..., Any], make_deck: Callable[..., Any]
) -> None:
    target = make_deck(name="From Anki")
    package = make_apkg(NOTES)
    assert upload(package, "a.apkg", deck=target.id).json()["status"] == "done"
    spanish = Deck.objects.get(name="Spanish")
    assert spanish.parent == target
    assert Deck.objects.get(name="Verbs").parent == spanish
    again = upload(package, "a.apkg", deck=target.id).json()
    assert again["status"] == "done"
    assert again["counts"]["duplicates_skipped"] == 5
    assert again["counts"]["notes"] == 0
    assert Note.objects.count() == 5
    assert Deck.objects.filter(name="Spanish").count() == 1


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _sqlite(statements: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.db"
        db = sqlite3.connect(path)
        for statement in statements:
            db.execute(statement)
        db.commit()
        db.close()
        return path.read_bytes()


def _truncated() -> bytes:
    data = make_apkg(NOTES)
    return data[: len(data) // 2]


def _damaged_collection() -> bytes:
    with zipfile.ZipFile(io.BytesIO(make_apkg(NOTES))) as archive:
        collection = archive.read("collection.anki2")
    return _zip({"collection.anki2": collection[:4096] + b"\0" * 100, "media": b"{}"})


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda: b"PK\x03\x04 not really a zip", "not_zip", "not a .apkg archive"),
        (_truncated, "not_zip", "not a .apkg archive"),
        (lambda: _zip({"hello.txt": b"hi"}), "no_collection", "holds no Anki collection"),
        (
            lambda: _zip({"collection.anki21b": b"\x28\xb5\x2f\xfd" + b"\x07junk" * 9}),
            "bad_collection",
            "damaged",
        ),
        (
            lambda: _zip({"collection.anki2": b"this is not sqlite at all" * 100}),
            "not_a_collection",
            "not an Anki database",
        ),
        (
            lambda: _zip({"collection.anki2": _sqlite(["CREATE TABLE col (id integer)"])}),
            "missing_table",
            "lacks its notes table",
        ),
        (
            lambda: _zip(
                {
                    "collection.anki2": _sqlite(
                        [
                            "CREATE TABLE col (id integer)",
                            "CREATE TABLE cards (id integer)",
                            "CREATE VIEW notes AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL"
                            " SELECT x + 1 FROM n) SELECT x AS id FROM n",
                        ]
                    )
                }
            ),
            "missing_table",
            "lacks its notes table",
        ),
        (_damaged_collection, None, None),
    ],
    ids=[
        "garbage",
        "truncated",
        "no-collection",
        "anki21b",
        "not-sqlite",
        "no-notes",
        "notes-is-a-view",
        "damaged",
    ],
)
def test_a_bad_package_fails_naming_the_problem_and_imports_nothing(
    upload: Callable[..., Any], make: Callable[[], bytes], code: str | None, words: str | None
) -> None:
    job = upload(make(), "bad.apkg").json()
    assert job["status"] == "failed", job
    if code is not None:
        assert job["error"]["code"] == code
        assert words in job["error"]["message"]
    else:
        assert job["error"]["code"] in {"not_a_collection", "bad_collection", "missing_table"}
    assert not Note.objects.exists()
    assert not Card.objects.exists()
    assert not Deck.objects.exists()


def test_media_references_are_left_out_and_counted(upload: Callable[..., Any]) -> None:
    package = make_apkg(
        [
            (
                "Pictures",
                genanki.BASIC_MODEL,
                ['A cat <img src="cat.jpg"> [sound:meow.mp3]', "<div>cat</div><div>chat</div>"],
                [],
            )
        ]
    )
    job = upload(package, "pictures.apkg").json()
    assert job["counts"]["media_skipped"] == 2
    note = Note.objects.get()
    assert (note.front, note.back) == ("A cat", "cat\nchat")
