"""A file to import, read and converted into what will be written: decks by path, notes with
their cards and scheduling, reviews. Building the plan touches no table; `services` writes it in
one transaction."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from habits.card_transfer import apkg_reader, csv_format, legacy
from habits.cards.content import cloze_numbers
from habits.cards.models import CardState, NoteKind

STATES = {
    "new": CardState.NEW,
    "learning": CardState.LEARNING,
    "review": CardState.REVIEW,
    "relearning": CardState.RELEARNING,
}
# Anki revlog `type` → the card's state when answered; 4 (manual) and 5 (rescheduled) are no
# answers and are left out.
REVIEW_STATES = {
    0: CardState.LEARNING,
    1: CardState.REVIEW,
    2: CardState.RELEARNING,
    3: CardState.REVIEW,
}


@dataclass
class PlannedReview:
    rating: int
    state: int
    reviewed_at: datetime
    elapsed_days: int
    scheduled_days: int
    duration_ms: int


@dataclass
class PlannedCard:
    ordinal: int
    scheduling: legacy.Scheduling | None = None  # None: a new card
    reviews: list[PlannedReview] = field(default_factory=list)


@dataclass
class PlannedNote:
    deck: tuple[str, ...]  # the deck's path under the import's target; () is the target itself
    kind: str
    front: str = ""
    back: str = ""
    text: str = ""
    extra: str = ""
    tags: list[str] = field(default_factory=list)
    guid: str = ""
    cards: list[PlannedCard] = field(default_factory=list)


@dataclass
class Plan:
    notes: list[PlannedNote]
    decks: list[tuple[str, ...]]  # every path used, parents first
    counts: Counter[str] = field(default_factory=Counter)
    converted_models: dict[str, int] = field(default_factory=dict)


def _cards_for(kind: str, text: str) -> list[int]:
    if kind == NoteKind.CLOZE:
        return cloze_numbers(text)
    return [1, 2] if kind == NoteKind.BASIC_REVERSED else [1]


def _with_parents(paths: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    every = {path[:i] for path in paths for i in range(1, len(path) + 1)}
    return sorted(every, key=lambda p: (len(p), p))


# ---------------------------------------------------------------------------------------------
# CSV


def plan_csv(data: bytes, *, max_notes: int) -> Plan:
    """CSV notes, basic ones; a front holding a cloze (`{{c1::…}}`) makes a cloze note, the
    back its extra (how a cloze note is written out, so cloze notes round-trip)."""
    plan = Plan(notes=[], decks=[])
    for row in csv_format.read_csv(data, max_notes=max_notes):
        numbers = cloze_numbers(row.front)
        if numbers:
            note = PlannedNote(deck=(), kind=NoteKind.CLOZE, text=row.front, extra=row.back)
        else:
            note = PlannedNote(deck=(), kind=NoteKind.BASIC, front=row.front, back=row.back)
        note.tags = row.tags
        note.cards = [PlannedCard(ordinal=n) for n in _cards_for(note.kind, note.text)]
        plan.notes.append(note)
    plan.counts["notes"] = len(plan.notes)
    plan.counts["cards"] = sum(len(n.cards) for n in plan.notes)
    return plan


# ---------------------------------------------------------------------------------------------
# Anki


def _deck_path(name: str) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in name.split("::") if part.strip())
    return parts or ("Default",)


def plan_apkg(data: bytes, *, max_notes: int, now: datetime | None = None) -> Plan:
    """The collection's notes under their Anki decks (`A::B` becomes sub-deck B of A), mapped to
    our kinds; their cards with scheduling converted to FSRS (`legacy`) and review history.

    Anki's "Default" deck (id 1), when it holds cards, is a deck named "Default" like any
    other. A note's deck is the deck of its first card (Anki files cards, not notes, in decks:
    sibling cards in different decks end up together)."""
    now = now or datetime.now(UTC)
    collection = apkg_reader.read_apkg(data, max_notes=max_notes)
    reviews_by_card: dict[int, list[apkg_reader.AnkiReview]] = defaultdict(list)
    for review in collection.reviews:
        reviews_by_card[review.card_id].append(review)

    plan = Plan(notes=[], decks=[])
    converted: Counter[str] = Counter()
    for anki_note in collection.notes:
        model = collection.models[anki_note.model_id]
        if not anki_note.cards:
            plan.counts["skipped_notes"] += 1  # a note without cards is not studied in Anki either
            continue
        first, second = [*anki_note.fields, "", ""][:2]
        deck = _deck_path(collection.decks.get(anki_note.cards[0].deck_id, "Default"))
        note = PlannedNote(
            deck=deck, kind=NoteKind.BASIC, tags=anki_note.tags, guid=str(anki_note.id)
        )
        if model.kind == "cloze":
            note.kind, note.text, note.extra = NoteKind.CLOZE, first, second
            if not cloze_numbers(first):
                plan.counts["skipped_notes"] += 1
                continue
        else:
            if model.kind == "basic_reversed":
                note.kind = NoteKind.BASIC_REVERSED
            elif model.kind == "other":
                converted[model.name] += 1
            note.front, note.back = first, second
            if not first.strip():
                plan.counts["skipped_notes"] += 1
                continue
        anki_cards = {card.ord + 1: card for card in anki_note.cards}
        for ordinal in _cards_for(note.kind, note.text):
            planned = PlannedCard(ordinal=ordinal)
            anki_card = anki_cards.get(ordinal)
            if anki_card is not None:
                planned.reviews = _reviews(reviews_by_card.get(anki_card.id, []))
                last = planned.reviews[-1].reviewed_at if planned.reviews else None
                scheduling = legacy.scheduling_of(
                    anki_card,
                    collection_created=collection.created_at,
                    last_review=last,
                    now=now,
                )
                planned.scheduling = None if scheduling.state == "new" else scheduling
                if scheduling.suspended:
                    plan.counts["suspended"] += 1
                    planned.scheduling = scheduling
                if scheduling.from_sm2:
                    plan.counts["converted_from_sm2"] += 1
            note.cards.append(planned)
        plan.notes.append(note)
    plan.decks = _with_parents({note.deck for note in plan.notes})
    plan.counts["notes"] = len(plan.notes)
    plan.counts["cards"] = sum(len(n.cards) for n in plan.notes)
    plan.counts["reviews"] = sum(len(c.reviews) for n in plan.notes for c in n.cards)
    plan.counts["decks"] = len(plan.decks)
    if collection.media_dropped:
        plan.counts["media_skipped"] = collection.media_dropped
    plan.converted_models = dict(converted)
    if converted:
        plan.counts["converted_notes"] = sum(converted.values())
    return plan


def _reviews(rows: list[apkg_reader.AnkiReview]) -> list[PlannedReview]:
    out: list[PlannedReview] = []
    previous: datetime | None = None
    for row in rows:
        state = REVIEW_STATES.get(row.type)
        if state is None or not 1 <= row.ease <= 4:
            continue
        at = datetime.fromtimestamp(row.at_ms / 1000, tz=UTC)
        elapsed = max((at.date() - previous.date()).days, 0) if previous else 0
        out.append(
            PlannedReview(
                rating=row.ease,
                state=state,
                reviewed_at=at,
                elapsed_days=elapsed,
                scheduled_days=max(row.interval, 0),  # negative: seconds (a learning step)
                duration_ms=min(max(row.duration_ms, 0), 3_600_000),
            )
        )
        previous = at
    return out


def summary(plan: Plan) -> dict[str, Any]:
    return {"counts": dict(plan.counts), "converted_models": plan.converted_models}
