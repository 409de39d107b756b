"""Hand-written SQL against its ORM equivalent, statement by statement, interleaved.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/hot_sql.py                            # both services, PostgreSQL
    .venv/bin/python bench/hot_sql.py --service social --sqlite  # the embedded default
    .venv/bin/python bench/hot_sql.py --service notifications --only lock

Every statement of a service's `hot_sql.py` (and the kit's shared ones, timed inside that
service) has an `*_orm` twin with the same result (the parity tests say so). For each pair this
runs `--rounds` rounds; in each, both versions run `--calls` times in turn (which goes first
alternates), each inside a transaction rolled back afterwards, so both see the same data. It
prints the median per call of the process's CPU time (what the statements were written to save:
the ORM compiles every query in Python) and of wall time (which adds the database's round trips),
and the SQL's share of the ORM's. A statement is worth keeping by hand when its CPU share is
clearly below 1 across rounds; docs/decisions.md records the figures.

It never touches the test databases: PostgreSQL data lives in `--database` (default
`cotask_bench_hot_sql`, created when missing), SQLite data under var/bench-hot-sql.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent

# A pair: name, then (sql, orm), each called with the call's index.
Pair = tuple[str, Callable[[int], Any], Callable[[int], Any]]


def setup_django(args: argparse.Namespace) -> None:
    service_dir = ROOT / f"{args.service}-service"
    var_dir = ROOT / "var" / f"bench-hot-sql-{args.service}"
    var_dir.mkdir(parents=True, exist_ok=True)
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "CELERY_BROKER_URL", "DATABASE_SCHEMA"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "COTASK_VAR_DIR": str(var_dir),
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "LOG_LEVEL": "WARNING",
        }
    )
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
    else:
        url = os.environ["DATABASE_URL"]
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)
            ).fetchone():
                conn.execute(f'CREATE DATABASE "{args.database}"')
        os.environ["DATABASE_URL"] = urlunparse(urlparse(url)._replace(path=f"/{args.database}"))
    sys.path.insert(0, str(service_dir))
    os.chdir(service_dir)
    from cotask_common.entrypoints import prepare

    prepare()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# ---------------------------------------------------------------------------------------------
# The pairs


def kit_pairs() -> list[Pair]:
    from django.db import connection
    from django.utils import timezone

    from cotask_common.events.models import OutboxEvent, ProcessedEvent
    from cotask_common.events.outbox import write_outbox_row, write_outbox_row_orm
    from cotask_common.events.relay import (
        mark_published,
        mark_published_orm,
        pending_events,
        pending_events_orm,
    )
    from cotask_common.inserts import insert_if_absent, insert_if_absent_orm

    def claim(insert: Callable[..., Any]) -> Callable[[int], Any]:
        def run(i: int) -> Any:
            values = {"event_id": uuid.uuid4(), "type": "bench.x", "handled_at": timezone.now()}
            return insert(ProcessedEvent, values=values, conflict=["event_id"])

        return run

    # The relay's pass over a backlog of one (what it reads at 100 events/s) and its update.
    OutboxEvent.objects.filter(published_at__isnull=True).delete()
    pending = OutboxEvent.objects.create(
        id=uuid.uuid4(), topic="bench.x", key="k", type="bench.x.done", payload={"x": 1}
    )
    using = connection.alias

    def outbox(write: Callable[..., None]) -> Callable[[int], Any]:
        def run(i: int) -> None:
            values = {"id": uuid.uuid4(), "topic": "bench.x", "key": "k", "type": "bench.x.done"}
            write({**values, "payload": {"id": str(values["id"]), "data": {"n": i}}})

        return run

    pairs: list[Pair] = [
        (
            "kit insert_if_absent (event claim)",
            claim(insert_if_absent),
            claim(insert_if_absent_orm),
        ),
        ("kit outbox row + relay wake-up", outbox(write_outbox_row), outbox(write_outbox_row_orm)),
        (
            "kit relay: pending events",
            lambda i: pending_events(100, using),
            lambda i: pending_events_orm(100, using),
        ),
        (
            "kit relay: mark published",
            lambda i: mark_published([pending.id], using),
            lambda i: mark_published_orm([pending.id], using),
        ),
    ]
    return pairs


def social_pairs() -> list[Pair]:
    from django.utils import timezone
    from social import hot_sql
    from social.pages.models import Page, PageDailyStat
    from social.posts.models import Post, PostLike

    from cotask_common.users.models import UserRef

    tag = uuid.uuid4().hex[:8]
    users = [UserRef.objects.create(id=uuid.uuid4(), username=f"b{tag}{i}").id for i in range(1001)]
    reader = users[0]
    page = Page.objects.create(
        owner_id=reader, kind="personal", handle=f"b{tag}", handle_key=f"b{tag}", name="B"
    )
    posts = [Post.objects.create(page=page, text=f"post {i}") for i in range(20)]
    PostLike.objects.bulk_create(
        PostLike(post=post, user_id=reader, created_at=timezone.now()) for post in posts[::2]
    )
    feed_page = [str(post.id) for post in posts]  # a feed page: 20 cards, half of them liked
    today = timezone.now().date()
    PageDailyStat.objects.create(page=page, day=today)
    post = posts[0]
    post.like_count, post.hot_score = 3, 1.5

    def like(insert: Callable[..., bool]) -> Callable[[int], Any]:
        return lambda i: insert(post_id=post.id, user_id=users[1 + i])

    return [
        (
            "social liked_among (20 cards)",
            lambda i: hot_sql.liked_among(user_id=reader, post_ids=feed_page),
            lambda i: hot_sql.liked_among_orm(user_id=reader, post_ids=feed_page),
        ),
        ("social insert_like", like(hot_sql.insert_like), like(hot_sql.insert_like_orm)),
        (
            "social set_post_counts",
            lambda i: hot_sql.set_post_counts(post=post),
            lambda i: hot_sql.set_post_counts_orm(post=post),
        ),
        (
            "social add_to_page",
            lambda i: hot_sql.add_to_page(page_id=page.id, counts={"likes_count": 1}),
            lambda i: hot_sql.add_to_page_orm(page_id=page.id, counts={"likes_count": 1}),
        ),
        (
            "social add_to_day (row exists)",
            lambda i: hot_sql.add_to_day(page_id=page.id, day=today, counts={"likes": 1}),
            lambda i: hot_sql.add_to_day_orm(page_id=page.id, day=today, counts={"likes": 1}),
        ),
        (
            "social add_to_day (new row)",
            lambda i: hot_sql.add_to_day(
                page_id=page.id, day=today - timedelta(days=1 + i), counts={"likes": 1}
            ),
            lambda i: hot_sql.add_to_day_orm(
                page_id=page.id, day=today - timedelta(days=1 + i), counts={"likes": 1}
            ),
        ),
    ]


def notifications_pairs() -> list[Pair]:
    from django.utils import timezone
    from notifications.inbox import hot_sql
    from notifications.inbox.models import Delivery, Notification, Preference, Recipient

    like = "social.like.created"
    reader = Recipient.objects.create(id=uuid.uuid4(), username="reader", language="ru")
    actor = Recipient.objects.create(id=uuid.uuid4(), username="actor", display_name="A")
    Preference.objects.create(recipient=reader, type=like, realtime=False)
    for sequence in range(20):  # an inbox with groups, the newest open
        Notification.objects.create(
            recipient=reader, sequence=sequence, type=like, text="t", group_key=f"g{sequence % 4}"
        )
    grouped = Notification.objects.filter(recipient=reader).order_by("-sequence").first()
    delivery = Delivery.objects.create(event_id=uuid.uuid4(), recipient_id=reader.id)
    since = timezone.now() - timedelta(hours=1)
    s = hot_sql.statements()

    def regroup(save: Callable[[Notification], None]) -> Callable[[int], Any]:
        def run(i: int) -> None:
            assert grouped is not None
            grouped.actor_count, grouped.sequence = 2 + i, 200 + i
            save(grouped)

        return run

    return [
        (
            "notifications lock_recipient",
            lambda i: s.lock_recipient.fetch(Recipient, like, actor.id, reader.id),
            lambda i: hot_sql.lock_recipient_orm(like, actor.id, reader.id),
        ),
        (
            "notifications set_sequence",
            lambda i: s.set_sequence.execute(i, reader.id),
            lambda i: hot_sql.set_sequence_orm(i, reader.id),
        ),
        (
            "notifications open_group",
            lambda i: s.open_group.fetch(Notification, reader.id, "g3", True, since),
            lambda i: hot_sql.open_group_orm(reader.id, "g3", True, since),
        ),
        ("notifications regroup", regroup(hot_sql.regroup), regroup(hot_sql.regroup_orm)),
        (
            "notifications link_delivery",
            lambda i: s.link_delivery.execute(grouped.id, delivery.id),  # type: ignore[union-attr]
            lambda i: hot_sql.link_delivery_orm(grouped.id, delivery.id),  # type: ignore[union-attr]
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Timing


def time_pair(pair: Pair, *, rounds: int, calls: int) -> dict[str, Any]:
    from django.db import transaction

    name, sql, orm = pair
    samples: dict[str, dict[str, list[float]]] = {
        "sql": {"cpu": [], "wall": []},
        "orm": {"cpu": [], "wall": []},
    }
    for round_ in range(rounds + 1):  # round 0 warms both up and is not counted
        order = [("sql", sql), ("orm", orm)]
        if round_ % 2:
            order.reverse()
        for label, function in order:
            with transaction.atomic():
                cpu, wall = time.process_time(), time.perf_counter()
                for i in range(calls):
                    function(i)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                transaction.set_rollback(True)
            if round_:
                samples[label]["cpu"].append(cpu / calls * 1e6)
                samples[label]["wall"].append(wall / calls * 1e6)
    result: dict[str, Any] = {"name": name}
    for label in ("sql", "orm"):
        for kind in ("cpu", "wall"):
            result[f"{label}_{kind}"] = statistics.median(samples[label][kind])
    # The share per round (interleaved neighbours), then its median: steadier than a ratio of
    # medians on a machine others share.
    for kind in ("cpu", "wall"):
        shares = [
            s / o for s, o in zip(samples["sql"][kind], samples["orm"][kind], strict=True) if o
        ]
        result[f"share_{kind}"] = statistics.median(shares)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--service", choices=["social", "notifications"], help="one of them (default: both)"
    )
    parser.add_argument("--sqlite", action="store_true", help="the embedded default's SQLite")
    parser.add_argument("--database", default="cotask_bench_hot_sql")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--only", default="", help="pairs whose name contains this")
    args = parser.parse_args()
    if not args.sqlite and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print('skipped: needs PostgreSQL (eval "$(scripts/infra env)"), or --sqlite')
        return
    if args.service is None:  # each service is its own Django project: one process each
        for service in ("social", "notifications"):
            command = [sys.executable, __file__, "--service", service, *sys.argv[1:]]
            subprocess.run(command, check=True)
        return
    setup_django(args)
    from django.db import connection, transaction

    with transaction.atomic():  # the fixtures of this run are not kept
        pairs = social_pairs() if args.service == "social" else notifications_pairs()
        pairs += kit_pairs()
        pairs = [pair for pair in pairs if args.only in pair[0]]
        print(
            f"{connection.vendor}, {args.rounds} rounds x {args.calls} calls per version;"
            " median us per call (CPU of this process / wall), SQL's share of the ORM's",
            flush=True,
        )
        for pair in pairs:
            r = time_pair(pair, rounds=args.rounds, calls=args.calls)
            print(
                f"  {r['name']:<38} SQL {r['sql_cpu']:7.1f} / {r['sql_wall']:7.1f}"
                f"   ORM {r['orm_cpu']:7.1f} / {r['orm_wall']:7.1f}"
                f"   share CPU {r['share_cpu']:.2f}  wall {r['share_wall']:.2f}",
                flush=True,
            )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
