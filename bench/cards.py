"""habits-service cards benchmark: answering a review through nginx at 4 clients, today's due
queue of a 50,000-card collection, and a parameter fit on 20,000 reviews, on real PostgreSQL.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/cards.py                 # everything (data kept for reuse)
    .venv/bin/python bench/cards.py --in-process    # no stack: the queue and the fit only
    .venv/bin/python bench/cards.py --reseed        # generate the data again
    make bench-cards

Its own PostgreSQL database (`--database`, default `cotask_bench_cards`), Redis database
(`--redis-db`, 13) and var folder (`var/bench-cards`); no Kafka (events stay in the outbox).

1. Generate once (COPY): one person with `--collection` cards in 10 decks (70 % review cards
   due from 3 days ago to a year ahead, as in a mature collection; 1 % learning; 29 % new)
   and `--fit-reviews` reviews of their review cards in the past; `--answer-users` people
   with `--answer-cards` new cards each.
2. Answer: the stack (nginx + web processes) and `--concurrency` (4) clients POST "good" to
   their own cards for `--seconds` (each answer on PostgreSQL: one read of the card with its
   deck, note and the person's profile, the fsrs package, a balancing count when the interval
   is fuzzed, and one write of the card, its review row and the profile; `habits.cards.hot_sql`).
3. Queue: `selectors.due_queue` of the big collection in this process (`--queue-runs` times,
   with its query count: three statements on PostgreSQL, `habits.cards.hot_sql`), and the
   endpoint through nginx from one client.
4. Fit: `optimization.optimize_for` of the big collection's person (reads the reviews, fits
   with fsrs-rs-python, evaluates the loss before and after).

Targets: answer p99 <= 20 ms at 4 clients; the queue <= 20 ms; the fit <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from http_bench import (
    ROOT,
    bench_process,
    copy_objects,
    kept_data,
    load,
    percentile,
    stack_for,
    tokens_for,
)

from cotask_common.ids import uuid7_at

SERVICE = ROOT / "habits-service"


def say(line: str) -> None:
    print(line, flush=True)


def sizes_of(args: argparse.Namespace) -> list[Any]:
    return [
        args.collection,
        args.fit_reviews,
        args.answer_users,
        args.answer_cards,
        datetime.now(tz=UTC).date().isoformat(),
    ]


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from habits.cards.models import Card, CardProfile, CardState, Deck, Note, Review

    from cotask_common.users.models import UserRef

    rng = random.Random(11)  # noqa: S311 - reproducible data, not secrets
    now = datetime.now(tz=UTC)
    ms = int(now.timestamp() * 1000)
    with connection.cursor() as cursor:
        for model in (Review, Card, Note, Deck, CardProfile, UserRef):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    people = 1 + args.answer_users
    user_ids = [uuid7_at(ms - 10_000_000 + i) for i in range(people)]
    copy_objects(
        UserRef,
        (
            UserRef(id=u, username=f"bench{i}", time_zone="Europe/Kyiv")
            for i, u in enumerate(user_ids)
        ),
        people,
        "users",
    )
    big = user_ids[0]
    decks = [
        Deck(id=uuid7_at(ms - 9_000_000 + i), owner_id=big, name=f"deck {i}") for i in range(10)
    ]
    decks += [
        Deck(id=uuid7_at(ms - 8_000_000 + i), owner_id=u, name="answers", fuzz=True)
        for i, u in enumerate(user_ids[1:])
    ]
    copy_objects(Deck, decks, len(decks), "decks")

    total = args.collection + args.answer_users * args.answer_cards
    note_ids = [uuid7_at(ms - 7_000_000 + i) for i in range(total)]
    owners = [big] * args.collection + [u for u in user_ids[1:] for _ in range(args.answer_cards)]
    deck_of = [decks[i % 10].id for i in range(args.collection)] + [
        decks[10 + j].id for j in range(args.answer_users) for _ in range(args.answer_cards)
    ]
    copy_objects(
        Note,
        (Note(id=note_ids[i], owner_id=owners[i], deck_id=deck_of[i], front=f"q{i}", back="a")
         for i in range(total)),
        total,
        "notes",
    )  # fmt: skip
    today = now.date()

    def card(i: int) -> Card:
        c = Card(id=uuid7_at(ms - 6_000_000 + i), owner_id=owners[i], deck_id=deck_of[i],
                 note_id=note_ids[i], due=now)  # fmt: skip
        if i >= args.collection:
            return c
        roll = rng.random()
        if roll < 0.7:
            offset = rng.randint(-3, 365)
            c.state, c.stability, c.difficulty = CardState.REVIEW, rng.uniform(1, 200), 5.0
            c.due = now + timedelta(days=offset)
            c.due_day = today + timedelta(days=offset)
            c.last_review = c.due - timedelta(days=max(1, int(c.stability)))
        elif roll < 0.71:
            c.state, c.step, c.stability, c.difficulty = CardState.LEARNING, 1, 1.0, 5.0
            c.due = now + timedelta(minutes=rng.randint(-600, 600))
            c.last_review = now - timedelta(hours=1)
        return c

    cards = [card(i) for i in range(total)]
    copy_objects(Card, cards, total, "cards")
    review_cards = [c for c in cards[: args.collection] if c.state == 2][:2000]
    per_card = max(1, args.fit_reviews // max(1, len(review_cards)))

    def reviews() -> Any:
        n = 0
        for c in review_cards:
            day = today - timedelta(days=400)
            for k in range(per_card):
                day += timedelta(days=rng.choice([1, 2, 4, 7, 12, 20]))
                at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                n += 1
                yield Review(id=uuid7_at(ms - 5_000_000 + n), owner_id=big, card_id=c.id,
                             deck_id=c.deck_id, rating=1 if rng.random() < 0.12 else 3,
                             state=2 if k else 0, reviewed_at=at, day=day)  # fmt: skip

    copy_objects(Review, reviews(), per_card * len(review_cards), "reviews")
    with connection.cursor() as cursor:
        for model in (UserRef, Deck, Note, Card, Review):
            # VACUUM too: the visibility map lets the counts read the index alone.
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    answer_cards = cards[args.collection :]
    return {
        "sizes": sizes_of(args),
        "big": str(big),
        "answer_owners": [str(c.owner_id) for c in answer_cards],
        "answer_cards": [str(c.id) for c in answer_cards],
    }


def measure_queue(args: argparse.Namespace, state: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from habits.cards import selectors
    from habits.cards.models import Card

    from cotask_common.users.models import UserRef

    user = UserRef.objects.get(id=state["big"])
    for _ in range(5):
        selectors.due_queue(user=user, limit=10)
    times = []
    for _ in range(args.queue_runs):
        started = time.perf_counter()
        queue = selectors.due_queue(user=user, limit=10)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        selectors.due_queue(user=user, limit=10)
    return {
        "p50": percentile(times, 50) * 1000,
        "p99": percentile(times, 99) * 1000,
        "queries": len(ctx.captured_queries),
        "counts": queue.counts,
        "cards": Card.objects.filter(owner_id=user.id).count(),
    }


def measure_fit(state: dict[str, Any]) -> dict[str, Any]:
    from habits.cards import optimization
    from habits.cards.models import CardProfile, Review

    CardProfile.objects.filter(owner_id=state["big"]).update(parameters=None, optimized_reviews=0)
    started = time.perf_counter()
    status = optimization.optimize_for(user_id=state["big"])
    elapsed = time.perf_counter() - started
    profile = CardProfile.objects.get(owner_id=state["big"])
    return {
        "seconds": elapsed,
        "status": status,
        "reviews": Review.objects.filter(owner_id=state["big"]).count(),
        "before": profile.loss_before,
        "after": profile.loss_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collection", type=int, default=50_000)
    parser.add_argument("--fit-reviews", type=int, default=20_000)
    parser.add_argument("--answer-users", type=int, default=40)
    parser.add_argument("--answer-cards", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--queue-runs", type=int, default=100)
    parser.add_argument("--database", default="cotask_bench_cards")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--gateway-port", type=int, default=57680)
    parser.add_argument("--service-port-base", type=int, default=57700)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    var_dir, env, key, kid = bench_process(args, name="bench-cards", service_dir=SERVICE)
    state = kept_data(
        var_dir,
        still_good=lambda state: not args.reseed and state.get("sizes") == sizes_of(args),
        generate=lambda: generate(args),
    )

    say(
        f"\ncards benchmark — {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f} at the start"
    )
    if not args.in_process:
        tokens = tokens_for(state["answer_owners"], key, kid)
        paths = [f"/api/habits/cards/cards/{c}/answer/" for c in state["answer_cards"]]
        body = json.dumps({"rating": "good", "duration_ms": 3000}).encode()
        stack = stack_for(args, name="bench-cards", env=env)
        try:
            common = {
                "port": args.gateway_port,
                "method": "POST",
                "paths": paths,
                "tokens": tokens,
                "body": body,
            }
            load(total=200, concurrency=args.concurrency, **common)  # warm
            a = load(total=10**9, concurrency=args.concurrency, seconds=args.seconds, **common)
            ok = "met" if a["p99"] <= 20 else "NOT met"
            say(
                f"  answer POST through nginx, {args.concurrency} clients: p50 {a['p50']:.1f} ms"
                f"  p99 {a['p99']:.1f} ms  {a['rps']:.0f} req/s"
                f" ({a['count']} requests; p99 <= 20 ms: {ok})"
            )
            big_token = tokens_for([state["big"]], key, kid)
            q = load(port=args.gateway_port, method="GET", paths=["/api/habits/cards/queue/"],
                     tokens=big_token, total=50, concurrency=1)  # fmt: skip
            say(
                f"  queue endpoint through nginx, 1 client: p50 {q['p50']:.1f} ms"
                f"  p99 {q['p99']:.1f} ms"
            )
        finally:
            stack.stop()
    q = measure_queue(args, state)
    ok = "met" if q["p99"] <= 20 else "NOT met"
    say(
        f"  due queue of {q['cards']:,} cards in process ({q['queries']} queries):"
        f" p50 {q['p50']:.1f} ms"
        f"  p99 {q['p99']:.1f} ms (<= 20 ms: {ok}); counts {q['counts']}"
    )
    f = measure_fit(state)
    ok = "met" if f["seconds"] <= 60 else "NOT met"
    say(
        f"  parameter fit on {f['reviews']:,} reviews: {f['seconds']:.1f} s (<= 60 s: {ok}),"
        f" {f['status']}, log loss {f['before']} -> {f['after']}"
    )


if __name__ == "__main__":
    main()
