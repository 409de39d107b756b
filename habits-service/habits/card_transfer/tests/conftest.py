"""The cast of the card import/export tests (the habits cast: owner, stranger, banned,
anonymous), Celery run inline after commit, decks made directly, and Anki packages made by
genanki — a tool that is not ours — with scheduling written into the collection afterwards
(genanki writes new cards only; the fixture sets `cards.type/queue/due/ivl/factor/reps/lapses`
and adds `revlog` rows in the SQLite inside the zip, as Anki itself would have stored them)."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import genanki
import pytest

from habits.tracking.tests import conftest as habits_cast
from habits.tracking.tests.conftest import Cast

cast = habits_cast.cast  # the habits cast fixture, shared
warm = habits_cast.warm

DAY0 = datetime(2026, 9, 1, 4, tzinfo=UTC)  # col.crt of the generated collections


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def make_deck(cast: Cast) -> Callable[..., Any]:
    from habits.cards.models import Deck

    def factory(*, owner: str = "owner", name: str = "Words", **fields: Any) -> Deck:
        return Deck.objects.create(
            owner=cast.users[owner], name=name, search_text=name.lower(), **fields
        )

    return factory


@pytest.fixture
def upload(cast: Cast, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """`upload(content, name, kind=None, deck=None, client=owner)`: POST an import and run its
    after-commit work (the queued task, inline), as after a real commit. An accepted import
    (202, queued) answers with the job read again afterwards (200); a refusal as it came."""

    def post(
        content: bytes,
        name: str = "cards.csv",
        *,
        kind: str | None = None,
        deck: Any = None,
        client: Any = None,
        **headers: Any,
    ) -> Any:
        form: dict[str, Any] = {"file": _named(content, name)}
        if kind:
            form["kind"] = kind
        if deck is not None:
            form["deck"] = str(deck)
        client = client or cast.owner
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/habits/cards/imports/", form, format="multipart", **headers
            )
        if response.status_code != 202:
            return response
        assert response.json()["status"] == "queued"
        return client.get(f"/api/habits/cards/imports/{response.json()['id']}/")

    return post


def _named(content: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# ---------------------------------------------------------------------------------------------
# Anki packages made by genanki


@dataclass
class AnkiCardPatch:
    """Scheduling to write onto the card `ord` of the note whose first field is `front`."""

    front: str
    ord: int = 0
    type: int = 2
    queue: int = 2
    due: int = 0
    ivl: int = 0
    factor: int = 2500
    reps: int = 0
    lapses: int = 0
    reviews: list[tuple[datetime, int, int, int, int]] = field(default_factory=list)
    """(when, ease, ivl, type, duration ms) revlog rows"""


def make_apkg(
    notes: list[tuple[str, genanki.Model, list[str], list[str]]],
    *,
    patches: list[AnkiCardPatch] = (),  # type: ignore[assignment]
) -> bytes:
    """`notes` as (deck name, model, fields, tags), written by genanki; then `patches`."""
    decks: dict[str, genanki.Deck] = {}
    for i, (deck_name, model, fields, tags) in enumerate(notes):
        deck = decks.setdefault(deck_name, genanki.Deck(2_000_000 + len(decks), deck_name))
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=f"g{i}"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "made-by-genanki.apkg"
        genanki.Package(list(decks.values())).write_to_file(str(path))
        return patch_apkg(path.read_bytes(), patches)


def patch_apkg(data: bytes, patches: list[AnkiCardPatch]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "collection.anki2"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name: archive.read(name) for name in archive.namelist()}
        db_path.write_bytes(names["collection.anki2"])
        db = sqlite3.connect(db_path)
        db.execute("UPDATE col SET crt = ?", (int(DAY0.timestamp()),))
        for p in patches:
            (card_id,) = db.execute(
                "SELECT cards.id FROM cards JOIN notes ON notes.id = cards.nid"
                " WHERE notes.flds LIKE ? AND cards.ord = ?",
                (p.front + "\x1f%", p.ord),
            ).fetchone()
            db.execute(
                "UPDATE cards SET type=?, queue=?, due=?, ivl=?, factor=?, reps=?, lapses=?"
                " WHERE id=?",
                (p.type, p.queue, p.due, p.ivl, p.factor, p.reps, p.lapses, card_id),
            )
            for when, ease, ivl, kind, duration in p.reviews:
                db.execute(
                    "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                    " VALUES (?, ?, -1, ?, ?, 0, 2500, ?, ?)",
                    (int(when.timestamp() * 1000), card_id, ease, ivl, duration, kind),
                )
        db.commit()
        db.close()
        names["collection.anki2"] = db_path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return out.getvalue()


def day(n: int) -> int:
    """Anki's day number of DAY0 + n days."""
    return n


def at(days: float) -> datetime:
    return DAY0 + timedelta(days=days)
