"""habits-service benchmark: importing a 10,000-card Anki package, in process on real
PostgreSQL (the work the Celery task does: read the zip and the collection, convert the
scheduling, write decks, notes, cards and reviews in one transaction with bulk inserts).

    .venv/bin/python bench/cards_import.py             # 10,000 cards
    .venv/bin/python bench/cards_import.py --cards 50000
    make bench-cards-import

Its own PostgreSQL database (`--database`, default `cotask_bench_cards_import`, created when
missing) and Redis database (`--redis-db`, 9); no Kafka (events stay in the outbox).

The package is made by genanki (as a user's deck made elsewhere would be): `--cards` cards in
three decks and sub-decks, 70 % basic notes, 10 % basic-and-reversed (two cards each), the rest
cloze notes with two clozes; then, as Anki would have stored them, half the cards get review
scheduling (interval, ease, due day, reps, lapses), a tenth learning, and every studied card
three review-log rows. The figures: the package's size, the phases' wall time (read and convert,
write), the CPU time of the whole import, its queries and rows written. Target: <= 30 s.
"""

from __future__ import annotations

import argparse
import io
import random
import sqlite3
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from http_bench import ROOT, bench_env, ensure_database, setup_django

SERVICE = ROOT / "habits-service"
DAY0 = 1_788_235_200  # col.crt: 2026-09-01 04:00 UTC


def say(line: str) -> None:
    print(line, flush=True)


def make_package(cards: int, seed: int) -> bytes:
    import genanki

    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    decks = [
        genanki.Deck(3_000_001, "Languages::Spanish"),
        genanki.Deck(3_000_002, "Languages::Spanish::Verbs"),
        genanki.Deck(3_000_003, "Science"),
    ]
    made = 0
    i = 0
    while made < cards:
        i += 1
        roll = rng.random()
        deck = decks[i % 3]
        if roll < 0.7 or cards - made < 2:
            note = genanki.Note(
                model=genanki.BASIC_MODEL, fields=[f"word {i}", f"meaning {i}"], tags=["bench"]
            )
            made += 1
        elif roll < 0.8:
            note = genanki.Note(
                model=genanki.BASIC_AND_REVERSED_CARD_MODEL, fields=[f"front {i}", f"back {i}"]
            )
            made += 2
        else:
            note = genanki.Note(
                model=genanki.CLOZE_MODEL,
                fields=[f"The {{{{c1::fact {i}}}}} is {{{{c2::true}}}}", ""],
            )
            made += 2
        deck.add_note(note)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.apkg"
        genanki.Package(decks).write_to_file(str(path))
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        db_path = Path(folder) / "collection.anki2"
        db_path.write_bytes(members["collection.anki2"])
        db = sqlite3.connect(db_path)
        db.execute("UPDATE col SET crt = ?", (DAY0,))
        card_ids = [row[0] for row in db.execute("SELECT id FROM cards ORDER BY id")]
        updates, reviews = [], []
        for cid in card_ids:
            roll = rng.random()
            if roll < 0.5:
                ivl = rng.randint(1, 200)
                ease = rng.choice((2500, 2300, 2650, 1300))
                due = rng.randint(60, 200)
                updates.append((2, 2, due, ivl, ease, 5, rng.randint(0, 2), cid))
            elif roll < 0.6:
                updates.append((1, 1, DAY0 + 86400 * 93, 0, 2500, 1, 0, cid))
            else:
                continue
            start = (DAY0 + 86400 * rng.randint(1, 50)) * 1000
            for n in range(3):
                reviews.append((start + n * 86_400_000 + len(reviews), cid, 3, n + 1, 4000 + n, 1))
        db.executemany(
            "UPDATE cards SET type=?, queue=?, due=?, ivl=?, factor=?, reps=?, lapses=? WHERE id=?",
            updates,
        )
        db.executemany(
            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
            " VALUES (?, ?, -1, ?, ?, 0, 2500, ?, ?)",
            reviews,
        )
        db.commit()
        db.close()
        members["collection.anki2"] = db_path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from habits.card_transfer import plan as planning
    from habits.card_transfer import services
    from habits.card_transfer.models import ImportJob
    from habits.cards.models import Card, Deck, Note, Review

    from cotask_common.users.models import UserRef

    with connection.cursor() as cursor:
        for model in (Review, Card, Note, ImportJob, Deck):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    user, _ = UserRef.objects.get_or_create(
        id=uuid.UUID("01a23e05-0000-7000-8000-00000000bec5"),
        defaults={"username": "bench-cards", "time_zone": "Europe/Kyiv"},
    )

    t0 = time.perf_counter()
    data = make_package(args.cards, args.seed)
    say(f"package: {len(data):,} bytes, made by genanki in {time.perf_counter() - t0:.1f} s")

    # The phases apart (same code the job runs), then the job end to end.
    t0 = time.perf_counter()
    plan = planning.plan_apkg(data, max_notes=1_000_000)
    read_s = time.perf_counter() - t0
    say(f"read and convert: {read_s:.2f} s ({plan.counts['cards']:,} cards)")

    job = services.import_create(user=user, kind="apkg", data=data, filename="bench.apkg")
    cpu0, t0 = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        services.import_run(job_id=job.id)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    job.refresh_from_db()
    if job.status != "done":
        raise SystemExit(f"the import failed: {job.error_code} {job.error_params}")
    counts = job.counts["counts"]
    by_table: dict[str, float] = {}
    for query in queries.captured_queries:
        words = query["sql"].split()
        key = " ".join(words[:3])[:60]
        by_table[key] = by_table.get(key, 0.0) + float(query["time"])
    for key, seconds in sorted(by_table.items(), key=lambda kv: -kv[1])[:6]:
        say(f"  {seconds:6.2f} s  {key}")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "queries": len(queries),
        "counts": counts,
        "read_s": read_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="cotask_bench_cards_import")
    parser.add_argument("--redis-db", type=int, default=9)
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-cards-import"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = bench_env(database=args.database, redis_db=args.redis_db, var_dir=var_dir)
    ensure_database(args.database)
    setup_django(env, SERVICE)
    result = run(args)
    c = result["counts"]
    say(
        f"import of {c['cards']:,} cards ({c['notes']:,} notes, {c['reviews']:,} reviews,"
        f" {c['decks']} decks): {result['wall_s']:.2f} s wall, {result['cpu_s']:.2f} s CPU,"
        f" {result['queries']} queries"
    )
    say(f"target <= 30 s: {'met' if result['wall_s'] <= 30 else 'NOT met'}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
