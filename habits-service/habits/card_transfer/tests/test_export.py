"""Exports: a deck with its sub-decks as an .apkg that two readers which are not ours read with
the same notes — the Anki program's own library (`anki`, the backend of the desktop app,
importing it into a fresh collection) and plain sqlite3 on the zip — and that our importer
takes back; CSV of a deck. Who may export: the owner, anyone signed in for a public deck (its
public sub-decks only); a stranger gets 404 for a private deck, anonymous 401."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from habits.cards.models import Card, Deck, Note, NoteKind
from habits.tracking.tests.conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(cast: Cast, make_deck: Callable[..., Any]) -> dict[str, Deck]:
    """Languages (public) ⊃ Spanish (public) ⊃ Verbs (private); Languages ⊃ Diary (private)."""
    owner = cast.users["owner"]
    top = make_deck(name="Languages", is_public=True)
    spanish = make_deck(name="Spanish", parent=top, is_public=True)
    verbs = make_deck(name="Verbs", parent=spanish)
    diary = make_deck(name="Diary", parent=top)

    def note(deck: Deck, kind: str, ordinals: list[int], **fields: Any) -> None:
        n = Note.objects.create(owner=owner, deck=deck, kind=kind, **fields)
        for ordinal in ordinals:
            Card.objects.create(owner=owner, deck=deck, note=n, ordinal=ordinal, due=n.created_at)

    note(top, NoteKind.BASIC, [1], front="Hello", back="Привіт", tags=["uk"])
    note(spanish, NoteKind.BASIC_REVERSED, [1, 2], front="perro", back="dog <&>", tags=["es"])
    note(spanish, NoteKind.CLOZE, [1, 2], text="{{c1::Madrid}} is in {{c2::Spain}}", extra="geo")
    note(verbs, NoteKind.BASIC, [1], front="hablar", back="to speak\nto talk")
    note(diary, NoteKind.BASIC, [1], front="secret", back="private")
    return {"top": top, "spanish": spanish, "verbs": verbs, "diary": diary}


def _independent_read(data: bytes) -> dict[str, Any]:
    """The package read with zipfile and sqlite3 only: decks, note types, notes, cards."""
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(io.BytesIO(data)) as archive:
        path = Path(folder) / "c.anki2"
        path.write_bytes(archive.read("collection.anki2"))
        assert json.loads(archive.read("media")) == {}
        db = sqlite3.connect(path)
        models_json, decks_json = db.execute("SELECT models, decks FROM col").fetchone()
        models = json.loads(models_json)
        decks = json.loads(decks_json)
        notes = sorted(
            (models[str(mid)]["type"], flds.split("\x1f"), tags.split())
            for mid, flds, tags in db.execute("SELECT mid, flds, tags FROM notes")
        )
        cards = db.execute("SELECT count(*) FROM cards").fetchone()[0]
        db.close()
    return {
        "decks": sorted(d["name"] for d in decks.values() if d["name"] != "Default"),
        "notes": notes,
        "cards": cards,
    }


def _anki_import(data: bytes) -> dict[str, Any]:
    """The package imported by Anki's own library into a new collection."""
    from anki.collection import Collection, ImportAnkiPackageRequest

    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "deck.apkg"
        package.write_bytes(data)
        col: Any = Collection(str(Path(folder) / "collection.anki2"))
        try:
            col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package)))
            notes = []
            for nid in col.find_notes(""):
                note = col.get_note(nid)
                deck = col.decks.name(note.cards()[0].did)
                notes.append((deck, note.note_type()["name"], list(note.fields), len(note.cards())))
            return {"notes": sorted(notes), "cards": col.card_count()}
        finally:
            col.close()


def test_apkg_export_is_read_by_anki_and_by_sqlite_with_the_same_notes(
    cast: Cast, tree: dict[str, Deck]
) -> None:
    response = cast.owner.get(f"/api/habits/cards/decks/{tree['top'].id}/export.apkg")
    assert response.status_code == 200
    assert 'filename="Languages.apkg"' in response["Content-Disposition"]
    data = response.content

    plain = _independent_read(data)
    assert plain["decks"] == [
        "Languages",
        "Languages::Diary",
        "Languages::Spanish",
        "Languages::Spanish::Verbs",
    ]
    assert plain["notes"] == sorted(
        [
            (0, ["Hello", "Привіт"], ["uk"]),
            (0, ["perro", "dog &lt;&amp;&gt;"], ["es"]),
            (1, ["{{c1::Madrid}} is in {{c2::Spain}}", "geo"], []),
            (0, ["hablar", "to speak<br>to talk"], []),
            (0, ["secret", "private"], []),
        ]
    )
    assert plain["cards"] == 7

    anki = _anki_import(data)
    assert anki["cards"] == 7
    assert anki["notes"] == sorted(
        [
            ("Languages", "CoTask Basic", ["Hello", "Привіт"], 1),
            (
                "Languages::Spanish",
                "CoTask Basic (and reversed card)",
                ["perro", "dog &lt;&amp;&gt;"],
                2,
            ),
            (
                "Languages::Spanish",
                "CoTask Cloze",
                ["{{c1::Madrid}} is in {{c2::Spain}}", "geo"],
                2,
            ),
            ("Languages::Spanish::Verbs", "CoTask Basic", ["hablar", "to speak<br>to talk"], 1),
            ("Languages::Diary", "CoTask Basic", ["secret", "private"], 1),
        ]
    )


def test_our_apkg_export_imports_back_into_the_same_notes(
    cast: Cast, tree: dict[str, Deck], upload: Callable[..., Any]
) -> None:
    data = cast.owner.get(f"/api/habits/cards/decks/{tree['top'].id}/export.apkg").content
    stranger = cast.clients["stranger"]
    job = upload(data, "languages.apkg", client=stranger).json()
    assert job["status"] == "done", job

    def notes(owner: Any) -> list[tuple[str, str, str, str, str, str, list[str]]]:
        path: dict[Any, str] = {}
        for deck in Deck.objects.filter(owner=owner).order_by("id"):
            parent = path.get(deck.parent_id)
            path[deck.id] = f"{parent}::{deck.name}" if parent else deck.name
        return sorted(
            (path[n.deck_id], n.kind, n.front, n.back, n.text, n.extra, n.tags)
            for n in Note.objects.filter(owner=owner)
        )

    assert notes(cast.users["stranger"]) == notes(cast.users["owner"])
    assert Card.objects.filter(owner=cast.users["stranger"]).count() == 7


def test_a_public_deck_exports_for_others_without_its_private_sub_decks(
    cast: Cast, tree: dict[str, Deck]
) -> None:
    response = cast.clients["stranger"].get(f"/api/habits/cards/decks/{tree['top'].id}/export.apkg")
    assert response.status_code == 200
    plain = _independent_read(response.content)
    assert plain["decks"] == ["Languages", "Languages::Spanish"]
    assert len(plain["notes"]) == 3


@pytest.mark.parametrize("fmt", ["csv", "apkg"])
@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("stranger", 404), ("banned", 403), ("anonymous", 401)]
)
def test_who_may_export_a_private_deck(
    cast: Cast, tree: dict[str, Deck], who: str, expected: int, fmt: str
) -> None:
    response = cast.clients[who].get(f"/api/habits/cards/decks/{tree['diary'].id}/export.{fmt}")
    assert response.status_code == expected
    if expected == 404:
        missing = cast.clients[who].get(
            "/api/habits/cards/decks/01a23e05-66e2-706b-9662-60dbcc2e52bf/export.apkg"
        )
        assert missing.json() == {**response.json(), "request_id": missing.json()["request_id"]}


def test_csv_export_of_a_deck(cast: Cast, tree: dict[str, Deck]) -> None:
    response = cast.owner.get(f"/api/habits/cards/decks/{tree['spanish'].id}/export.csv")
    assert response.content.decode().splitlines() == [
        "front,back,tags",
        "perro,dog <&>,es",
        "{{c1::Madrid}} is in {{c2::Spain}},geo,",
    ]


def test_an_export_costs_the_same_for_more_notes(
    cast: Cast, tree: dict[str, Deck], django_assert_max_num_queries: Any, warm: Any
) -> None:
    url = f"/api/habits/cards/decks/{tree['top'].id}/export.apkg"
    warm()
    with django_assert_max_num_queries(4):
        cast.owner.get(url)
    owner = cast.users["owner"]
    for i in range(30):
        Note.objects.create(owner=owner, deck=tree["verbs"], front=f"w{i}", back="x")
    warm()
    with django_assert_max_num_queries(4):
        response = cast.owner.get(url)
    assert len(_independent_read(response.content)["notes"]) == 35
