"""Anki's SM-2 scheduling of a card turned into an FSRS memory state.

The rule is Anki's own: when FSRS is switched on for cards that only have SM-2 data (or an
incomplete review history), Anki asks the fsrs crate's `memory_state_from_sm2(ease, interval,
sm2_retention)` (fsrs-rs, FSRS-6): the stability is the interval rescaled to the forgetting curve
at 90 % (`interval` itself when the retention the SM-2 intervals were kept at is 0.9, Anki's
default assumption), and the difficulty is the one at which FSRS's stability growth for a Good
answer equals the card's ease. The Python `fsrs` package has no such function, so the same
formula is evaluated here with that package's parameters; nothing else is scheduled by us.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fsrs.scheduler import DEFAULT_PARAMETERS, MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN

from habits.card_transfer.apkg_reader import (
    CARD_LEARNING,
    CARD_NEW,
    CARD_RELEARNING,
    CARD_REVIEW,
    QUEUE_DAY_LEARNING,
    QUEUE_SCHED_BURIED,
    QUEUE_SUSPENDED,
    QUEUE_USER_BURIED,
    AnkiCard,
)

SM2_RETENTION = 0.9
DEFAULT_EASE = 2.5


def memory_state_from_sm2(
    *,
    ease: float,
    interval: float,
    sm2_retention: float = SM2_RETENTION,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> tuple[float, float]:
    """(stability, difficulty) as fsrs-rs's `memory_state_from_sm2` computes them (FSRS-6)."""
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    stability = max(interval, STABILITY_MIN) * factor / (sm2_retention ** (1 / decay) - 1)
    w8, w9, w10 = parameters[8], parameters[9], parameters[10]
    difficulty = 11.0 - (ease - 1.0) / (
        math.exp(w8) * stability ** (-w9) * math.expm1((1.0 - sm2_retention) * w10)
    )
    return stability, min(max(difficulty, MIN_DIFFICULTY), MAX_DIFFICULTY)


@dataclass(frozen=True)
class Scheduling:
    state: str  # "new", "learning", "review", "relearning"
    due: datetime | None
    stability: float | None
    difficulty: float | None
    last_review: datetime | None
    reps: int
    lapses: int
    suspended: bool
    buried: bool
    from_sm2: bool  # stability and difficulty converted from the card's SM-2 ease and interval


def scheduling_of(
    card: AnkiCard,
    *,
    collection_created: int,
    last_review: datetime | None,
    now: datetime,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> Scheduling:
    """The card's FSRS scheduling. Review cards: due on their Anki day (counted from the
    collection's creation day), memory state from ease and interval. Learning cards: due when
    Anki had them due, from the first learning step (Anki's step position depends on the deck's
    options, which an export does not always carry). Relearning cards as review cards that
    lapsed. New cards stay new."""
    suspended = card.queue == QUEUE_SUSPENDED
    buried = card.queue in (QUEUE_SCHED_BURIED, QUEUE_USER_BURIED)
    common = {"reps": max(card.reps, 0), "lapses": max(card.lapses, 0)}
    day_zero = datetime.fromtimestamp(collection_created, tz=UTC)
    if card.type == CARD_NEW or card.type not in (CARD_LEARNING, CARD_REVIEW, CARD_RELEARNING):
        return Scheduling(
            state="new",
            due=None,
            stability=None,
            difficulty=None,
            last_review=None,
            suspended=suspended,
            buried=buried,
            from_sm2=False,
            **common,
        )
    if card.type == CARD_LEARNING:
        due = _learning_due(card, day_zero=day_zero)
        return Scheduling(
            state="learning",
            due=due or now,
            stability=None,
            difficulty=None,
            last_review=last_review,
            suspended=suspended,
            buried=buried,
            from_sm2=False,
            **common,
        )
    ease = card.factor / 1000 if card.factor > 0 else DEFAULT_EASE
    interval = max(card.interval, 1)
    stability, difficulty = memory_state_from_sm2(
        ease=ease, interval=interval, parameters=parameters
    )
    if card.type == CARD_REVIEW:
        due = day_zero + timedelta(days=card.due)
        return Scheduling(
            state="review",
            due=due,
            stability=stability,
            difficulty=difficulty,
            last_review=last_review or due - timedelta(days=interval),
            suspended=suspended,
            buried=buried,
            from_sm2=True,
            **common,
        )
    due = _learning_due(card, day_zero=day_zero)
    return Scheduling(
        state="relearning",
        due=due or now,
        stability=stability,
        difficulty=difficulty,
        last_review=last_review,
        suspended=suspended,
        buried=buried,
        from_sm2=True,
        **common,
    )


def _learning_due(card: AnkiCard, *, day_zero: datetime) -> datetime | None:
    """Learning cards are due at a time (epoch seconds) in the intraday queue, on a day number
    in the day-learning queue; a buried or suspended one keeps the time form Anki stored."""
    if card.queue == QUEUE_DAY_LEARNING:
        return day_zero + timedelta(days=card.due)
    if card.due > 1_000_000_000:  # a timestamp (any day number is far smaller)
        return datetime.fromtimestamp(card.due, tz=UTC)
    if card.due > 0:
        return day_zero + timedelta(days=card.due)
    return None
