"""social-service learning requests: a request's matching mentors over many mentors.

    eval "$(scripts/infra env)"        # or any DATABASE_URL of a PostgreSQL
    .venv/bin/python bench/social_learning_match.py                   # 100,000 mentors
    .venv/bin/python bench/social_learning_match.py --mentors 20000 --clients 4 --runs 200

Everything lives in its own database (`--database`, default `cotask_bench_match`, created when
missing). It generates `--mentors` users, each with a personal page and a mentor profile (1 to 3
of the 22 curated subjects, 1 or 2 languages, 0 to 30 years, a rating; COPY, once: a second run
with the same size reuses them), runs ANALYZE, then, for a learning request in `python` (about
one mentor in ten teaches it) in Ukrainian with one tag, times what `GET
/api/social/learning-requests/<id>/matches/` asks of the database: the request as the reader
sees it, then the first page of 20 mentors by match score with their reasons, on `--clients`
threads (each its own connection), `--runs` times each. Prints p50, p99 and the plan.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "social-service"
LANGUAGES = ["en", "uk", "ru", "de", "fr", "es", "pl", "it"]
TAGS = ["django", "flask", "asyncio", "pandas", "numpy", "react", "sql", "linux", "git", "docker"]
NOW = "2026-12-01T00:00:00Z"


def setup(args: argparse.Namespace) -> None:
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit('needs PostgreSQL: eval "$(scripts/infra env)" first')
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{args.database}"')
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL", "DATABASE_SCHEMA"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DATABASE_URL": urlunparse(urlparse(url)._replace(path=f"/{args.database}")),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "COTASK_VAR_DIR": str(ROOT / "var" / "bench-match"),
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(SERVICE))
    os.chdir(SERVICE)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(mentors: int) -> None:
    from django.db import connection
    from social.mentors.models import MentorProfile
    from social.mentors.subjects import SUBJECTS

    if MentorProfile.objects.count() == mentors:
        return  # made by an earlier run of the same size
    with connection.cursor() as cursor:
        for table in (
            "social_mentors_learningoffer",
            "social_mentors_learningrequest",
            "social_mentors_mentorsubject",
            "social_mentors_mentorlanguage",
            "social_mentors_mentorprofile",
            "social_pages_page",
            "cotask_users_userref",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
    rng = random.Random(7)  # noqa: S311 - made-up data, not secrets
    codes = list(SUBJECTS)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        users, pages, profiles, subjects, languages = [], [], [], [], []
        for n in range(mentors):
            user_id, page_id, profile_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            username = f"mentor_{n}"
            users.append(
                (user_id, username, username, "user", True, False, "", False, NOW, False, "UTC")
            )
            pages.append(
                (page_id, user_id, "personal", username, username, username, "", "[]", "[]")
            )
            taught = rng.sample(codes, rng.randint(1, 3))
            spoken = rng.sample(LANGUAGES, rng.randint(1, 2))
            tags = rng.sample(TAGS, rng.randint(0, 3))
            count = rng.choice([0, 0, 1, 3, 10, 40, 200])
            average = round(rng.uniform(3.0, 5.0), 2) if count else 0.0
            rank = (10 * 4.2 + average * count) / (10 + count) if count else 0.0
            profiles.append(
                (
                    profile_id,
                    user_id,
                    page_id,
                    json.dumps(taught),
                    json.dumps(tags),
                    json.dumps(spoken),
                    rng.randint(0, 30),
                    count,
                    round(average * count),
                    average,
                    rank,
                )
            )
            subjects.extend((profile_id, code) for code in taught)
            languages.extend((profile_id, code) for code in spoken)
        with raw.copy(
            "COPY cotask_users_userref (id, username, display_name, role, email_verified,"
            " is_banned, ban_reason, is_deleted, updated_at, is_deactivated, time_zone)"
            " FROM STDIN"
        ) as copy:
            for row in users:
                copy.write_row(row)
        with raw.copy(
            "COPY social_pages_page (id, owner_id, kind, handle, handle_key, name, description,"
            " links, tags, is_private, is_blocked, blocked_permanently, block_reason,"
            " owner_banned, followers_count, posts_count, likes_count, comments_count,"
            " created_at, updated_at, owner_inactive) FROM STDIN"
        ) as copy:
            for row in pages:
                copy.write_row((*row, False, False, False, "", False, 0, 0, 0, 0, NOW, NOW, False))
        with raw.copy(
            "COPY social_mentors_mentorprofile (id, user_id, page_id, subjects, tags, languages,"
            " years_experience, reviews_count, rating_sum, average, rank, bio, currency,"
            " availability, rating_1, rating_2, rating_3, rating_4, rating_5, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            for row in profiles:
                copy.write_row((*row, "", "", "", 0, 0, 0, 0, 0, NOW, NOW))
        with raw.copy("COPY social_mentors_mentorsubject (profile_id, code) FROM STDIN") as copy:
            for row in subjects:
                copy.write_row(row)
        with raw.copy("COPY social_mentors_mentorlanguage (profile_id, code) FROM STDIN") as copy:
            for row in languages:
                copy.write_row(row)
        for table in (
            "cotask_users_userref",
            "social_pages_page",
            "social_mentors_mentorprofile",
            "social_mentors_mentorsubject",
            "social_mentors_mentorlanguage",
        ):
            cursor.execute(f"ANALYZE {table}")


def student() -> SimpleNamespace:
    from cotask_common.users.models import UserRef

    ref, _ = UserRef.objects.get_or_create(
        username="bench_student", defaults={"id": uuid.uuid4(), "display_name": "Student"}
    )
    return SimpleNamespace(id=ref.id, role="user", is_authenticated=True)


def one_page(request_id: uuid.UUID, viewer: SimpleNamespace) -> int:
    """What the matches endpoint asks: the request, then 21 rows (the page and one more)."""
    from social.mentors import selectors

    request = selectors.request_for(request_id=request_id, viewer=viewer)
    rows = list(
        selectors.matching_mentors(request=request, viewer=viewer).order_by("-match_score", "-id")[
            :21
        ]
    )
    for profile in rows:
        selectors.match_reasons(profile=profile, request=request)
    return len(rows)


def measure(args: argparse.Namespace) -> None:
    from django.db import connection
    from social.mentors import selectors, services

    viewer = student()
    request = services.create_request(
        author_id=viewer.id, subject="python", language="uk", tags=["django"]
    )
    taught = selectors.mentors(viewer=viewer, subject="python").count()
    rows = selectors.matching_mentors(request=request, viewer=viewer).order_by(
        "-match_score", "-id"
    )[:21]
    print(f"{args.mentors} mentors, {taught} teach python")
    print(rows.explain(analyze=True))
    for _ in range(5):
        one_page(request.id, viewer)  # warm the caches
    timings: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(args.clients)

    def client() -> None:
        mine: list[float] = []
        start.wait()
        for _ in range(args.runs):
            began = time.perf_counter()
            assert one_page(request.id, viewer) == 21
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            timings.extend(mine)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(
        f"matches, first page: {len(timings)} runs on {args.clients} clients in {elapsed:.1f} s: "
        f"p50 {statistics.median(timings):.1f} ms, p99 {p99:.1f} ms, max {timings[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentors", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--database", default="cotask_bench_match")
    args = parser.parse_args()
    setup(args)
    generate(args.mentors)
    measure(args)


if __name__ == "__main__":
    main()
