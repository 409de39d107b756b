"""Writes of decks, notes and cards: card generation from notes, answers (through the `fsrs`
package, `habits.cards.scheduling`), undo, suspend / bury / reset, publishing and copying
decks, the person's card settings, and a deleted account's clean-up.

Lock order: a note's deck row, then its cards; an answer locks at most the card row (on
PostgreSQL none: its write checks the row is still the one read; the deck and profile are
read). Events go through the outbox inside the change's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import Conflict, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.localtime import zone_named
from cotask_common.openapi import NOT_SPACE, SPACE
from cotask_common.users.models import UserRef
from habits.cards import content, hot_sql, scheduling
from habits.cards.models import (
    Card,
    CardProfile,
    CardState,
    Deck,
    Note,
    NoteKind,
    Review,
)
from habits.tracking.evaluation import zone_for

MAX_DECK_DEPTH = 6
MAX_STEPS = 10
NOTE_TEXT_MAX = 20_000


class DeckNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(_("No deck with this id."), code="deck_not_found")


class NoteNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(_("No note with this id."), code="note_not_found")


class CardNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(_("No card with this id."), code="card_not_found")


def _field_error(field: str, message: str, code: str = "invalid") -> ServiceError:
    return ServiceError.for_field(field, message, code=code)


def _uuid(value: Any) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Lookups of the caller's own rows (anyone else's id is the same 404 as a missing one)


def deck_of(*, user: Any, deck_id: Any, lock: bool = False) -> Deck:
    uid = _uuid(deck_id)
    if uid is None:
        raise DeckNotFound()
    decks = Deck.objects.filter(id=uid, owner_id=user.id)
    if lock:
        decks = decks.select_for_update()
    deck = decks.first()
    if deck is None:
        raise DeckNotFound()
    return deck


def note_of(*, user: Any, note_id: Any) -> Note:
    uid = _uuid(note_id)
    note = Note.objects.filter(id=uid, owner_id=user.id).first() if uid else None
    if note is None:
        raise NoteNotFound()
    return note


def card_of(*, user: Any, card_id: Any, lock: bool = False) -> Card:
    uid = _uuid(card_id)
    if uid is None:
        raise CardNotFound()
    cards = Card.objects.select_related("deck").filter(id=uid, owner_id=user.id)
    if lock:
        cards = cards.select_for_update(of=("self",))
    card = cards.first()
    if card is None:
        raise CardNotFound()
    return card


def profile_for(*, user_id: Any) -> CardProfile:
    profile, _created = CardProfile.objects.get_or_create(owner_id=user_id)
    return profile


def _ensure_userref(user: Any) -> None:
    # A person may reach habits before auth's registration event: keep the rows joinable.
    if isinstance(user, UserRef):
        return
    UserRef.objects.get_or_create(
        id=user.id, defaults={"username": getattr(user, "username", "") or str(user.id)}
    )


# ---------------------------------------------------------------------------------------------
# Decks


# A tag as written: one word of 1 to 50 characters, spaces around it trimmed (the document's
# pattern, checked by the same expression).
TAG_PATTERN = rf"^{SPACE}*{NOT_SPACE}{{1,50}}{SPACE}*$"
_TAG = re.compile(TAG_PATTERN)


def _clean_tags(tags: Iterable[Any], *, field: str = "tags") -> list[str]:
    out: list[str] = []
    for tag in tags:
        written = str(tag)
        if not written.strip():
            continue
        if not _TAG.fullmatch(written):
            raise _field_error(field, _("A tag is one word of at most 50 characters."))
        value = written.strip().lower()
        if value not in out:
            out.append(value)
    if len(out) > 20:
        raise _field_error(field, _("At most 20 tags."))
    return out


def _search_text(deck: Deck) -> str:
    return " ".join([deck.name.lower(), *deck.tags]).strip()


def _check_steps(field: str, steps: Any) -> list[int]:
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise _field_error(field, _("A list of at most 10 steps in seconds."))
    out = []
    for step in steps:
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= 86400 * 30:
            raise _field_error(field, _("Each step is whole seconds from 1 to 2592000."))
        out.append(step)
    return out


DECK_FIELDS = (
    "name",
    "description",
    "tags",
    "desired_retention",
    "learning_steps",
    "relearning_steps",
    "maximum_interval",
    "fuzz",
    "new_per_day",
    "reviews_per_day",
)


def _apply_deck(deck: Deck, *, user: Any, changes: Mapping[str, Any]) -> None:
    for name in DECK_FIELDS:
        if name in changes:
            setattr(deck, name, changes[name])
    if "tags" in changes:
        deck.tags = _clean_tags(changes["tags"])
    if "learning_steps" in changes:
        deck.learning_steps = _check_steps("learning_steps", changes["learning_steps"])
    if "relearning_steps" in changes:
        deck.relearning_steps = _check_steps("relearning_steps", changes["relearning_steps"])
    if "parent" in changes:
        parent_id = changes["parent"]
        if parent_id is None:
            deck.parent = None
        else:
            try:
                parent = deck_of(user=user, deck_id=parent_id)
            except DeckNotFound:
                raise _field_error("parent", _("No deck with this id.")) from None
            # Walk up: no cycle, bounded depth (a few queries at most).
            depth = 1
            cursor: Deck | None = parent
            while cursor is not None:
                if cursor.id == deck.id:
                    raise _field_error("parent", _("A deck cannot be inside itself."))
                depth += 1
                if depth > MAX_DECK_DEPTH:
                    raise _field_error("parent", _("Decks nest at most 6 deep."))
                cursor = cursor.parent
            deck.parent = parent
    deck.search_text = _search_text(deck)


def deck_create(*, user: Any, **fields: Any) -> Deck:
    _ensure_userref(user)
    deck = Deck(owner_id=user.id)
    with transaction.atomic():
        _apply_deck(deck, user=user, changes=fields)
        deck.save()
    return deck


def deck_update(*, user: Any, deck_id: Any, changes: Mapping[str, Any]) -> Deck:
    with transaction.atomic():
        deck = deck_of(user=user, deck_id=deck_id, lock=True)
        _apply_deck(deck, user=user, changes=changes)
        deck.save()
        forecast_soon(user_id=user.id)
    return deck


def deck_delete(*, user: Any, deck_id: Any) -> None:
    with transaction.atomic():
        deck = deck_of(user=user, deck_id=deck_id, lock=True)
        deck.delete()
        forecast_soon(user_id=user.id)


def forecast_soon(*, user_id: Any, now: datetime | None = None) -> None:
    """The person's queue changed: their `habits.cards.forecast` goes out with the next cards
    pass (daily.py, every minute), once however many changes came before it. Makes the
    profile if they had none."""
    now = now or timezone.now()
    updated = (
        CardProfile.objects.filter(owner_id=user_id)
        .filter(Q(forecast_at__isnull=True) | Q(forecast_at__gt=now))
        .update(forecast_at=now)
    )
    if not updated and not CardProfile.objects.filter(owner_id=user_id).exists():
        profile = profile_for(user_id=user_id)
        CardProfile.objects.filter(owner_id=profile.owner_id).update(forecast_at=now)


# ---------------------------------------------------------------------------------------------
# Notes and their cards


def ordinals_for(*, kind: str, text: str) -> list[int]:
    """The cards a note has: basic 1, basic_reversed 1 and 2, cloze its cloze numbers."""
    if kind == NoteKind.BASIC_REVERSED:
        return [1, 2]
    if kind == NoteKind.CLOZE:
        return content.cloze_numbers(text)
    return [1]


def _check_note(fields: Mapping[str, Any]) -> None:
    kind = fields.get("kind", NoteKind.BASIC)
    for name in ("front", "back", "text", "extra"):
        if len(fields.get(name) or "") > NOTE_TEXT_MAX:
            raise _field_error(name, _("At most 20000 characters."), code="max_length")
    if kind == NoteKind.CLOZE:
        if not content.cloze_numbers(fields.get("text") or ""):
            raise _field_error(
                "text",
                _("A cloze note needs at least one cloze, like {{c1::answer}}."),
                code="no_cloze",
            )
    elif not (fields.get("front") or "").strip():
        # A rule across fields (stated in the operations' descriptions).
        raise _field_error("front", _("This field is required."), code="front_needed")


def sync_cards(note: Note, *, now: datetime | None = None) -> tuple[int, int]:
    """Give `note` exactly the cards its content asks for: missing ones are added (new, due
    now), ones no longer asked for go with their reviews, the rest keep their scheduling.
    Returns (added, removed)."""
    now = now or timezone.now()
    wanted = set(ordinals_for(kind=note.kind, text=note.text))
    have = dict(Card.objects.filter(note=note).values_list("ordinal", "id"))
    gone = [cid for ordinal, cid in have.items() if ordinal not in wanted]
    if gone:
        Card.objects.filter(id__in=gone).delete()
    new = [
        Card(owner_id=note.owner_id, deck_id=note.deck_id, note=note, ordinal=o, due=now)
        for o in sorted(wanted - have.keys())
    ]
    Card.objects.bulk_create(new)
    return len(new), len(gone)


NOTE_FIELDS = ("kind", "front", "back", "text", "extra", "tags")


def note_create(*, user: Any, deck_id: Any, **fields: Any) -> Note:
    _check_note(fields)
    with transaction.atomic():
        try:
            deck = deck_of(user=user, deck_id=deck_id, lock=True)
        except DeckNotFound:
            raise _field_error("deck", _("No deck with this id.")) from None
        note = Note(owner_id=user.id, deck=deck)
        for name in NOTE_FIELDS:
            if name in fields:
                setattr(note, name, fields[name])
        note.tags = _clean_tags(fields.get("tags") or [])
        note.save()
        sync_cards(note)
        forecast_soon(user_id=user.id)
    return note


def note_update(*, user: Any, note_id: Any, changes: Mapping[str, Any]) -> Note:
    with transaction.atomic():
        note = note_of(user=user, note_id=note_id)
        Deck.objects.select_for_update().filter(id=note.deck_id).first()
        merged = {name: getattr(note, name) for name in NOTE_FIELDS} | dict(changes)
        _check_note(merged)
        for name in NOTE_FIELDS:
            if name in changes:
                setattr(note, name, changes[name])
        if "tags" in changes:
            note.tags = _clean_tags(changes["tags"])
        if "deck" in changes:
            try:
                target = deck_of(user=user, deck_id=changes["deck"])
            except DeckNotFound:
                raise _field_error("deck", _("No deck with this id.")) from None
            note.deck = target
            Card.objects.filter(note=note).update(deck=target)
        note.save()
        sync_cards(note)
    return note


def note_delete(*, user: Any, note_id: Any) -> None:
    with transaction.atomic():
        note_of(user=user, note_id=note_id).delete()
        forecast_soon(user_id=user.id)


# ---------------------------------------------------------------------------------------------
# Answers


def _study_clock(user: Any, profile: CardProfile) -> tuple[Any, int]:
    return zone_for(user=user), profile.day_start_hour


def zone_of(user: Any, saved: str | None) -> Any:
    """`zone_for` when the saved zone was read already: the token's claim, else `saved`."""
    claimed = (getattr(user, "claims", None) or {}).get("tz")
    return zone_named(claimed if isinstance(claimed, str) and claimed else saved)


# Tries of an answer whose card changed between its read and its write; the last one locks.
ANSWER_TRIES = 3


def card_answer(
    *,
    user: Any,
    card_id: Any,
    rating: int,
    duration_ms: int = 0,
    now: datetime | None = None,
    rng: Any = None,
) -> tuple[Card, Review]:
    """Answer a card: the `fsrs` package schedules it (balanced within its fuzz range, see
    `scheduling.review`), a review row keeps the answer and the card's previous state.

    On PostgreSQL one read and one write (`hot_sql`, no lock: the write changes the card only
    if it is still the row read, else the answer is read and scheduled again); the last try,
    and SQLite, run the ORM twins in a transaction with the card locked."""
    now = now or timezone.now()
    uid = _uuid(card_id)
    if uid is None:
        raise CardNotFound()
    hot = hot_sql.enabled()
    for attempt in range(1, ANSWER_TRIES + 1):
        if hot and attempt < ANSWER_TRIES:
            done = _answer(user=user, card_id=uid, rating=rating, duration_ms=duration_ms,
                           now=now, rng=rng, hot=True, lock=False)  # fmt: skip
        else:
            with transaction.atomic():
                done = _answer(user=user, card_id=uid, rating=rating, duration_ms=duration_ms,
                               now=now, rng=rng, hot=False, lock=True)  # fmt: skip
        if done is not None:
            return done
    raise AssertionError("the last try locks the card, so it always answers")  # pragma: no cover


def _answer(
    *,
    user: Any,
    card_id: UUID,
    rating: int,
    duration_ms: int,
    now: datetime,
    rng: Any,
    hot: bool,
    lock: bool,
) -> tuple[Card, Review] | None:
    """One try of `card_answer`: None when the card changed after it was read."""
    read_card = hot_sql.answer_read if hot else hot_sql.answer_read_orm
    read = read_card(card_id=card_id, owner_id=user.id, lock=lock)
    if read is not None and read.day_start_hour is None:  # no profile yet: make it, read again
        profile_for(user_id=user.id)
        read = read_card(card_id=card_id, owner_id=user.id, lock=lock)
    if read is None or read.day_start_hour is None:
        raise CardNotFound()
    card = read.card
    if card.suspended:
        raise Conflict(_("This card is suspended."), code="card_suspended")
    zone, hour = zone_of(user, read.time_zone), read.day_start_hour
    today = scheduling.study_day(now, zone=zone, day_start_hour=hour)
    previous = scheduling.snapshot(card)
    read_updated_at = card.updated_at
    due_per_day = hot_sql.due_per_day if hot else hot_sql.due_per_day_orm

    def load(low: int, high: int) -> dict[int, int]:
        first = today + timedelta(days=low)
        last = today + timedelta(days=high)
        rows = due_per_day(owner_id=user.id, first=first, last=last, but=card.id)
        return {(day - today).days: n for day, n in rows.items() if day}

    answer = scheduling.review(
        card,
        deck=card.deck,
        parameters=read.parameters,
        rating=rating,
        now=now,
        duration_ms=duration_ms,
        load=load,
        rng=rng,
    )
    elapsed = (now - card.last_review).days if card.last_review else 0
    state_before = card.state
    result = answer.card
    card.state = int(result.state)
    card.step = result.step
    card.stability = result.stability
    card.difficulty = result.difficulty
    card.due = result.due
    card.last_review = now
    card.reps += 1
    if state_before == CardState.REVIEW and rating == 1:
        card.lapses += 1
    card.buried_until = None
    card.due_day = (
        scheduling.study_day(card.due, zone=zone, day_start_hour=hour)
        if card.state == CardState.REVIEW
        else None
    )
    card.updated_at = timezone.now()
    review = Review(
        owner_id=user.id,
        card_id=card.id,
        deck_id=card.deck_id,
        rating=rating,
        state=state_before,
        stability=card.stability,
        difficulty=card.difficulty,
        elapsed_days=max(0, elapsed),
        scheduled_days=answer.interval_days,
        duration_ms=max(0, duration_ms),
        reviewed_at=now,
        day=today,
        previous=previous,
    )
    # The day's first answer sets when its summary goes out (the day's end, daily.py); any
    # answer makes the forecast due (`forecast_soon`).
    next_summary_at = scheduling.day_start(
        today + timedelta(days=1), zone=zone, day_start_hour=hour
    )
    write = hot_sql.answer_write if hot else hot_sql.answer_write_orm
    if not write(card=card, read_updated_at=read_updated_at, review=review,
                 next_summary_at=next_summary_at, now=now):  # fmt: skip
        return None
    return card, review


def review_undo(*, user: Any) -> Card:
    """Undo the person's last answer: the card gets back exactly its state before it, and the
    review row goes. 404 when there is nothing to undo."""
    with transaction.atomic():
        review = (
            Review.objects.select_for_update()
            .filter(owner_id=user.id)
            .order_by("-reviewed_at", "-id")
            .first()
        )
        if review is None:
            raise NotFound(_("No answer to undo."), code="nothing_to_undo")
        card = Card.objects.select_for_update().get(id=review.card_id)
        scheduling.restore(card, review.previous)
        card.save()
        review.delete()
        forecast_soon(user_id=user.id)
    return card


def card_suspend(*, user: Any, card_id: Any, suspended: bool) -> Card:
    with transaction.atomic():
        card = card_of(user=user, card_id=card_id, lock=True)
        card.suspended = suspended
        card.save(update_fields=["suspended", "updated_at"])
    return card


def card_bury(*, user: Any, card_id: Any, now: datetime | None = None) -> Card:
    """Hide the card until the person's next day starts."""
    now = now or timezone.now()
    profile = profile_for(user_id=user.id)
    zone, hour = _study_clock(user, profile)
    today = scheduling.study_day(now, zone=zone, day_start_hour=hour)
    with transaction.atomic():
        card = card_of(user=user, card_id=card_id, lock=True)
        card.buried_until = scheduling.day_start(
            today + timedelta(days=1), zone=zone, day_start_hour=hour
        )
        card.save(update_fields=["buried_until", "updated_at"])
    return card


def card_reset(*, user: Any, card_id: Any, now: datetime | None = None) -> Card:
    """Forget the card: new again, due now (its review log stays)."""
    now = now or timezone.now()
    with transaction.atomic():
        card = card_of(user=user, card_id=card_id, lock=True)
        card.state = CardState.NEW
        card.step = card.stability = card.difficulty = None
        card.due, card.due_day, card.last_review = now, None, None
        card.reps = card.lapses = 0
        card.buried_until = None
        card.save()
    return card


# ---------------------------------------------------------------------------------------------
# Settings


def profile_update(
    *, user: Any, changes: Mapping[str, Any], now: datetime | None = None
) -> CardProfile:
    _ensure_userref(user)
    now = now or timezone.now()
    with transaction.atomic():
        profile, _created = CardProfile.objects.select_for_update().get_or_create(owner_id=user.id)
        if "day_start_hour" in changes:
            profile.day_start_hour = changes["day_start_hour"]
        if "reminder_time" in changes:
            profile.reminder_time = changes["reminder_time"]
        zone = zone_for(user=user)
        profile.next_reminder_at = next_reminder(profile, zone=zone, now=now)
        profile.save()
    return profile


def next_reminder(profile: CardProfile, *, zone: Any, now: datetime) -> datetime | None:
    """The next instant the reminder's local time comes (None: no reminder)."""
    if profile.reminder_time is None:
        return None
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), profile.reminder_time, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(
            local.date() + timedelta(days=1), profile.reminder_time, tzinfo=zone
        )
    return candidate.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Shared decks


def deck_publish(*, user: Any, deck_id: Any, public: bool, now: datetime | None = None) -> Deck:
    now = now or timezone.now()
    with transaction.atomic():
        deck = deck_of(user=user, deck_id=deck_id, lock=True)
        was_public = deck.is_public
        deck.is_public = public
        if public and not was_public:
            deck.published_at = now
        deck.save()
        if public and not was_public:
            publish_event(
                type="habits.cards.deck_published",
                key=deck.id,
                actor=user.id,
                data={
                    "deck_id": str(deck.id),
                    "owner_id": str(deck.owner_id),
                    "name": deck.name[:200],
                    "tags": deck.tags,
                    "notes": Note.objects.filter(deck=deck).count(),
                    "published_at": now.isoformat(),
                },
            )
    return deck


def public_deck(*, deck_id: Any) -> Deck:
    uid = _uuid(deck_id)
    deck = Deck.objects.filter(id=uid, is_public=True).first() if uid else None
    if deck is None:
        raise DeckNotFound()
    return deck


def _copy_note(source: Note, *, owner_id: Any, deck: Deck) -> Note:
    return Note(
        owner_id=owner_id,
        deck=deck,
        kind=source.kind,
        front=source.front,
        back=source.back,
        text=source.text,
        extra=source.extra,
        tags=list(source.tags),
        origin_id=source.id,
    )


def deck_copy(*, user: Any, deck_id: Any, now: datetime | None = None) -> Deck:
    """Copy a public deck into the caller's collection: their own notes and new cards,
    scheduled by them from now on; `origin` remembers where it came from."""
    now = now or timezone.now()
    _ensure_userref(user)
    source = public_deck(deck_id=deck_id)
    with transaction.atomic():
        copy = Deck(
            owner_id=user.id,
            origin=source,
            origin_pulled_at=now,
            **{name: getattr(source, name) for name in DECK_FIELDS},
        )
        copy.search_text = _search_text(copy)
        copy.save()
        notes = [
            _copy_note(n, owner_id=user.id, deck=copy)
            for n in Note.objects.filter(deck=source).order_by("id").iterator(chunk_size=2000)
        ]
        Note.objects.bulk_create(notes, batch_size=1000)
        cards = [
            Card(owner_id=user.id, deck=copy, note=n, ordinal=o, due=now)
            for n in notes
            for o in ordinals_for(kind=n.kind, text=n.text)
        ]
        Card.objects.bulk_create(cards, batch_size=2000)
    return copy


def deck_pull(*, user: Any, deck_id: Any, now: datetime | None = None) -> dict[str, int]:
    """Bring the author's later edits into my copy: notes matched by their origin id are
    updated (their cards keep my scheduling; cloze cards follow the clozes), the author's new
    notes are added. Notes the author deleted stay in my copy."""
    now = now or timezone.now()
    with transaction.atomic():
        copy = deck_of(user=user, deck_id=deck_id, lock=True)
        if copy.origin_id is None:
            raise Conflict(_("This deck is not a copy of a shared deck."), code="not_a_copy")
        source = Deck.objects.filter(id=copy.origin_id, is_public=True).first()
        if source is None:
            raise Conflict(_("The shared deck is no longer public."), code="origin_gone")
        mine = {n.origin_id: n for n in Note.objects.filter(deck=copy, origin_id__isnull=False)}
        updated = added = 0
        for src in Note.objects.filter(deck=source).order_by("id").iterator(chunk_size=2000):
            note = mine.get(src.id)
            if note is None:
                note = _copy_note(src, owner_id=user.id, deck=copy)
                note.save()
                sync_cards(note, now=now)
                added += 1
                continue
            values = {
                name: getattr(src, name)
                for name in ("kind", "front", "back", "text", "extra", "tags")
            }
            if any(getattr(note, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(note, k, v)
                note.save()
                sync_cards(note, now=now)
                updated += 1
        copy.origin_pulled_at = now
        copy.save(update_fields=["origin_pulled_at", "updated_at"])
    return {"updated": updated, "added": added}


# ---------------------------------------------------------------------------------------------
# Accounts


def user_deleted(*, user_id: UUID) -> int:
    """A deleted account's collection goes: decks (with notes, cards, reviews) and settings.
    Idempotent. Returns how many decks went."""
    with transaction.atomic():
        # Children first is not needed: one delete of every deck cascades through parents.
        n = Deck.objects.filter(owner_id=user_id).count()
        Review.objects.filter(owner_id=user_id).delete()
        Card.objects.filter(owner_id=user_id).delete()
        Note.objects.filter(owner_id=user_id).delete()
        Deck.objects.filter(owner_id=user_id).delete()
        CardProfile.objects.filter(owner_id=user_id).delete()
    return n


def last_review_at(*, user_id: Any) -> datetime | None:
    return Review.objects.filter(owner_id=user_id).aggregate(m=Max("reviewed_at"))["m"]
