"""The daily card events: "cards due" at the chosen local time, and the review summary of a
study day once it ended, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from habits.cards import daily
from habits.cards.models import CardProfile

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 11:00 in Kyiv


@pytest.fixture(autouse=True)
def frozen(monkeypatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def test_cards_due_reminder_fires_at_the_local_time_once(
    cast, make_deck, make_note, published_events
) -> None:
    make_note(make_deck())
    response = cast.owner.patch(
        "/api/habits/cards/settings/", {"reminder_time": "19:00"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["next_reminder_at"] == "2026-03-02T17:00:00Z"  # 19:00 Kyiv
    assert daily.send_reminders(now=NOW + timedelta(hours=7, minutes=59)).sent == 0
    at = NOW + timedelta(hours=8)
    assert daily.send_reminders(now=at).sent == 1
    assert daily.send_reminders(now=at).sent == 0  # moved to tomorrow
    [event] = published_events("habits.cards.due")
    assert event.data["new"] == 1 and event.data["local_time"] == "19:00"
    assert event.data["day"] == "2026-03-02"
    assert CardProfile.objects.get().next_reminder_at == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)


def test_no_reminder_when_nothing_is_due(cast, make_deck, published_events) -> None:
    make_deck()
    cast.owner.patch("/api/habits/cards/settings/", {"reminder_time": "12:00"}, format="json")
    assert daily.send_reminders(now=NOW + timedelta(hours=2)).sent == 0
    assert published_events("habits.cards.due") == []


def test_review_summary_after_the_day_ends(cast, make_deck, make_note, published_events) -> None:
    deck = make_deck()
    for i in range(3):
        card = make_note(deck, front=f"q{i}")["cards"][0]["id"]
        cast.owner.post(
            f"/api/habits/cards/cards/{card}/answer/",
            {"rating": "again" if i == 0 else "good", "duration_ms": 500},
            format="json",
        )
    day_end = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 4:00 in Kyiv
    assert daily.send_summaries(now=day_end - timedelta(seconds=1)).sent == 0
    assert daily.send_summaries(now=day_end).sent == 1
    assert daily.send_summaries(now=day_end).sent == 0
    [event] = published_events("habits.cards.review_summary")
    assert event.data == {
        "owner_id": str(cast.users["owner"].id),
        "day": "2026-03-02",
        "reviews": 3,
        "again": 1,
        "new_cards": 3,
        "duration_ms": 1500,
        "retention": None,
    }


def test_the_day_end_queues_an_optimisation_after_enough_reviews(
    cast, make_deck, make_note, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CARDS_OPTIMIZE_MIN_REVIEWS = 2
    deck = make_deck()
    for i in range(2):
        card = make_note(deck, front=f"q{i}")["cards"][0]["id"]
        cast.owner.post(
            f"/api/habits/cards/cards/{card}/answer/", {"rating": "good"}, format="json"
        )
    with django_capture_on_commit_callbacks() as callbacks:
        daily.send_summaries(now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    assert [c for c in callbacks if "_maybe_optimize" in getattr(c, "__qualname__", "")]
    assert CardProfile.objects.get().optimization_status == "queued"


def test_forecast_follows_a_queue_change_once_then_daily(
    cast, make_deck, make_note, published_events
) -> None:
    """A note, then answers: one forecast with the next pass (not one per change), the card
    answered `good` counted on the day it falls due, and the next one at tomorrow's start."""
    deck = make_deck()
    cards = [make_note(deck, front=f"q{i}")["cards"][0]["id"] for i in range(3)]
    cast.owner.post(
        f"/api/habits/cards/cards/{cards[0]}/answer/", {"rating": "easy"}, format="json"
    )
    assert daily.send_forecasts(now=NOW).sent == 1
    assert daily.send_forecasts(now=NOW + timedelta(minutes=5)).sent == 0
    [event] = published_events("habits.cards.forecast")
    days = event.data["days"]
    assert [d["day"] for d in days] == [f"2026-03-0{i}" for i in range(2, 9)]
    assert days[0]["cards"] == 2  # the two new cards still waiting today
    assert sum(d["cards"] for d in days[1:]) <= 1  # the easy one, if it falls due this week
    assert event.data["owner_id"] == str(cast.users["owner"].id)
    # Midnight in Kyiv (22:00 UTC) comes before the next study day's start (4:00): the daily
    # forecast, then the one at the day start.
    assert CardProfile.objects.get().forecast_at == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert daily.send_forecasts(now=datetime(2026, 3, 2, 22, 0, tzinfo=UTC)).sent == 1
    assert CardProfile.objects.get().forecast_at == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def test_forecast_before_the_day_start_is_labelled_by_the_calendar_day(
    cast, make_deck, make_note, published_events
) -> None:
    """At 1:30 in Kyiv the study day (from 4:00) is still yesterday's: the forecast's first day
    is the calendar's today, holding the waiting queue and the review card falling due at 4:00;
    the next forecast goes at that day start, and after it at the next midnight."""
    from datetime import date

    from habits.cards.models import Card, CardState

    deck = make_deck()
    ids = [make_note(deck, front=f"q{i}")["cards"][0]["id"] for i in range(3)]
    Card.objects.filter(id=ids[0]).update(
        state=CardState.REVIEW, due=datetime(2026, 3, 3, 2, 0, tzinfo=UTC), due_day=date(2026, 3, 3)
    )
    Card.objects.filter(id=ids[1]).update(
        state=CardState.REVIEW, due=datetime(2026, 3, 5, 2, 0, tzinfo=UTC), due_day=date(2026, 3, 5)
    )
    early = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 1:30 on 3 March in Kyiv
    assert daily.send_forecasts(now=early).sent == 1
    [event] = published_events("habits.cards.forecast")
    days = {d["day"]: d["cards"] for d in event.data["days"]}
    assert list(days) == [f"2026-03-{i:02d}" for i in range(3, 10)]
    assert days["2026-03-03"] == 2  # the new card waiting now, and the review due at 4:00
    assert days["2026-03-05"] == 1 and sum(days.values()) == 3
    assert CardProfile.objects.get().forecast_at == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    assert daily.send_forecasts(now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC)).sent == 1
    # 4:00 Kyiv on the 3rd: the next midnight (22:00 UTC) comes before the next day start.
    assert CardProfile.objects.get().forecast_at == datetime(2026, 3, 3, 22, 0, tzinfo=UTC)
