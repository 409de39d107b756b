"""The hand-written SQL of the cards' hot paths, each statement beside its ORM twin.

Here because `bench/cards.py` showed it pays (the figures in docs/decisions.md): an answer ran
eight ORM queries (the profile, the zone, BEGIN, the locked card with its deck, the card's
UPDATE, the review's INSERT, COMMIT, then the note for the answer's text), and compiling them
cost the request more CPU than PostgreSQL spent running them. On PostgreSQL an answer is two
statements: one read of everything it needs (the card, its deck's options, its note, the
person's profile and zone), and one write (the card, its review row and the profile in one
`WITH`), plus the balancing count when the answer is balanced. The write changes the card only
if it is still the row that was read (its `updated_at`), so no lock or transaction is needed;
a lost race is read and scheduled again (`services.card_answer`). The due queue is three
statements instead of six (`selectors.due_queue`: the profile, zone and decks; the counts; the
next cards with their notes).

PostgreSQL only (`enabled()`); SQLite, the embedded default, runs the twins, which are what
`services` and `selectors` ran before. `habits/cards/tests/test_hot_sql.py` runs both on the
same data and requires the same rows (for the queue: the same queue). Only the models' own
quoted table and column names are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce

from cotask_common.statements import Columns, Statement
from cotask_common.users.models import UserRef
from habits.cards.models import Card, CardProfile, Deck, Note, Review

# Switched off by the parity tests to run the ORM twins on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


# ---------------------------------------------------------------------------------------------
# An answer: the read


@dataclass
class AnswerRead:
    """What an answer needs: the card (its deck's options and its note attached, as
    `card.deck` and `card.note`), the person's profile fields (`day_start_hour` None: they have
    no profile yet) and their saved zone."""

    card: Card
    day_start_hour: int | None
    parameters: list[float] | None
    next_summary_at: datetime | None
    forecast_at: datetime | None
    time_zone: str | None


DECK_OPTIONS = ("desired_retention", "learning_steps", "relearning_steps", "maximum_interval",
                "fuzz")  # fmt: skip
NOTE_TEXT = ("kind", "front", "back", "text", "extra")
PROFILE = ("day_start_hour", "parameters", "next_summary_at", "forecast_at")


def answer_read(*, card_id: UUID, owner_id: Any, lock: bool = False) -> AnswerRead | None:
    """The card `card_id` of `owner_id` with its deck's options, its note, the owner's profile
    and zone, in one query (never locked: `answer_write` checks the row); None when there is no
    such card."""
    rows = _read_statement().fetch(Card, card_id, owner_id)
    if not rows:
        return None
    card: Any = rows[0]
    deck = Deck(
        id=card.deck_id,
        owner_id=card.owner_id,
        desired_retention=card.d_desired_retention,
        learning_steps=_json(card.d_learning_steps),
        relearning_steps=_json(card.d_relearning_steps),
        maximum_interval=card.d_maximum_interval,
        fuzz=card.d_fuzz,
    )
    note = Note(id=card.note_id, owner_id=card.owner_id, deck_id=card.deck_id,
                **{name: getattr(card, f"n_{name}") for name in NOTE_TEXT})  # fmt: skip
    card.deck, card.note = deck, note
    return AnswerRead(
        card=card,
        day_start_hour=card.p_day_start_hour,
        parameters=_json(card.p_parameters),
        next_summary_at=card.p_next_summary_at,
        forecast_at=card.p_forecast_at,
        time_zone=card.u_time_zone,
    )


def _json(value: Any) -> Any:
    # Django reads jsonb as text (its JSONField decodes): so do we.
    return json.loads(value) if isinstance(value, str) else value


def answer_read_orm(*, card_id: UUID, owner_id: Any, lock: bool = False) -> AnswerRead | None:
    """The twin: what `answer_read` means, with the ORM (two queries; `lock`: the card row is
    locked until the transaction ends)."""
    cards = Card.objects.select_related("deck", "note").filter(id=card_id, owner_id=owner_id)
    if lock:
        cards = cards.select_for_update(of=("self",))
    card = cards.first()
    if card is None:
        return None
    profile = (
        CardProfile.objects.filter(owner_id=owner_id).values(*PROFILE, "owner__time_zone").first()
    )
    zone = (
        profile["owner__time_zone"]
        if profile
        else (UserRef.objects.filter(id=owner_id).values_list("time_zone", flat=True).first())
    )
    return AnswerRead(
        card=card,
        day_start_hour=profile["day_start_hour"] if profile else None,
        parameters=profile["parameters"] if profile else None,
        next_summary_at=profile["next_summary_at"] if profile else None,
        forecast_at=profile["forecast_at"] if profile else None,
        time_zone=zone,
    )


@functools.cache
def _read_statement() -> Statement:
    c, d, n = Columns(Card, "c"), Columns(Deck, "d"), Columns(Note, "n")
    p, u = Columns(CardProfile, "p"), Columns(UserRef, "u")
    extras = [f"{d(name)} AS d_{name}" for name in DECK_OPTIONS]
    extras += [f"{n(name)} AS n_{name}" for name in NOTE_TEXT]
    extras += [f"{p(name)} AS p_{name}" for name in ("day_start_hour", "parameters")]
    extras += [f"{p(name)} AS p_{name}" for name in ("next_summary_at", "forecast_at")]
    sql = f"""
    SELECT {c.all()}, {", ".join(extras)}, {p("owner")} AS p_found, {u("time_zone")} AS u_time_zone
    FROM {c.table} c
    JOIN {d.table} d ON {d("id")} = {c("deck")}
    JOIN {n.table} n ON {n("id")} = {c("note")}
    LEFT JOIN {p.table} p ON {p("owner")} = {c("owner")}
    LEFT JOIN {u.table} u ON {u("id")} = {c("owner")}
    WHERE {c("id")} = %s AND {c("owner")} = %s
    """
    return Statement(sql, [c.field("id"), c.field("owner")])


# ---------------------------------------------------------------------------------------------
# An answer: the balancing count


def due_per_day(*, owner_id: Any, first: date, last: date, but: UUID) -> dict[date, int]:
    """The owner's cards due on each study day from `first` to `last`, card `but` aside."""
    statement = _load_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(owner_id, first, last, but))
        return dict(cursor.fetchall())


def due_per_day_orm(*, owner_id: Any, first: date, last: date, but: UUID) -> dict[date, int]:
    rows = (
        Card.objects.filter(owner_id=owner_id, due_day__gte=first, due_day__lte=last)
        .exclude(id=but)
        .values("due_day")
        .annotate(n=Count("id"))
    )
    return {r["due_day"]: r["n"] for r in rows if r["due_day"]}


@functools.cache
def _load_statement() -> Statement:
    c = Columns(Card)
    sql = f"""
    SELECT {c("due_day")}, COUNT(*) FROM {c.table}
    WHERE {c("owner")} = %s AND {c("due_day")} >= %s AND {c("due_day")} <= %s AND {c("id")} <> %s
    GROUP BY {c("due_day")}
    """
    return Statement(sql, [c.field("owner"), c.field("due_day"), c.field("due_day"), c.field("id")])


# ---------------------------------------------------------------------------------------------
# An answer: the write

# The card's columns an answer sets (beside `buried_until`, cleared, and `updated_at`).
ANSWERED = ("state", "step", "stability", "difficulty", "due", "due_day", "last_review", "reps",
            "lapses")  # fmt: skip
REVIEW_COLUMNS = ("id", "owner", "card", "deck", "rating", "state", "stability", "difficulty",
                  "elapsed_days", "scheduled_days", "duration_ms", "reviewed_at", "day",
                  "previous")  # fmt: skip
REVIEW_ATTRIBUTES = tuple(
    f"{n}_id" if n in ("owner", "card", "deck") else n for n in REVIEW_COLUMNS
)


def answer_write(
    *,
    card: Card,
    read_updated_at: datetime,
    review: Review,
    next_summary_at: datetime,
    now: datetime,
) -> bool:
    """Store an answer: `card`'s scheduling (if the row is still the one read at
    `read_updated_at` and not suspended), its `review` row, and the owner's profile (the day's
    summary time if none is set; the forecast due now, `services.forecast_soon`). One
    statement; False (nothing written) when the card changed since it was read."""
    statement = _write_statement()
    values = [getattr(card, name) for name in ANSWERED]
    values += [card.updated_at, card.id, read_updated_at]
    values += [getattr(review, name) for name in REVIEW_ATTRIBUTES]
    values += [next_summary_at, now, now, card.owner_id, now]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(*values))
        row = cursor.fetchone()
    return bool(row and row[0])


def answer_write_orm(
    *,
    card: Card,
    read_updated_at: datetime,
    review: Review,
    next_summary_at: datetime,
    now: datetime,
) -> bool:
    """The twin: the same writes with the ORM, in the caller's transaction."""
    changed = Card.objects.filter(id=card.id, updated_at=read_updated_at, suspended=False).update(
        buried_until=None,
        updated_at=card.updated_at,
        **{name: getattr(card, name) for name in ANSWERED},
    )
    if not changed:
        return False
    review.save(force_insert=True)
    forecast_due = Q(forecast_at__isnull=True) | Q(forecast_at__gt=now)
    CardProfile.objects.filter(Q(next_summary_at__isnull=True) | forecast_due,
                               owner_id=card.owner_id).update(
        next_summary_at=Coalesce(F("next_summary_at"), Value(next_summary_at)),
        forecast_at=Case(When(forecast_due, then=Value(now)), default=F("forecast_at")),
    )  # fmt: skip
    return True


@functools.cache
def _write_statement() -> Statement:
    c, r, p = Columns(Card), Columns(Review), Columns(CardProfile)
    sets = ", ".join(f"{c.name(name)} = %s" for name in ANSWERED)
    review_columns = ", ".join(r.name(name) for name in REVIEW_COLUMNS)
    review_values = ", ".join("%s" for _ in REVIEW_COLUMNS)
    summary, forecast = p.name("next_summary_at"), p.name("forecast_at")
    sql = f"""
    WITH answered AS (
        UPDATE {c.table} SET {sets}, {c.name("buried_until")} = NULL, {c.name("updated_at")} = %s
        WHERE {c("id")} = %s AND {c("updated_at")} = %s AND NOT {c("suspended")}
        RETURNING {c("id")}
    ), logged AS (
        INSERT INTO {r.table} ({review_columns})
        SELECT {review_values} FROM answered
    ), profile AS (
        UPDATE {p.table} SET {summary} = COALESCE({summary}, %s),
            {forecast} = CASE WHEN {forecast} IS NULL OR {forecast} > %s THEN %s ELSE {forecast} END
        WHERE {p("owner")} = %s AND EXISTS (SELECT 1 FROM answered)
          AND ({summary} IS NULL OR {forecast} IS NULL OR {forecast} > %s)
    )
    SELECT COUNT(*) FROM answered
    """
    fields: list[Any] = [c.field(name) for name in ANSWERED]
    fields += [c.field("updated_at"), c.field("id"), c.field("updated_at")]
    fields += [r.field(name) for name in REVIEW_COLUMNS]
    fields += [p.field("next_summary_at"), p.field("forecast_at"), p.field("forecast_at")]
    fields += [p.field("owner"), p.field("forecast_at")]
    return Statement(sql, fields)


# ---------------------------------------------------------------------------------------------
# The due queue (`selectors.due_queue`; its twin is the ORM code there): three statements


@dataclass
class QueueSetup:
    """The person's day start (None: no profile yet), saved zone and decks
    ({id: (parent id, new per day, reviews per day)})."""

    day_start_hour: int | None
    time_zone: str | None
    decks: dict[UUID, tuple[UUID | None, int, int]]


def queue_setup(*, owner_id: Any) -> QueueSetup:
    """The profile, zone and decks the queue needs, in one query."""
    statement = _setup_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(owner_id))
        rows = cursor.fetchall()
    decks = {row[2]: (row[3], row[4], row[5]) for row in rows if row[2] is not None}
    return QueueSetup(day_start_hour=rows[0][0], time_zone=rows[0][1], decks=decks)


@functools.cache
def _setup_statement() -> Statement:
    p, u, d = Columns(CardProfile, "p"), Columns(UserRef, "u"), Columns(Deck, "d")
    sql = f"""
    SELECT {p("day_start_hour")}, {u("time_zone")}, {d("id")}, {d("parent")},
           {d("new_per_day")}, {d("reviews_per_day")}
    FROM (SELECT %s AS owner_id) o
    LEFT JOIN {p.table} p ON {p("owner")} = o.owner_id
    LEFT JOIN {u.table} u ON {u("id")} = o.owner_id
    LEFT JOIN {d.table} d ON {d("owner")} = o.owner_id
    """
    return Statement(sql, [Columns(Deck).field("owner")])


def _available(c: Columns) -> str:
    """The cards a queue may show (not suspended, not buried at %s): one parameter."""
    return f"NOT {c('suspended')} AND ({c('buried_until')} IS NULL OR {c('buried_until')} <= %s)"


def queue_counts(
    *,
    owner_id: Any,
    today: date,
    now: datetime,
    day_end: datetime,
    decks: dict[UUID, tuple[UUID | None, int, int]],
    every_deck: bool,
) -> list[tuple[str, UUID, int, int]]:
    """("done", deck, state, answers today) per deck and state of the card when answered;
    ("due", deck, state, cards) of the learning, review and relearning cards due before
    `day_end`; ("new", deck, 0, cards) of the new cards due before `day_end`, counted no
    further than the deck's room left today. `decks`: the decks asked for (all of the person's
    when `every_deck`)."""
    statement = _counts_statement()
    ids = list(decks)
    new_per_day = [decks[i][1] for i in ids]
    values = [owner_id, today, ids, new_per_day, owner_id, now, day_end, every_deck, owner_id]
    values += [now, day_end]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(*values))
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


@functools.cache
def _counts_statement() -> Statement:
    r, c = Columns(Review, "r"), Columns(Card, "c")
    sql = f"""
    WITH done AS (
        SELECT {r("deck")} AS deck_id, {r("state")} AS state, COUNT(*) AS n FROM {r.table} r
        WHERE {r("owner")} = %s AND {r("day")} = %s
        GROUP BY 1, 2
    ), room AS (
        SELECT d.id, GREATEST(0, d.per_day - COALESCE(
            (SELECT n FROM done WHERE done.deck_id = d.id AND done.state = 0), 0)) AS room
        FROM unnest(%s::uuid[], %s::int[]) AS d(id, per_day)
    )
    SELECT 'done', deck_id, state, n FROM done
    UNION ALL
    SELECT 'due', {c("deck")}, {c("state")}, COUNT(*) FROM {c.table} c
    WHERE {c("owner")} = %s AND {_available(c)} AND {c("due")} < %s AND {c("state")} IN (1, 2, 3)
      AND (%s OR {c("deck")} IN (SELECT id FROM room))
    GROUP BY 2, 3
    UNION ALL
    SELECT 'new', room.id, 0, (
        SELECT COUNT(*) FROM (
            SELECT 1 FROM {c.table} c
            WHERE {c("owner")} = %s AND {c("state")} = 0 AND {c("deck")} = room.id
              AND {_available(c)} AND {c("due")} < %s
            ORDER BY {c("due")} LIMIT room.room
        ) AS one_deck
    ) FROM room WHERE room.room > 0
    """
    rf, cf = Columns(Review), Columns(Card)
    return Statement(
        sql,
        [rf.field("owner"), rf.field("day"), None, None, cf.field("owner"),
         cf.field("buried_until"), cf.field("due"), None, cf.field("owner"),
         cf.field("buried_until"), cf.field("due")],
    )  # fmt: skip


def queue_cards(
    *,
    owner_id: Any,
    now: datetime,
    day_end: datetime,
    learn_until: datetime,
    rooms: dict[UUID, tuple[int, int]],
    every_deck: bool,
    limit: int,
) -> list[Card]:
    """The next `limit` cards, their notes attached: the review cards due before `day_end` in
    (due, id) order, each deck's no further than its review room (`rooms`: {deck: (review
    room, new room)}); then the learning and relearning cards due by `learn_until`; then the
    new cards in (due, ordinal, id) order within each deck's new room. One query."""
    statement = _cards_statement()
    ids = list(rooms)
    values = [ids, [rooms[i][0] for i in ids], [rooms[i][1] for i in ids]]
    values += [owner_id, day_end, now, limit, limit]
    values += [owner_id, learn_until, now, every_deck, limit]
    values += [owner_id, day_end, now, limit, limit, limit]
    cards = statement.fetch(Card, *values)
    for card in cards:
        card.note = Note(id=card.note_id, owner_id=card.owner_id, deck_id=card.deck_id,
                         **{name: getattr(card, f"n_{name}") for name in NOTE_TEXT})  # fmt: skip
    return cards


@functools.cache
def _cards_statement() -> Statement:
    c, n = Columns(Card, "c"), Columns(Note, "n")

    def per_deck(state: int, room: str, order: str, take: str = "%s") -> str:
        return f"""
        SELECT x.* FROM room CROSS JOIN LATERAL (
            SELECT {c("id")} AS id, {c("due")} AS due, {c("ordinal")} AS ordinal FROM {c.table} c
            WHERE {c("owner")} = %s AND {c("state")} = {state} AND {c("deck")} = room.id
              AND {c("due")} < %s AND {_available(c)}
            ORDER BY {order} LIMIT LEAST(room.{room}, %s)
        ) x
        WHERE room.{room} > 0
        ORDER BY {order.replace("c.", "x.")} LIMIT {take}
        """

    by_due = f"{c('due')}, {c('id')}"
    new_order = f"{c('due')}, {c('ordinal')}, {c('id')}"
    extras = ", ".join(f"{n(name)} AS n_{name}" for name in NOTE_TEXT)
    # Each kind is read only as far as the kinds before it left room: a LIMIT of 0 reads
    # nothing, so a queue filled by reviews never reads its learning or new cards.
    left = "GREATEST(0, %s - (SELECT COUNT(*) FROM reviews)"
    sql = f"""
    WITH room AS (
        SELECT * FROM unnest(%s::uuid[], %s::int[], %s::int[]) AS r(id, review_room, new_room)
    ), reviews AS MATERIALIZED ({per_deck(2, "review_room", by_due)}
    ), learning AS MATERIALIZED (
        SELECT {c("id")} AS id, {c("due")} AS due FROM {c.table} c
        WHERE {c("owner")} = %s AND {c("state")} IN (1, 3) AND {c("due")} <= %s
          AND {_available(c)} AND (%s OR {c("deck")} IN (SELECT id FROM room))
        ORDER BY {by_due} LIMIT {left})
    ), new AS MATERIALIZED ({
        per_deck(0, "new_room", new_order, f"{left} - (SELECT COUNT(*) FROM learning))")
    }
    ), picked AS (
        SELECT id, 0 AS kind, ROW_NUMBER() OVER (ORDER BY due, id) AS pos FROM reviews
        UNION ALL
        SELECT id, 1, ROW_NUMBER() OVER (ORDER BY due, id) FROM learning
        UNION ALL
        SELECT id, 2, ROW_NUMBER() OVER (ORDER BY due, ordinal, id) FROM new
        ORDER BY 2, 3 LIMIT %s
    )
    SELECT {c.all()}, {extras}
    FROM picked JOIN {c.table} c ON {c("id")} = picked.id
    JOIN {n.table} n ON {n("id")} = {c("note")}
    ORDER BY picked.kind, picked.pos
    """
    cf = Columns(Card)
    lateral = [cf.field("owner"), cf.field("due"), cf.field("buried_until"), None, None]
    learning = [cf.field("owner"), cf.field("due"), cf.field("buried_until"), None, None]
    return Statement(sql, [None, None, None, *lateral, *learning, *lateral, None])
