"""Writing an Anki `.apkg` with `genanki` (maintained, writes the schema-11 collection every Anki
version since 2.1 opens). The note types are fixed (stable ids, so a second export of the same
deck updates the notes in Anki instead of duplicating them; note guids come from our note ids).
genanki writes new cards only: our scheduling is not exported (Anki schedules the imported
cards from scratch, or keeps its own scheduling of notes it already has)."""

from __future__ import annotations

import hashlib
import html
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import genanki


def _stable_id(name: str) -> int:
    """A positive 31-bit id from a name (Anki's ids are 64-bit; genanki asks for < 2**31)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") >> 1 | 1 << 30


_CSS = ".card { font-family: arial; font-size: 20px; text-align: center; }"
BASIC = genanki.Model(
    _stable_id("cotask-basic"),
    "CoTask Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
        }
    ],
    css=_CSS,
)
BASIC_REVERSED = genanki.Model(
    _stable_id("cotask-basic-reversed"),
    "CoTask Basic (and reversed card)",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
        },
        {
            "name": "Card 2",
            "qfmt": "{{Back}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Front}}',
        },
    ],
    css=_CSS,
)
CLOZE = genanki.Model(
    _stable_id("cotask-cloze"),
    "CoTask Cloze",
    fields=[{"name": "Text"}, {"name": "Back Extra"}],
    templates=[
        {
            "name": "Cloze",
            "qfmt": "{{cloze:Text}}",
            "afmt": "{{cloze:Text}}<br>{{Back Extra}}",
        }
    ],
    css=_CSS,
    model_type=genanki.Model.CLOZE,
)
MODELS = {"basic": BASIC, "basic_reversed": BASIC_REVERSED, "cloze": CLOZE}


@dataclass(frozen=True)
class ExportNote:
    id: str
    deck: str  # the full deck name, "Parent::Child"
    kind: str
    fields: tuple[str, str]  # (front, back) or (cloze text, extra)
    tags: tuple[str, ...]


def text_to_html(text: str) -> str:
    """Our plain text in an Anki field: escaped, line breaks as <br>. Cloze markers survive
    escaping (`{{c1::…}}` holds no HTML-special character of its own)."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def write_apkg(*, decks: Iterable[tuple[str, str]], notes: Iterable[ExportNote]) -> bytes:
    """The .apkg of `decks` ((our id, full name) pairs, parents first) and their `notes`."""
    by_name: dict[str, genanki.Deck] = {}
    for deck_id, name in decks:
        by_name[name] = genanki.Deck(_stable_id(f"deck:{deck_id}"), name)
    for note in notes:
        model = MODELS[note.kind]
        by_name[note.deck].add_note(
            genanki.Note(
                model=model,
                fields=[text_to_html(value) for value in note.fields],
                # Anki tags have no spaces; ours could only come with them from an old import.
                tags=[tag.replace(" ", "_") for tag in note.tags],
                guid=genanki.guid_for("cotask", note.id),
            )
        )
    with tempfile.TemporaryDirectory(prefix="apkg-out-") as folder:
        path = Path(folder) / "deck.apkg"
        genanki.Package(list(by_name.values())).write_to_file(str(path))
        return path.read_bytes()
