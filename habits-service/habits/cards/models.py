"""Spaced-repetition cards: decks (with sub-decks), notes, the cards made from them, each card's
FSRS state, and the review log.

A *note* holds what the person wrote (front/back, or a cloze text); its *cards* are generated
from it (`basic` → 1, `basic_reversed` → 2, `cloze` → one per cloze number) and carry the
scheduling. The scheduling numbers are those of the `fsrs` package (FSRS-6); this app stores
them and never computes an interval itself (see `habits.cards.scheduling`).

Every row carries its `owner`, so the queue, the statistics and a deleted account's clean-up are
one indexed filter each.
"""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef

DEFAULT_LEARNING_STEPS = [60, 600]  # seconds: 1 min, 10 min (the fsrs package's defaults)
DEFAULT_RELEARNING_STEPS = [600]
DEFAULT_DAY_START_HOUR = 4


def default_learning_steps() -> list[int]:
    return list(DEFAULT_LEARNING_STEPS)


def default_relearning_steps() -> list[int]:
    return list(DEFAULT_RELEARNING_STEPS)


class NoteKind(models.TextChoices):
    BASIC = "basic", "basic"
    BASIC_REVERSED = "basic_reversed", "basic and reversed"
    CLOZE = "cloze", "cloze"


class CardState(models.IntegerChoices):
    """0 = never answered; 1-3 are the `fsrs.State` values (Learning, Review, Relearning)."""

    NEW = 0, "new"
    LEARNING = 1, "learning"
    REVIEW = 2, "review"
    RELEARNING = 3, "relearning"


class Rating(models.IntegerChoices):
    """The `fsrs.Rating` values."""

    AGAIN = 1, "again"
    HARD = 2, "hard"
    GOOD = 3, "good"
    EASY = 4, "easy"


class CardProfile(models.Model):
    """One person's card settings and their FSRS parameters: when their day starts, when the
    daily "cards due" reminder fires, and the parameters optimised from their own reviews
    (None: the `fsrs` package's defaults)."""

    owner = models.OneToOneField(
        UserRef, on_delete=models.CASCADE, primary_key=True, related_name="card_profile"
    )
    day_start_hour = models.PositiveSmallIntegerField(default=DEFAULT_DAY_START_HOUR)  # 0-23
    reminder_time = models.TimeField(null=True, blank=True)  # local; None = no reminder
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the daily review summary of the day that ends then is published (UTC instant).
    next_summary_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When `habits.cards.forecast` is next published (daily.py): at the next study day's start,
    # or at once (the next pass) after the queue changed. Null: never made yet (no cards).
    forecast_at = models.DateTimeField(null=True, blank=True, db_index=True)
    parameters = models.JSONField(null=True, blank=True)  # 21 floats (FSRS-6) or None
    optimized_at = models.DateTimeField(null=True, blank=True)
    optimized_reviews = models.PositiveIntegerField(default=0)  # reviews the fit used
    loss_before = models.FloatField(null=True, blank=True)
    loss_after = models.FloatField(null=True, blank=True)
    # "", "queued", "running", "done", "failed", "not_enough_reviews"
    optimization_status = models.CharField(max_length=24, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cards of {self.owner_id}"


class Deck(models.Model):
    """A deck of notes, optionally inside another deck of the same owner (`parent`). Its
    scheduling options apply to its own cards. A public deck can be found and copied by anyone;
    a copy points at its `origin` so the author's later edits can be pulled."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="decks")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    is_public = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)  # list of lower-case strings
    # Lower-cased name and tags, for the public search (works the same on SQLite).
    search_text = models.TextField(blank=True, default="", editable=False)
    published_at = models.DateTimeField(null=True, blank=True)

    # Scheduling options (the fsrs Scheduler's arguments).
    desired_retention = models.FloatField(default=0.9)
    learning_steps = models.JSONField(default=default_learning_steps)  # seconds
    relearning_steps = models.JSONField(default=default_relearning_steps)  # seconds
    maximum_interval = models.PositiveIntegerField(default=36500)  # days
    fuzz = models.BooleanField(default=True)
    new_per_day = models.PositiveIntegerField(default=20)
    reviews_per_day = models.PositiveIntegerField(default=200)

    # A copy of a public deck: the deck it came from (None if it is gone) and when we last
    # pulled from it.
    origin = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    origin_pulled_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "id"]),
            models.Index(
                fields=["published_at", "id"],
                name="deck_public_idx",
                condition=models.Q(is_public=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    """What the person wrote: `front`/`back` for basic notes, `text` (with `{{c1::…}}`) for
    cloze notes, `extra` shown on the answer side of any. The text is Markdown source; it is
    rendered and sanitized on output. `origin_id` is the note of the public deck this one was
    copied from (the key a pull matches by); `guid` is an import's own note id (e.g. Anki's)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="card_notes")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=NoteKind.choices, default=NoteKind.BASIC)
    front = models.TextField(blank=True, default="")
    back = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="")
    extra = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)  # list of strings
    origin_id = models.UUIDField(null=True, blank=True)
    guid = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["deck", "id"]),
            models.Index(fields=["deck", "origin_id"]),
            models.Index(fields=["owner", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class Card(models.Model):
    """One card of a note (`ordinal`: 1 for front→back, 2 for back→front, N for cloze cN) and its
    FSRS state. `due_day` is the owner's study day the card is due on (their zone and day start
    at scheduling time): the load balancer and the forecast count by it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="cards")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="cards")
    ordinal = models.PositiveSmallIntegerField(default=1)

    state = models.PositiveSmallIntegerField(choices=CardState.choices, default=CardState.NEW)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    due_day = models.DateField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    suspended = models.BooleanField(default=False)
    buried_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "ordinal"], name="card_one_per_note_ordinal")
        ]
        indexes = [
            models.Index(fields=["owner", "due"]),
            models.Index(fields=["owner", "due_day"]),
            models.Index(fields=["owner", "state"]),
            # The queue's batches (one state's cards in due order, read up to the LIMIT) and
            # its counts of learning and review cards, from the index alone on PostgreSQL
            # (the included columns are ignored elsewhere).
            models.Index(
                fields=["owner", "state", "due"],
                include=["deck_id", "suspended", "buried_until"],
                name="card_state_due_idx",
            ),
            models.Index(fields=["deck", "state", "due"]),
        ]

    def __str__(self) -> str:
        return f"{self.note_id}#{self.ordinal}"


class Review(models.Model):
    """One answer (the review log). `state` is the card's state when answered; `stability`,
    `difficulty`, `scheduled_days` are after it; `previous` is the card's full state before the
    answer, so undoing the last answer restores the card exactly."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="card_reviews")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    state = models.PositiveSmallIntegerField(choices=CardState.choices)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    elapsed_days = models.PositiveIntegerField(default=0)
    scheduled_days = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    reviewed_at = models.DateTimeField()
    # The owner's study day of the answer (heatmap, summary, new/review limits per day).
    day = models.DateField()
    previous = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "reviewed_at"]),
            models.Index(fields=["owner", "day"]),
            models.Index(fields=["card", "reviewed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.rating} {self.reviewed_at}"
