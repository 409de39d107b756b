"""Input and output shapes of the cards API. Text goes out twice: the Markdown source as
written and `*_html`, rendered and sanitized (`habits.cards.content`)."""

from __future__ import annotations

import functools
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cotask_common.openapi import checked_json, checked_text
from habits.cards import content
from habits.cards.models import Card, CardProfile, CardState, Deck, Note, NoteKind, Review
from habits.cards.services import TAG_PATTERN

RATINGS = {"again": 1, "hard": 2, "good": 3, "easy": 4}


# Steps in whole seconds (services._check_steps).
STEPS = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1, "maximum": 86400 * 30},
    "maxItems": 10,
}


# services._clean_tags: one word (no spaces inside) of 1 to 50 characters, trimmed.
TAG = {"pattern": TAG_PATTERN, "example": "spanish"}


def _tags() -> serializers.ListField:
    return serializers.ListField(
        child=checked_text(TAG, trim_whitespace=False), required=False, max_length=20
    )


class DeckInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    parent = serializers.UUIDField(required=False, allow_null=True)  # type: ignore[assignment]
    tags = _tags()
    desired_retention = serializers.FloatField(min_value=0.7, max_value=0.99, required=False)
    # services._check_steps checks them, with its own messages.
    learning_steps = checked_json(STEPS, required=False)
    relearning_steps = checked_json(STEPS, required=False)
    maximum_interval = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    fuzz = serializers.BooleanField(required=False)
    new_per_day = serializers.IntegerField(min_value=0, max_value=9999, required=False)
    reviews_per_day = serializers.IntegerField(min_value=0, max_value=99999, required=False)


class DeckOutput(serializers.ModelSerializer):
    parent = serializers.UUIDField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    origin = serializers.UUIDField(source="origin_id", allow_null=True)

    class Meta:
        model = Deck
        fields = [
            "id",
            "name",
            "description",
            "parent",
            "is_public",
            "tags",
            "published_at",
            "desired_retention",
            "learning_steps",
            "relearning_steps",
            "maximum_interval",
            "fuzz",
            "new_per_day",
            "reviews_per_day",
            "origin",
            "origin_pulled_at",
            "created_at",
            "updated_at",
        ]


class PublicDeckOutput(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")
    note_count = serializers.IntegerField()

    class Meta:
        model = Deck
        fields = ["id", "name", "description", "tags", "owner", "note_count", "published_at"]


class PublishInput(serializers.Serializer):
    public = serializers.BooleanField(default=True)


class NoteInput(serializers.Serializer):
    deck = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=NoteKind.values, default=NoteKind.BASIC)
    front = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    back = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    extra = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tags = _tags()


class CardBrief(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()

    class Meta:
        model = Card
        fields = ["id", "ordinal", "state", "due", "suspended", "stability", "difficulty"]

    def get_state(self, card: Card) -> str:
        return CardState(card.state).label


class NoteOutput(serializers.ModelSerializer):
    deck = serializers.UUIDField(source="deck_id")
    front_html = serializers.SerializerMethodField()
    back_html = serializers.SerializerMethodField()
    text_html = serializers.SerializerMethodField()
    extra_html = serializers.SerializerMethodField()
    cards = CardBrief(many=True, read_only=True)

    class Meta:
        model = Note
        fields = [
            "id",
            "deck",
            "kind",
            "front",
            "back",
            "text",
            "extra",
            "front_html",
            "back_html",
            "text_html",
            "extra_html",
            "tags",
            "origin_id",
            "cards",
            "created_at",
            "updated_at",
        ]

    def get_front_html(self, note: Note) -> str:
        return content.render(note.front)

    def get_back_html(self, note: Note) -> str:
        return content.render(note.back)

    def get_text_html(self, note: Note) -> str:
        return content.render(note.text)

    def get_extra_html(self, note: Note) -> str:
        return content.render(note.extra)


def card_payload(card: Card) -> dict[str, Any]:
    note = card.note
    question, answer = content.sides(
        kind=note.kind,
        ordinal=card.ordinal,
        front=note.front,
        back=note.back,
        text=note.text,
        extra=note.extra,
    )
    return {
        "id": str(card.id),
        "note": str(card.note_id),
        "deck": str(card.deck_id),
        "kind": note.kind,
        "ordinal": card.ordinal,
        "state": CardState(card.state).label,
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": card.due,
        "last_review": card.last_review,
        "reps": card.reps,
        "lapses": card.lapses,
        "suspended": card.suspended,
        "buried_until": card.buried_until,
        "question_html": content.render(question),
        "answer_html": content.render(answer),
    }


class CardOutput(serializers.Serializer):
    id = serializers.UUIDField()
    note = serializers.UUIDField()
    deck = serializers.UUIDField()
    kind = serializers.CharField()
    ordinal = serializers.IntegerField()
    state = serializers.CharField()
    step = serializers.IntegerField(allow_null=True)
    stability = serializers.FloatField(allow_null=True)
    difficulty = serializers.FloatField(allow_null=True)
    due = serializers.DateTimeField()
    last_review = serializers.DateTimeField(allow_null=True)
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    suspended = serializers.BooleanField()
    buried_until = serializers.DateTimeField(allow_null=True)
    question_html = serializers.CharField()
    answer_html = serializers.CharField()

    def to_representation(self, instance: Any) -> Any:
        if isinstance(instance, Card):
            instance = card_payload(instance)
        return super().to_representation(instance)


@functools.cache
def _card_output() -> CardOutput:
    return CardOutput()


def card_json(card: Card) -> dict[str, Any]:
    """`CardOutput(card).data`, by one serializer made once: a new one copies its 17 fields
    every time, a share of an answer's CPU (docs/decisions.md)."""
    return dict(_card_output().to_representation(card))


class AnswerInput(serializers.Serializer):
    rating = serializers.ChoiceField(
        choices=list(RATINGS),
        error_messages={"invalid_choice": _("Choose again, hard, good or easy.")},
    )
    duration_ms = serializers.IntegerField(min_value=0, max_value=3_600_000, default=0)


class ReviewOutput(serializers.ModelSerializer):
    rating = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    card = serializers.UUIDField(source="card_id")
    deck = serializers.UUIDField(source="deck_id")

    class Meta:
        model = Review
        fields = [
            "id",
            "card",
            "deck",
            "rating",
            "state",
            "stability",
            "difficulty",
            "elapsed_days",
            "scheduled_days",
            "duration_ms",
            "reviewed_at",
            "day",
        ]

    def get_rating(self, review: Review) -> str:
        return {v: k for k, v in RATINGS.items()}[review.rating]

    def get_state(self, review: Review) -> str:
        return CardState(review.state).label


class QueueQuery(serializers.Serializer):
    deck = serializers.UUIDField(required=False)
    limit = serializers.IntegerField(min_value=0, max_value=100, default=10)


class StatsQuery(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    tag = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class ProfileInput(serializers.Serializer):
    day_start_hour = serializers.IntegerField(min_value=0, max_value=23, required=False)
    reminder_time = serializers.TimeField(required=False, allow_null=True, format="%H:%M")


class ProfileOutput(serializers.ModelSerializer):
    reminder_time = serializers.TimeField(format="%H:%M", allow_null=True)

    class Meta:
        model = CardProfile
        fields = [
            "day_start_hour",
            "reminder_time",
            "next_reminder_at",
            "parameters",
            "optimized_at",
            "optimized_reviews",
            "loss_before",
            "loss_after",
            "optimization_status",
        ]
