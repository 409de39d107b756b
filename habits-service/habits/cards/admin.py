"""Cards in Django admin: decks (with their options) and cards. Scheduling fields are
read-only: they change through answers, which keep the review log and undo in step."""

from __future__ import annotations

from django.contrib import admin

from habits.cards.models import Card, CardProfile, Deck, Note


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_public", "parent", "created_at")
    list_filter = ("is_public",)
    search_fields = ("=id", "name", "owner__username", "=owner__id")
    raw_id_fields = ("owner", "parent", "origin")
    readonly_fields = ("search_text", "published_at", "origin_pulled_at")


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "deck", "owner", "created_at")
    list_filter = ("kind",)
    search_fields = ("=id", "=deck__id", "owner__username")
    raw_id_fields = ("owner", "deck")


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("id", "note", "ordinal", "state", "due", "suspended", "owner")
    list_filter = ("state", "suspended")
    search_fields = ("=id", "=note__id", "owner__username")
    raw_id_fields = ("owner", "deck", "note")
    readonly_fields = (
        "state",
        "step",
        "stability",
        "difficulty",
        "due",
        "due_day",
        "last_review",
        "reps",
        "lapses",
    )


@admin.register(CardProfile)
class CardProfileAdmin(admin.ModelAdmin):
    list_display = (
        "owner",
        "day_start_hour",
        "reminder_time",
        "optimization_status",
        "optimized_at",
    )
    raw_id_fields = ("owner",)
    readonly_fields = (
        "parameters",
        "loss_before",
        "loss_after",
        "optimized_at",
        "optimized_reviews",
    )
