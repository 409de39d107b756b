"""Reads: the person's decks, notes and cards, today's due queue, the public deck search and
the statistics. Each is a fixed number of queries whatever the size of the collection (the
queue and the statistics group in the database, on the (owner, …) indexes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from habits.cards import hot_sql, scheduling
from habits.cards.models import Card, CardProfile, CardState, Deck, Note, Rating, Review
from habits.cards.services import DeckNotFound, deck_of, profile_for, zone_of
from habits.tracking.evaluation import zone_for

LEARN_AHEAD = timedelta(minutes=20)


def decks_of(*, user: Any, parent: Any = "any") -> QuerySet[Deck]:
    decks = Deck.objects.filter(owner_id=user.id)
    if parent is None:
        decks = decks.filter(parent__isnull=True)
    elif parent != "any":
        decks = decks.filter(parent_id=deck_of(user=user, deck_id=parent).id)
    return decks


def notes_of(*, user: Any, deck_id: Any) -> QuerySet[Note]:
    deck = deck_of(user=user, deck_id=deck_id)
    return Note.objects.filter(deck=deck).prefetch_related("cards")


def cards_of(*, user: Any, deck_id: Any) -> QuerySet[Card]:
    deck = deck_of(user=user, deck_id=deck_id)
    return Card.objects.filter(deck=deck).select_related("note")


def reviews_of(*, user: Any, card_id: Any = None) -> QuerySet[Review]:
    reviews = Review.objects.filter(owner_id=user.id)
    if card_id is not None:
        reviews = reviews.filter(card_id=card_id)
    return reviews


def public_decks(*, query: str = "", tag: str = "") -> QuerySet[Deck]:
    decks = Deck.objects.filter(is_public=True).select_related("owner")
    for word in query.lower().split()[:5]:
        decks = decks.filter(search_text__contains=word)
    if tag:
        decks = decks.filter(search_text__contains=tag.strip().lower())
    return decks.annotate(note_count=Count("notes"))


# ---------------------------------------------------------------------------------------------
# The day


@dataclass
class Clock:
    zone: Any
    hour: int
    now: datetime
    today: date
    day_end: datetime


def clock_for(
    *, user: Any, profile: CardProfile | None = None, now: datetime | None = None
) -> Clock:
    now = now or timezone.now()
    profile = profile or profile_for(user_id=user.id)
    zone = zone_for(user=user)
    hour = profile.day_start_hour
    today = scheduling.study_day(now, zone=zone, day_start_hour=hour)
    end = scheduling.day_start(today + timedelta(days=1), zone=zone, day_start_hour=hour)
    return Clock(zone=zone, hour=hour, now=now, today=today, day_end=end)


@dataclass
class Queue:
    today: date
    counts: dict[str, int]
    cards: list[Card] = field(default_factory=list)


def due_queue(
    *, user: Any, deck_id: Any = None, limit: int = 10, now: datetime | None = None
) -> Queue:
    """Today's study: counts of new / learning / review cards within each deck's daily limits
    and the next `limit` cards to show (due reviews first, then learning, then new).

    On PostgreSQL three statements (`hot_sql`: the profile, zone and decks; the counts; the
    cards with their notes); the ORM code below is their twin, and SQLite's path."""
    if hot_sql.enabled():
        queue = _due_queue_sql(user=user, deck_id=deck_id, limit=limit, now=now)
        if queue is not None:
            return queue
    clock = clock_for(user=user, now=now)
    decks = {
        d["id"]: d
        for d in Deck.objects.filter(owner_id=user.id).values(
            "id", "parent_id", "new_per_day", "reviews_per_day"
        )
    }
    if deck_id is not None:
        wanted = _subtree({i: d["parent_id"] for i, d in decks.items()}, deck_id)
        decks = {i: d for i, d in decks.items() if i in wanted}
    if not decks:
        return Queue(today=clock.today, counts={"new": 0, "learning": 0, "review": 0})

    done: dict[tuple[Any, int], int] = {}
    for row in (
        Review.objects.filter(owner_id=user.id, day=clock.today)
        .values("deck_id", "state")
        .annotate(n=Count("id"))
    ):
        done[(row["deck_id"], row["state"])] = row["n"]
    left_new = {
        i: max(0, d["new_per_day"] - done.get((i, CardState.NEW), 0)) for i, d in decks.items()
    }
    left_review = {
        i: max(0, d["reviews_per_day"] - done.get((i, CardState.REVIEW), 0))
        for i, d in decks.items()
    }

    available = Card.objects.filter(owner_id=user.id, suspended=False).filter(
        Q(buried_until__isnull=True) | Q(buried_until__lte=clock.now)
    )
    if deck_id is not None:
        available = available.filter(deck_id__in=decks)
    due = {}
    for row in (
        # COUNT(*): every column read is in card_state_due_idx: counted from the index. New
        # cards are counted apart, only as far as each deck's room (`_new_available`).
        available.filter(
            due__lt=clock.day_end,
            state__in=(CardState.LEARNING, CardState.REVIEW, CardState.RELEARNING),
        )
        .values("deck_id", "state")
        .annotate(n=Count("*"))
    ):
        due[(row["deck_id"], row["state"])] = row["n"]
    for i, n in _new_available(available.filter(due__lt=clock.day_end), left_new).items():
        due[(i, CardState.NEW)] = n
    counts = {
        "review": sum(min(due.get((i, CardState.REVIEW), 0), left_review[i]) for i in decks),
        "learning": sum(
            due.get((i, CardState.LEARNING), 0) + due.get((i, CardState.RELEARNING), 0)
            for i in decks
        ),
        "new": sum(min(due.get((i, CardState.NEW), 0), left_new[i]) for i in decks),
    }
    queue = Queue(today=clock.today, counts=counts)
    if limit <= 0:
        return queue

    def within(left: dict[Any, int], state: int, order: tuple[str, ...], want: int) -> list[Card]:
        """The first `want` cards in `order` of the decks with room left, no deck past its
        room. One `LIMIT want` query on the (owner, state, due) index; only when a deck ran out
        of room in a batch is the rest fetched again without it (once per deck at most; one
        query in the common case), so no ranking of a whole backlog is ever needed."""
        room = {i: n for i, n in left.items() if n > 0}
        taken: list[Card] = []
        while room and len(taken) < want:
            asked = want - len(taken)
            batch = list(
                available.filter(state=state, deck_id__in=room, due__lt=clock.day_end)
                .exclude(id__in=[c.id for c in taken])
                .select_related("note")
                .order_by(*order, "id")[:asked]
            )
            for card in batch:
                if room.get(card.deck_id, 0) > 0:
                    taken.append(card)
                    room[card.deck_id] -= 1
            room = {i: n for i, n in room.items() if n > 0}
            if len(batch) < asked:  # nothing more is due in these decks
                break
        return taken[:want]

    cards = within(left_review, CardState.REVIEW, ("due",), limit)
    if len(cards) < limit:
        cards += list(
            available.filter(
                state__in=(CardState.LEARNING, CardState.RELEARNING),
                due__lte=clock.now + LEARN_AHEAD,
            )
            .select_related("note")
            .order_by("due", "id")[: limit - len(cards)]
        )
    if len(cards) < limit:
        cards += within(left_new, CardState.NEW, ("due", "ordinal"), limit - len(cards))
    queue.cards = cards[:limit]
    return queue


def _subtree(parents: dict[Any, Any], deck_id: Any) -> set[Any]:
    """Deck `deck_id` and its sub-decks, from {deck: its parent} (404 if not one of them)."""
    root = scheduling_uuid(deck_id)
    if root not in parents:
        raise DeckNotFound()
    wanted = {root}
    grew = True
    while grew:  # in memory: the decks are already loaded
        more = {i for i, parent in parents.items() if parent in wanted} - wanted
        wanted |= more
        grew = bool(more)
    return wanted


def _due_queue_sql(*, user: Any, deck_id: Any, limit: int, now: datetime | None) -> Queue | None:
    """`due_queue` in three statements; None when the person has no profile yet (the ORM path
    makes it)."""
    now = now or timezone.now()
    setup = hot_sql.queue_setup(owner_id=user.id)
    if setup.day_start_hour is None:
        return None
    zone, hour = zone_of(user, setup.time_zone), setup.day_start_hour
    today = scheduling.study_day(now, zone=zone, day_start_hour=hour)
    day_end = scheduling.day_start(today + timedelta(days=1), zone=zone, day_start_hour=hour)
    decks = setup.decks
    if deck_id is not None:
        wanted = _subtree({i: d[0] for i, d in decks.items()}, deck_id)
        decks = {i: d for i, d in decks.items() if i in wanted}
    if not decks:
        return Queue(today=today, counts={"new": 0, "learning": 0, "review": 0})
    every_deck = deck_id is None
    done: dict[tuple[Any, int], int] = {}
    due: dict[tuple[Any, int], int] = {}
    for kind, deck, state, n in hot_sql.queue_counts(
        owner_id=user.id, today=today, now=now, day_end=day_end, decks=decks,
        every_deck=every_deck,
    ):  # fmt: skip
        (done if kind == "done" else due)[(deck, state)] = n
    left_new = {i: max(0, d[1] - done.get((i, CardState.NEW), 0)) for i, d in decks.items()}
    left_review = {i: max(0, d[2] - done.get((i, CardState.REVIEW), 0)) for i, d in decks.items()}
    counts = {
        "review": sum(min(due.get((i, CardState.REVIEW), 0), left_review[i]) for i in decks),
        "learning": sum(
            due.get((i, CardState.LEARNING), 0) + due.get((i, CardState.RELEARNING), 0)
            for i in decks
        ),
        "new": sum(min(due.get((i, CardState.NEW), 0), left_new[i]) for i in decks),
    }
    queue = Queue(today=today, counts=counts)
    if limit > 0:
        queue.cards = hot_sql.queue_cards(
            owner_id=user.id,
            now=now,
            day_end=day_end,
            learn_until=now + LEARN_AHEAD,
            rooms={i: (left_review[i], left_new[i]) for i in decks},
            every_deck=every_deck,
            limit=limit,
        )
    return queue


def _new_available(available: QuerySet[Card], room: dict[Any, int]) -> dict[Any, int]:
    """How many new cards each deck can still show today: its new cards, counted no further
    than its room. One query on PostgreSQL (a UNION ALL of one `LIMIT room` read per deck on
    (owner, state, due)); databases that refuse LIMIT inside a UNION (SQLite, the embedded
    default) read deck by deck. A deck of 15,000 new cards costs its room (20 rows), not
    15,000."""
    from django.db import connection

    reads = [
        available.filter(state=CardState.NEW, deck_id=i)
        .order_by("due")
        .values_list("deck_id", flat=True)[:n]
        for i, n in room.items()
        if n > 0
    ]
    if not reads:
        return {}
    out: dict[Any, int] = {}
    if connection.features.supports_slicing_ordering_in_compound and len(reads) > 1:
        rows: Any = reads[0].union(*reads[1:], all=True)
        for deck in rows:
            out[deck] = out.get(deck, 0) + 1
        return out
    for read in reads:
        for deck in read:
            out[deck] = out.get(deck, 0) + 1
    return out


def scheduling_uuid(value: Any) -> Any:
    from habits.cards.services import _uuid

    uid = _uuid(value)
    if uid is None:
        raise DeckNotFound()
    return uid


# ---------------------------------------------------------------------------------------------
# Statistics

STABILITY_BUCKETS = ((0, 1), (1, 7), (7, 30), (30, 90), (90, 365), (365, None))


def statistics(
    *, user: Any, now: datetime | None = None, year: int | None = None
) -> dict[str, Any]:
    """True retention per period, a 30-day forecast of due reviews, cards by state, the
    stability distribution, time spent and a year's review heatmap: seven grouped queries."""
    clock = clock_for(user=user, now=now)
    today = clock.today
    reviews = Review.objects.filter(owner_id=user.id)

    periods = {"day": 1, "week": 7, "month": 30, "year": 365}
    aggregates: dict[str, Any] = {}
    for name, days in periods.items():
        since = today - timedelta(days=days - 1)
        in_period = Q(day__gte=since, state=CardState.REVIEW)
        aggregates[f"{name}_total"] = Count("id", filter=in_period)
        aggregates[f"{name}_passed"] = Count("id", filter=in_period & ~Q(rating=Rating.AGAIN))
        aggregates[f"{name}_ms"] = Sum("duration_ms", filter=Q(day__gte=since))
        aggregates[f"{name}_count"] = Count("id", filter=Q(day__gte=since))
    aggregates["all_ms"] = Sum("duration_ms")
    aggregates["all_count"] = Count("id")
    row = reviews.aggregate(**aggregates)
    retention = {
        name: {
            "reviews": row[f"{name}_total"],
            "passed": row[f"{name}_passed"],
            "retention": (row[f"{name}_passed"] / row[f"{name}_total"])
            if row[f"{name}_total"]
            else None,
        }
        for name in periods
    }
    time_spent = {
        name: {"reviews": row[f"{name}_count"], "ms": row[f"{name}_ms"] or 0} for name in periods
    } | {"all": {"reviews": row["all_count"], "ms": row["all_ms"] or 0}}

    cards = Card.objects.filter(owner_id=user.id)
    last = today + timedelta(days=29)
    forecast_rows = (
        cards.filter(state=CardState.REVIEW, suspended=False, due_day__lte=last)
        .values("due_day")
        .annotate(n=Count("id"))
    )
    forecast = {today + timedelta(days=i): 0 for i in range(30)}
    for f in forecast_rows:
        if f["due_day"] is not None:
            forecast[max(f["due_day"], today)] += f["n"]  # overdue counts today

    state_rows = cards.values("state").annotate(
        n=Count("id"), s=Count("id", filter=Q(suspended=True))
    )
    by_state = {label: 0 for label in ("new", "learning", "review", "relearning")}
    suspended = 0
    for s in state_rows:
        by_state[CardState(s["state"]).label] = s["n"]
        suspended += s["s"]

    bucket_aggregates = {}
    for low, high in STABILITY_BUCKETS:
        cond = Q(stability__gte=low) if high is None else Q(stability__gte=low, stability__lt=high)
        bucket_aggregates[f"b{low}"] = Count("id", filter=cond)
    brow = cards.filter(stability__isnull=False).aggregate(**bucket_aggregates)
    stability = [
        {"from_days": low, "to_days": high, "cards": brow[f"b{low}"]}
        for low, high in STABILITY_BUCKETS
    ]

    year = year or today.year
    heat = (
        reviews.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return {
        "today": today,
        "retention": retention,
        "forecast": [{"day": d, "reviews": n} for d, n in sorted(forecast.items())],
        "cards_by_state": by_state | {"suspended": suspended},
        "stability": stability,
        "time_spent": time_spent,
        "heatmap": {"year": year, "days": [{"day": r["day"], "reviews": r["n"]} for r in heat]},
    }
