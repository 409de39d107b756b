"""The bridge between our card rows and the `fsrs` package (FSRS-6): a deck's `Scheduler`, a
row as an `fsrs.Card` and back, the owner's study day, and load balancing.

No interval is computed here: the package reviews the card. With fuzz on, the package's own
fuzz would pick a random day in its fuzz range; instead we ask the package for the unfuzzed
interval, take the same range (the package's `FUZZ_RANGES`), and pick the day in it with the
fewest of the owner's cards already due (load balancing, docs/decisions.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import fsrs
from fsrs.scheduler import FUZZ_RANGES

from habits.cards.models import Card, CardState, Deck

# Fuzz (and so balancing) applies from this interval on, as in the package.
FUZZ_FROM_DAYS = 2.5


def scheduler_for(deck: Deck, *, parameters: list[float] | None) -> fsrs.Scheduler:
    """The package's scheduler with the deck's options and the owner's parameters. Fuzz is
    always off in the package: balancing (below) stands in for it."""
    return fsrs.Scheduler(
        parameters=parameters or fsrs.scheduler.DEFAULT_PARAMETERS,
        desired_retention=deck.desired_retention,
        learning_steps=[timedelta(seconds=s) for s in deck.learning_steps],
        relearning_steps=[timedelta(seconds=s) for s in deck.relearning_steps],
        maximum_interval=deck.maximum_interval,
        enable_fuzzing=False,
    )


def to_fsrs(card: Card) -> fsrs.Card:
    if card.state == CardState.NEW:
        return fsrs.Card(card_id=1, state=fsrs.State.Learning, step=0, due=card.due)
    return fsrs.Card(
        card_id=1,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


SNAPSHOT_FIELDS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "due_day",
    "last_review",
    "reps",
    "lapses",
    "suspended",
    "buried_until",
)


def snapshot(card: Card) -> dict[str, Any]:
    """The card's scheduling as JSON (exact: floats as floats, instants as ISO strings)."""
    out: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(card, name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        out[name] = value
    return out


def restore(card: Card, saved: Mapping[str, Any]) -> None:
    for name in SNAPSHOT_FIELDS:
        value = saved.get(name)
        if value is not None and name in ("due", "last_review", "buried_until"):
            value = datetime.fromisoformat(value)
        elif value is not None and name == "due_day":
            value = date.fromisoformat(value)
        setattr(card, name, value)


# ---------------------------------------------------------------------------------------------
# The study day: the owner's calendar day, starting at their chosen hour.


def study_day(instant: datetime, *, zone: ZoneInfo, day_start_hour: int) -> date:
    return (instant.astimezone(zone) - timedelta(hours=day_start_hour)).date()


def day_start(day: date, *, zone: ZoneInfo, day_start_hour: int) -> datetime:
    """The instant (UTC) study day `day` begins."""
    return datetime.combine(day, time(day_start_hour), tzinfo=zone).astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Balancing


def fuzz_range(interval_days: int, *, maximum_interval: int) -> tuple[int, int]:
    """The package's fuzz range for an interval (`Scheduler._get_fuzzed_interval`)."""
    delta = 1.0
    for r in FUZZ_RANGES:
        delta += r["factor"] * max(min(float(interval_days), r["end"]) - r["start"], 0.0)
    low = max(2, round(interval_days - delta))
    high = min(round(interval_days + delta), maximum_interval)
    return min(low, high), high


@dataclass(frozen=True)
class Answer:
    card: fsrs.Card
    log: fsrs.ReviewLog
    interval_days: int  # 0 for learning steps


def review(
    card: Card,
    *,
    deck: Deck,
    parameters: list[float] | None,
    rating: int,
    now: datetime,
    duration_ms: int | None,
    load: Callable[[int, int], Mapping[int, int]] | None = None,
    rng: random.Random | None = None,
) -> Answer:
    """The package's review of `card`. With the deck's fuzz on and a review interval of at
    least 3 days, the due day is moved within the package's fuzz range to the day with the
    fewest due cards: `load(low, high)` gives {days from now: cards due}."""
    scheduler = scheduler_for(deck, parameters=parameters)
    result, log = scheduler.review_card(
        to_fsrs(card), fsrs.Rating(rating), review_datetime=now, review_duration=duration_ms
    )
    interval = result.due - now
    days = interval.days if result.state == fsrs.State.Review else 0
    if deck.fuzz and result.state == fsrs.State.Review and interval.days >= FUZZ_FROM_DAYS:
        low, high = fuzz_range(interval.days, maximum_interval=deck.maximum_interval)
        counts = load(low, high) if load is not None else {}
        best = min(counts.get(d, 0) for d in range(low, high + 1))
        choices = [d for d in range(low, high + 1) if counts.get(d, 0) == best]
        days = (rng or random).choice(choices)
        result.due = now + timedelta(days=days)
    return Answer(card=result, log=log, interval_days=days)
