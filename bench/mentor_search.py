"""social-service mentor search benchmark: the one search endpoint with a text query and the
subject, rating and language filters over 100,000 mentors, on real PostgreSQL, through nginx.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/mentor_search.py               # generate once (kept), then measure
    .venv/bin/python bench/mentor_search.py --reseed      # generate the data again
    .venv/bin/python bench/mentor_search.py --in-process  # no stack: CPU per request and plans
    make bench-mentor-search

Its own PostgreSQL database (`--database`, default `cotask_bench_mentor_search`, created when
missing), Redis database (`--redis-db`, 10) and var folder (`var/bench-mentor-search`); no Kafka.

1. Generate once (COPY): `--mentors` (100,000) people, each with a personal page and a mentor
   profile: 1 to 3 of the curated subjects, 1 or 2 languages (en, uk, ru, de, pl), a bio of 8 to
   16 words in the first language (inflected forms, so stemming matters), 0 to 300 reviews with
   averages around 4.2 and the Bayesian rank the review writes would leave. The search text is
   what `services.set_profile` writes (`services.search_text`); PostgreSQL fills the generated
   search vector. The subject, language and (subject, language) rows carry the match
   `base_score` as `services.sync_match_base` writes it. Then VACUUM ANALYZE.
2. Through nginx (scripts/stack.py: nginx and the six services' web processes, `--web-workers`
   gunicorn processes each (one per core by default) of `--web-threads` (1) thread, no Celery
   workers), `--concurrency` (4) signed-in keep-alive clients for `--seconds` (20), with wrk
   when it is installed, else Python threads (`--python-client`): GET /api/social/search/ with
   `type=mentors`, a text query in English, Russian or Ukrainian, `subject`, `language` and
   `min_rating` (QUERIES, in turn): p50/p99 and requests per second.
3. In this process, one request after another through Django's test client: wall p50/p99 and
   the CPU this process spent per request (steadier than wall time on a shared machine), the
   query count, and, for each query shape, PostgreSQL's planning + execution time summed over
   the statements the request runs (EXPLAIN (ANALYZE, BUFFERS); `--plans` prints them).

Target (issue 21): mentor search p99 <= 30 ms at 4 clients over 100,000 mentors.

Matching learning requests to mentors (the other half of the issue's figure) is measured the
same way, through nginx at 4 clients, by bench/social_learning_match.py (`make
bench-learning-match`); `--matching` only points there.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from http_bench import (
    ROOT,
    bench_process,
    copy_objects,
    copy_rows,
    kept_data,
    percentile,
    stack_for,
    timed_load,
    tokens_for,
)

SERVICE = ROOT / "social-service"
TARGET_MS = 30.0
LANGUAGES = (("en", 0.5), ("uk", 0.25), ("ru", 0.2), ("de", 0.03), ("pl", 0.02))


def _words(text: str) -> list[str]:
    return text.split()


# Words of the bios by language, inflected forms included.
BIO_WORDS = {
    "en": _words(
        "python django projects statistics algebra calculus exams preparation beginners "
        "interviews data analysis machine learning web design grammar conversation physics "
        "chemistry homework practice tutoring patient structured lessons code reviews"
    ),
    "ru": _words(
        "математика математике математику программирование программированию подготовка "
        "подготовке экзамену экзамены школьников студентов задачи задач олимпиады физику "
        "английский разговорный грамматика уроки занятия практика проекты анализ данных"
    ),
    "uk": _words(
        "математика математики математику програмування програмуванню підготовка "
        "підготовки іспиту іспити школярів студентів задачі задач олімпіади фізику "
        "англійська розмовна граматика уроки заняття практика проєкти аналіз даних"
    ),
    "de": _words("mathematik programmierung prüfung vorbereitung grammatik unterricht"),
    "pl": _words("matematyka programowanie egzamin przygotowanie gramatyka lekcje"),
}
# (q, subject, language, min_rating): the shapes a student's search takes.
QUERIES = (
    ("django projects", "python", "en", "4"),
    ("data analysis", "data_science", "en", "4"),
    ("exam preparation", "mathematics", "en", "4.5"),
    ("подготовка к экзамену", "mathematics", "ru", "4"),
    ("задачи", "physics", "ru", "4"),
    ("підготовка до іспиту", "mathematics", "uk", "4"),
    ("програмування", "python", "uk", "4"),
    ("розмовна англійська", "english", "uk", "3.5"),
)


def say(line: str) -> None:
    print(line, flush=True)


def sizes_of(args: argparse.Namespace) -> list[Any]:
    return [args.mentors, 3]  # bump the second number when the generated data changes


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from social.mentors.models import (
        MentorLanguage,
        MentorProfile,
        MentorSubject,
        MentorSubjectLanguage,
        RatingTotals,
    )
    from social.mentors.services import search_text
    from social.mentors.subjects import SUBJECTS
    from social.pages.models import Page

    from cotask_common.ids import uuid7_at
    from cotask_common.users.models import UserRef

    rng = random.Random(21)  # noqa: S311 - reproducible data, not secrets
    now = datetime.now(tz=UTC)
    ms = int(now.timestamp() * 1000)
    with connection.cursor() as cursor:
        for model in (
            MentorSubjectLanguage, MentorLanguage, MentorSubject, MentorProfile, RatingTotals,
            Page, UserRef,
        ):  # fmt: skip
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    n, viewers = args.mentors, 8
    user_ids = [uuid7_at(ms - 10_000_000 + i) for i in range(n + viewers)]
    page_ids = [uuid7_at(ms - 9_000_000 + i) for i in range(n)]
    profile_ids = [uuid7_at(ms - 8_000_000 + i) for i in range(n)]
    copy_objects(
        UserRef,
        (UserRef(id=u, username=f"mentor{i}", display_name=f"Mentor {i}", email_verified=True,
                 updated_at=now) for i, u in enumerate(user_ids)),
        len(user_ids),
        "users",
    )  # fmt: skip
    copy_objects(
        Page,
        (Page(id=page_ids[i], owner_id=user_ids[i], kind="personal", handle=f"mentor{i}",
              handle_key=f"mentor{i}", name=f"Mentor {i}", links=[], tags=[], created_at=now,
              updated_at=now) for i in range(n)),
        n,
        "personal pages",
    )  # fmt: skip
    codes, languages, weights = list(SUBJECTS), [c for c, _ in LANGUAGES], [w for _, w in LANGUAGES]
    prior, weight = 4.0, settings.SOCIAL_MENTOR_RANK_PRIOR_WEIGHT
    subjects_of: list[list[str]] = []
    languages_of: list[list[str]] = []
    base_of: list[float] = []  # selectors.match_base, as services.sync_match_base writes it
    total_reviews = total_sum = 0

    def profiles() -> Any:
        nonlocal total_reviews, total_sum
        for i in range(n):
            subjects = rng.sample(codes, rng.choice((1, 1, 2, 2, 3)))
            spoken = [rng.choices(languages, weights)[0]]
            if rng.random() < 0.4:
                spoken = list(dict.fromkeys([*spoken, rng.choices(languages, weights)[0]]))
            subjects_of.append(subjects)
            languages_of.append(spoken)
            words = BIO_WORDS[spoken[0]]
            bio = " ".join(rng.choice(words) for _ in range(rng.randint(8, 16))).capitalize()
            count = 0 if rng.random() < 0.3 else int(rng.paretovariate(1.2)) % 300
            counts = [0] * 5
            for _ in range(count):
                counts[min(4, max(0, round(rng.gauss(3.2, 0.9))))] += 1
            rating_sum = sum((k + 1) * c for k, c in enumerate(counts))
            total_reviews, total_sum = total_reviews + count, total_sum + rating_sum
            years = rng.randint(0, 30)
            rank = (weight * prior + rating_sum) / (weight + count) if count else 0.0
            base_of.append(min(years, 20) / 10 + rank)
            yield MentorProfile(
                id=profile_ids[i], user_id=user_ids[i], page_id=page_ids[i], subjects=subjects,
                tags=[], languages=spoken, years_experience=years, bio=bio,
                search_text=search_text(names=[f"mentor{i}", f"Mentor {i}"], subjects=subjects,
                                        tags=[], bio=bio),
                reviews_count=count, rating_sum=rating_sum,
                rating_1=counts[0], rating_2=counts[1], rating_3=counts[2], rating_4=counts[3],
                rating_5=counts[4], average=rating_sum / count if count else 0.0,
                rank=rank, last_active_at=now, created_at=now, updated_at=now,
            )  # fmt: skip

    copy_objects(MentorProfile, profiles(), n, "mentor profiles")
    copy_rows(
        MentorSubject._meta.db_table,
        ["profile_id", "code", "base_score"],
        ((profile_ids[i], c, base_of[i]) for i in range(n) for c in subjects_of[i]),
        sum(map(len, subjects_of)),
        "subject rows",
    )
    copy_rows(
        MentorLanguage._meta.db_table,
        ["profile_id", "code", "base_score"],
        ((profile_ids[i], c, base_of[i]) for i in range(n) for c in languages_of[i]),
        sum(map(len, languages_of)),
        "language rows",
    )
    copy_rows(
        MentorSubjectLanguage._meta.db_table,
        ["profile_id", "subject", "language", "base_score", "tags"],
        (
            (profile_ids[i], c, lang, base_of[i], "[]")
            for i in range(n)
            for c in subjects_of[i]
            for lang in languages_of[i]
        ),
        sum(len(subjects_of[i]) * len(languages_of[i]) for i in range(n)),
        "subject-language rows",
    )
    RatingTotals.objects.create(id=1, reviews_count=total_reviews, rating_sum=total_sum)
    with connection.cursor() as cursor:
        for model in (
            UserRef, Page, MentorProfile, MentorSubject, MentorLanguage, MentorSubjectLanguage
        ):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return {"sizes": sizes_of(args), "viewers": [str(u) for u in user_ids[n:]]}


def paths() -> list[str]:
    return [
        "/api/social/search/?"
        + urlencode({"type": "mentors", "q": q, "subject": s, "language": lang, "min_rating": r})
        for q, s, lang, r in QUERIES
    ]


def in_process(
    args: argparse.Namespace, viewers: list[str], tokens: list[str], key: Any, kid: str
) -> None:
    """Wall and CPU per request through Django's test client (no nginx, one at a time), the
    query count, how many mentors each query finds, and the plans."""
    from django.db import connection
    from django.test import Client
    from social.search import selectors

    from cotask_common.security.keys import StaticJWKSProvider, set_key_provider
    from cotask_common.security.signing import public_jwk

    # No auth-service to fetch the key set from: trust the bench's signing key directly.
    set_key_provider(StaticJWKSProvider({"keys": [public_jwk(key.public_key(), kid)]}))
    client = Client()
    urls = paths()

    def get(i: int) -> Any:
        response = client.get(urls[i % len(urls)], HTTP_AUTHORIZATION=f"Bearer {tokens[i % 4]}")
        assert response.status_code == 200, response.content[:300]
        return response

    for i in range(len(urls) * 2):
        get(i)  # warm
    queries: list[str] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(count):
        get(0)
    times: list[float] = []
    cpu_started = time.process_time()
    for i in range(args.requests):
        started = time.perf_counter()
        get(i)
        times.append(time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu_started) / args.requests * 1000
    say(
        f"  in process, 1 client, {args.requests} requests: p50 {percentile(times, 50) * 1000:.1f}"
        f" ms  p99 {percentile(times, 99) * 1000:.1f} ms; CPU {cpu_ms:.2f} ms/request in this"
        f" process (Django, DRF, serializing; PostgreSQL's own time is not in it);"
        f" {len(queries)} SQL statement(s) a request"
    )
    import json

    from django.test.utils import CaptureQueriesContext

    for n, (q, subject, language, rating) in enumerate(QUERIES):
        found = selectors.search_mentors(
            query=q, viewer=None, subject=subject, language=language, min_rating=float(rating)
        ).count()
        # What the request asks of the database: every statement under EXPLAIN ANALYZE,
        # planning + execution summed; the best of five runs (the one others' load on a shared
        # machine disturbed least).
        with CaptureQueriesContext(connection) as captured:
            get(n)
        totals, plans = [], []
        with connection.cursor() as cursor:
            for _ in range(5):
                total, texts = 0.0, []
                for query in captured.captured_queries:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {query['sql']}")
                    plan = cursor.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
                    if args.plans:
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                        texts.append("\n".join(row[0] for row in cursor.fetchall()))
                totals.append(total)
                plans.append("\n\n".join(texts))
        best = totals.index(min(totals))
        say(f"  q={q!r} subject={subject} language={language} min_rating={rating}: "
            f"{found} mentors found; {len(captured.captured_queries)} statement(s), PostgreSQL"
            f" {min(totals):.1f} ms best of 5 (planning + execution), {sorted(totals)[2]:.1f} ms"
            f" median")  # fmt: skip
        if args.plans:
            say("    " + plans[best].replace("\n", "\n    "))


def measure_matching(args: argparse.Namespace) -> None:
    """Matching learning requests to mentors (issue 21) has its own bench, with its own data."""
    raise SystemExit("--matching: run bench/social_learning_match.py (make bench-learning-match)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentors", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400, help="in-process requests")
    parser.add_argument("--database", default="cotask_bench_mentor_search")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--gateway-port", type=int, default=57880)
    parser.add_argument("--service-port-base", type=int, default=57900)
    # One single-threaded process per core: the endpoint is CPU-bound, and more processes (or
    # threads, which queue on the GIL) than cores only lengthen the tail (docs/decisions.md).
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--web-threads", type=int, default=1)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="no stack: in process only")
    parser.add_argument(
        "--python-client", action="store_true", help="load with Python threads even with wrk"
    )
    parser.add_argument("--plans", action="store_true", help="print every EXPLAIN ANALYZE")
    parser.add_argument("--matching", action="store_true", help="see social_learning_match.py")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.matching:
        measure_matching(args)

    var_dir, env, key, kid = bench_process(args, name="bench-mentor-search", service_dir=SERVICE)
    state = kept_data(
        var_dir,
        still_good=lambda state: not args.reseed and state.get("sizes") == sizes_of(args),
        generate=lambda: generate(args),
    )
    tokens = tokens_for(state["viewers"], key, kid)

    say(
        f"\nmentor search benchmark — {args.mentors:,} mentors, {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f} at the start"
    )
    if not args.in_process:
        stack = stack_for(args, name="bench-mentor-search", env=env)
        try:
            r = timed_load(
                port=args.gateway_port, paths=paths(), tokens=tokens, seconds=args.seconds,
                concurrency=args.concurrency, var_dir=var_dir, python_client=args.python_client,
            )  # fmt: skip
            ok = "met" if r["p99"] <= TARGET_MS else "NOT met"
            say(
                f"  search through nginx ({args.web_workers} gunicorn processes x"
                f" {args.web_threads} thread), {args.concurrency} clients ({r['client']}):"
                f" p50 {r['p50']:.1f} ms  p99 {r['p99']:.1f} ms  {r['rps']:.0f} req/s"
                f" (p99 <= {TARGET_MS:.0f} ms: {ok}); load average {os.getloadavg()[0]:.1f}"
                " at the end"
            )
        finally:
            stack.stop()
    in_process(args, state["viewers"], tokens, key, kid)


if __name__ == "__main__":
    main()
