"""Reading an Anki `.apkg`: a zip holding the collection, an SQLite database (`collection.anki21`,
or `collection.anki2` from older Anki and from generators such as genanki), and `media`, a JSON
map of the numbered media files.

No maintained Python library reads collections without the whole Anki program (`anki` brings
its Rust backend and opens the collection read-write; `ankipandas` is unmaintained and needs
pandas), and the tables are small and documented, so this reads them with `sqlite3`: `col`
(creation time; note types and decks as JSON up to schema 11), `notes`, `cards` and `revlog`.
Anki's current export format (`collection.anki21b`, the default since Anki 2.1.50) is the same
database compressed with zstd at schema 18, where note types and decks live in tables of their
own (`notetypes` with `fields` and `templates`, `decks` with levels separated by 0x1f).

Fields are Anki's HTML; they become our plain text (line breaks kept, tags dropped, entities
decoded). Media files are not imported: an `<img>` in a field is dropped and counted.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from habits.card_transfer.problems import ImportProblem

# Anki's note-type kinds (`models[...]["type"]`) and card kinds (`cards.type` / `cards.queue`).
MODEL_STANDARD, MODEL_CLOZE = 0, 1
CARD_NEW, CARD_LEARNING, CARD_REVIEW, CARD_RELEARNING = 0, 1, 2, 3
QUEUE_SUSPENDED, QUEUE_SCHED_BURIED, QUEUE_USER_BURIED = -1, -2, -3
QUEUE_LEARNING, QUEUE_DAY_LEARNING = 1, 3
FIELD_SEPARATOR = "\x1f"

_BREAK = re.compile(r"<\s*(br|/div|/p|/li)\s*/?\s*>", re.IGNORECASE)
_IMAGE = re.compile(r"<\s*img\b[^>]*>", re.IGNORECASE)
_SOUND = re.compile(r"\[sound:[^\]]*\]")
_TAG = re.compile(r"<[^>]*>")


@dataclass
class AnkiCard:
    id: int
    ord: int
    deck_id: int
    type: int
    queue: int
    due: int
    interval: int
    factor: int
    reps: int
    lapses: int
    left: int


@dataclass
class AnkiReview:
    card_id: int
    at_ms: int
    ease: int
    interval: int
    last_interval: int
    factor: int
    duration_ms: int
    type: int


@dataclass
class AnkiNote:
    id: int
    model_id: int
    fields: list[str]
    tags: list[str]
    cards: list[AnkiCard] = field(default_factory=list)


@dataclass
class AnkiModel:
    id: int
    name: str
    kind: str  # "basic", "basic_reversed", "cloze" or "other"
    field_count: int


@dataclass
class AnkiCollection:
    created_at: (
        int  # col.crt: the collection's day 0 (epoch seconds) that review due days count from
    )
    decks: dict[int, str]  # id → full name ("A::B")
    models: dict[int, AnkiModel]
    notes: list[AnkiNote]
    reviews: list[AnkiReview]
    media_dropped: int = 0


def html_to_text(value: str) -> tuple[str, int]:
    """Anki field HTML as plain text, and how many media references were dropped."""
    media = len(_IMAGE.findall(value)) + len(_SOUND.findall(value))
    value = _SOUND.sub("", _IMAGE.sub("", value))
    value = _BREAK.sub("\n", value)
    value = html.unescape(_TAG.sub("", value)).replace("\xa0", " ")
    return "\n".join(line.rstrip() for line in value.strip().splitlines()), media


def _model_kind(model: dict[str, Any]) -> str:
    fields = model.get("flds") or []
    templates = model.get("tmpls") or []
    if model.get("type") == MODEL_CLOZE:
        return "cloze"
    if len(fields) == 2 and len(templates) == 1:
        return "basic"
    if len(fields) == 2 and len(templates) == 2:
        return "basic_reversed"
    return "other"


# An unpacked collection may be at most this big (a zip bomb stops here, not on the disk).
MAX_COLLECTION_BYTES = 1 << 30


def _collection_member(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    # Newer Anki writes a stub `collection.anki2` ("please update") beside its real collection.
    for name in ("collection.anki21b", "collection.anki21", "collection.anki2"):
        if name in names:
            return name
    raise ImportProblem("no_collection")


def _unpack(source: Any, target: Any, *, compressed: bool) -> None:
    if compressed:
        import zstandard

        try:
            source = zstandard.ZstdDecompressor().stream_reader(source)
            _copy(source, target)
        except zstandard.ZstdError as exc:
            raise ImportProblem("bad_collection", detail=str(exc)[:200]) from None
    else:
        _copy(source, target)


def _copy(source: Any, target: Any) -> None:
    written = 0
    while chunk := source.read(1 << 20):
        written += len(chunk)
        if written > MAX_COLLECTION_BYTES:
            raise ImportProblem("collection_too_big", limit=MAX_COLLECTION_BYTES)
        target.write(chunk)


def read_apkg(data: bytes, *, max_notes: int) -> AnkiCollection:
    """The collection inside an .apkg, or ImportProblem saying what is wrong with the file."""
    if not data:
        raise ImportProblem("empty_file")
    try:
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = _collection_member(archive)
            with tempfile.TemporaryDirectory(prefix="apkg-") as folder:
                path = Path(folder) / "collection.sqlite"
                with archive.open(member) as source, path.open("wb") as target:
                    _unpack(source, target, compressed=member.endswith("b"))
                return _read_collection(path, max_notes=max_notes)
    except zipfile.BadZipFile:
        raise ImportProblem("not_zip") from None
    except (zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ImportProblem("bad_collection", detail=str(exc)[:200]) from None


def _read_collection(path: Path, *, max_notes: int) -> AnkiCollection:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportProblem("not_a_collection", detail=str(exc)[:200]) from None
    try:
        try:
            # Real tables only: a view named `notes` could make a read run for ever.
            db.execute("PRAGMA trusted_schema = OFF")
            tables = {
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.DatabaseError as exc:
            raise ImportProblem("not_a_collection", detail=str(exc)[:200]) from None
        for table in ("col", "notes", "cards"):
            if table not in tables:
                raise ImportProblem("missing_table", table=table)
        try:
            return _read_tables(db, has_revlog="revlog" in tables, max_notes=max_notes)
        except (sqlite3.Error, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ImportProblem("bad_collection", detail=str(exc)[:200]) from None
    finally:
        db.close()


def _read_tables(db: sqlite3.Connection, *, has_revlog: bool, max_notes: int) -> AnkiCollection:
    row = db.execute("SELECT crt, models, decks FROM col LIMIT 1").fetchone()
    if row is None:
        raise ImportProblem("bad_collection", detail="col is empty")
    created_at, models_json, decks_json = row
    raw_models = json.loads(models_json or "{}")
    raw_decks = json.loads(decks_json or "{}")
    if not isinstance(raw_models, dict) or not isinstance(raw_decks, dict):
        raise ImportProblem("bad_collection", detail="col.models or col.decks is not an object")
    models = {
        int(mid): AnkiModel(
            id=int(mid),
            name=str(m.get("name") or mid),
            kind=_model_kind(m),
            field_count=len(m.get("flds") or []),
        )
        for mid, m in raw_models.items()
    }
    decks = {int(did): str(d.get("name") or did) for did, d in raw_decks.items()}
    if not models and _has_tables(db, "notetypes", "fields", "templates"):
        models = _schema18_models(db)
    if not decks and _has_tables(db, "decks"):
        decks = {
            int(did): str(name).replace(FIELD_SEPARATOR, "::")
            for did, name in db.execute("SELECT id, name FROM decks")
        }

    (count,) = db.execute("SELECT count(*) FROM notes").fetchone()
    if count > max_notes:
        raise ImportProblem("too_many_cards", limit=max_notes)
    notes: dict[int, AnkiNote] = {}
    media = 0
    for nid, mid, flds, tags in db.execute("SELECT id, mid, flds, tags FROM notes ORDER BY id"):
        if int(mid) not in models:
            raise ImportProblem("bad_collection", detail=f"note {nid} has an unknown note type")
        texts = []
        for value in str(flds).split(FIELD_SEPARATOR):
            text, dropped = html_to_text(value)
            texts.append(text)
            media += dropped
        notes[nid] = AnkiNote(id=nid, model_id=int(mid), fields=texts, tags=str(tags).split())
    for values in db.execute(
        "SELECT id, nid, did, odid, ord, type, queue, due, odue, ivl, factor, reps, lapses, left"
        " FROM cards ORDER BY nid, ord"
    ):
        cid, nid, did, odid, ord_, type_, queue, due, odue, ivl, factor, reps, lapses, left = values
        note = notes.get(nid)
        if note is None:
            continue  # an orphan card: Anki's own check deletes these
        # A card in a filtered deck belongs to its original deck, with its original due.
        home, home_due = (odid, odue) if odid else (did, due)
        note.cards.append(
            AnkiCard(
                id=cid,
                ord=ord_,
                deck_id=home,
                type=type_,
                queue=queue,
                due=home_due,
                interval=ivl,
                factor=factor,
                reps=reps,
                lapses=lapses,
                left=left or 0,
            )
        )
    reviews = []
    if has_revlog:
        reviews = [
            AnkiReview(*values)
            for values in db.execute(
                "SELECT cid, id, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"
            )
        ]
    return AnkiCollection(
        created_at=int(created_at),
        decks=decks,
        models=models,
        notes=list(notes.values()),
        reviews=reviews,
        media_dropped=media,
    )


def _has_tables(db: sqlite3.Connection, *names: str) -> bool:
    found = {
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN"  # noqa: S608 - placeholders only
            f" ({','.join('?' * len(names))})",
            names,
        )
    }
    return found == set(names)


def _schema18_models(db: sqlite3.Connection) -> dict[int, AnkiModel]:
    """Note types of a schema-18 collection. Whether one is a cloze type is `kind` (field 1,
    a varint: 1 = cloze) of the protobuf in `notetypes.config`; proto3 leaves it out when 0."""
    fields: dict[int, int] = dict(
        db.execute("SELECT ntid, count(*) FROM fields GROUP BY ntid").fetchall()
    )
    templates: dict[int, int] = dict(
        db.execute("SELECT ntid, count(*) FROM templates GROUP BY ntid").fetchall()
    )
    models = {}
    for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
        blob = bytes(config or b"")
        cloze = len(blob) >= 2 and blob[0] == 0x08 and blob[1] == MODEL_CLOZE
        raw = {
            "type": MODEL_CLOZE if cloze else MODEL_STANDARD,
            "flds": [None] * fields.get(ntid, 0),
            "tmpls": [None] * templates.get(ntid, 0),
        }
        models[int(ntid)] = AnkiModel(
            id=int(ntid), name=str(name), kind=_model_kind(raw), field_count=fields.get(ntid, 0)
        )
    return models
