"""Reads of card import and export: a person's import jobs, and a deck with its sub-decks and
notes as they are written out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from habits.card_transfer.apkg_writer import ExportNote
from habits.card_transfer.models import ImportJob
from habits.card_transfer.services import DeckNotFound, ImportNotFound
from habits.cards.models import Deck, Note, NoteKind


def imports_of(*, user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(owner_id=user.id)


def import_of(*, user: Any, job_id: Any) -> ImportJob:
    """The person's import job, or 404 (someone else's reads as missing)."""
    try:
        key = UUID(str(job_id))
    except ValueError:
        raise ImportNotFound() from None
    job = ImportJob.objects.filter(id=key, owner_id=user.id).first()
    if job is None:
        raise ImportNotFound()
    return job


def readable_deck(*, user: Any, deck_id: Any) -> Deck:
    """A deck the person may export: their own, or anyone's public one; else 404."""
    try:
        key = UUID(str(deck_id))
    except ValueError:
        raise DeckNotFound() from None
    deck = Deck.objects.filter(Q(owner_id=user.id) | Q(is_public=True), id=key).first()
    if deck is None:
        raise DeckNotFound()
    return deck


def deck_tree(*, deck: Deck, user: Any) -> list[tuple[Deck, str]]:
    """The deck and its sub-decks (parents first) with their full names ("A::B"). Someone other
    than the owner gets only the public sub-decks (and what is under them)."""
    mine = deck.owner_id == user.id
    rows = Deck.objects.filter(owner_id=deck.owner_id).only("id", "parent_id", "name", "is_public")
    children: dict[Any, list[Deck]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)
    out: list[tuple[Deck, str]] = [(deck, _anki_name(deck.name))]
    queue = [(deck, _anki_name(deck.name))]
    while queue:
        parent, name = queue.pop(0)
        for child in sorted(children.get(parent.id, []), key=lambda d: (d.name, d.id)):
            if not mine and not child.is_public:
                continue
            full = f"{name}::{_anki_name(child.name)}"
            out.append((child, full))
            queue.append((child, full))
    return out


def _anki_name(name: str) -> str:
    # "::" separates Anki's deck levels: one inside a name would make a deck of its own.
    return name.replace("::", ":").strip() or "Deck"


def export_notes(*, tree: list[tuple[Deck, str]]) -> Iterator[ExportNote]:
    names = {deck.id: name for deck, name in tree}
    notes = (
        Note.objects.filter(deck_id__in=list(names))
        .only("id", "deck_id", "kind", "front", "back", "text", "extra", "tags")
        .order_by("deck_id", "id")
    )
    for note in notes.iterator(chunk_size=2000):
        cloze = note.kind == NoteKind.CLOZE
        fields = (note.text, note.extra) if cloze else (note.front, note.back)
        yield ExportNote(
            id=str(note.id),
            deck=names[note.deck_id],
            kind=note.kind,
            fields=fields,
            tags=tuple(str(t) for t in note.tags or []),
        )
