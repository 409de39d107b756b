"""social-service search: the query plans (EXPLAIN ANALYZE) on a table of realistic size.

    eval "$(scripts/infra env)"        # or any DATABASE_URL of a PostgreSQL with pg_trgm
    .venv/bin/python bench/social_search_plan.py                    # 50,000 pages and users
    .venv/bin/python bench/social_search_plan.py --rows 200000 --query "study group"

Everything lives in its own database (`--database`, default `cotask_bench_search`, created when
missing, the service's usual `social` schema inside). It generates `--rows` users, each with a
personal page (random names, descriptions and tags; COPY, once: a second run with the same size
reuses them), runs ANALYZE, then prints for a signed-in user's search of pages and of users, as
`GET /api/social/search/` runs them (first page of 20):

1. the plan with the search indexes (migration `social_search.0001_search_indexes`);
2. the same query with those indexes dropped (inside a transaction that is rolled back), which
   is what every search cost before they existed: a sequential scan of every page or user.
"""

from __future__ import annotations

import argparse
import random
import uuid
from types import SimpleNamespace

from http_bench import ROOT, copy_objects, setup_in_process

SERVICE = ROOT / "social-service"
# Names are mostly made-up words (as real names and handles are: varied), with a few common
# topic words mixed in, so a search matches a small share of the rows, as it does in practice.
WORDS = [
    "math",
    "club",
    "study",
    "group",
    "chess",
    "physics",
    "history",
    "art",
    "music",
    "coding",
    "python",
    "django",
    "garden",
    "running",
    "yoga",
    "cooking",
    "travel",
    "books",
    "poetry",
    "science",
    "biology",
    "chemistry",
    "languages",
    "english",
    "spanish",
    "photography",
    "design",
    "film",
    "theatre",
    "robots",
    "astronomy",
    "climbing",
    "cycling",
    "notes",
    "exams",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ne",
    "to",
    "vi",
    "sa",
    "pu",
    "de",
    "ri",
    "mo",
    "lu",
    "ta",
    "ze",
    "ko",
    "ni",
    "fa",
    "be",
    "go",
    "da",
    "re",
    "li",
    "no",
    "su",
    "ve",
    "yo",
    "zu",
    "ha",
    "je",
    "wi",
    "xo",
    "qua",
    "bri",
    "ste",
    "tra",
    "plo",
    "gri",
]


def setup(args: argparse.Namespace) -> None:
    setup_in_process(database=args.database, service_dir=SERVICE, var_name="bench-search")


def _word(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(WORDS)
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def _name(rng: random.Random, words: int) -> str:
    return " ".join(_word(rng) for _ in range(words)).title()


def generate(rows: int) -> None:
    from django.db import connection
    from social.pages.models import Page

    from cotask_common.users.models import UserRef

    if Page.objects.count() == rows:
        return  # made by an earlier run of the same size
    Page.objects.all().delete()
    UserRef.objects.all().delete()
    rng = random.Random(7)  # noqa: S311 - made-up names, not secrets
    users, pages = [], []
    for n in range(rows):
        username = f"{_word(rng)}_{n}"
        user = UserRef(id=uuid.uuid4(), username=username, display_name=_name(rng, 2))
        user.email_verified = True
        users.append(user)
        tags = sorted({_word(rng) for _ in range(3)})
        pages.append(
            Page(
                owner_id=user.id,
                kind="personal",
                handle=username,
                handle_key=username.lower(),
                name=_name(rng, 3),
                description=" ".join(_word(rng) for _ in range(12)),
                tags=tags,
            )
        )
    # Through the ORM's own columns and defaults: a field added later needs no change here.
    copy_objects(UserRef, users, len(users), "users")
    copy_objects(Page, pages, len(pages), "pages")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cotask_users_userref")
        cursor.execute("ANALYZE social_pages_page")


def plans(query: str) -> None:
    from django.db import connection, transaction
    from social.search import selectors

    from cotask_common.users.models import UserRef

    migration = __import__("social.search.migrations.0001_search_indexes", fromlist=["INDEXES"])
    viewer_ref = UserRef.objects.order_by("id").first()
    viewer = SimpleNamespace(id=viewer_ref.id, role="user", is_authenticated=True)
    searches = {
        "pages": lambda: selectors.search_pages(query=query, viewer=viewer),
        "users": lambda: selectors.search_users(query=query, viewer=viewer),
    }
    for kind, search in searches.items():
        for label in ("with the search indexes", "without them (as before)"):
            with transaction.atomic():
                if label.startswith("without"):
                    with connection.cursor() as cursor:
                        for name in migration.INDEXES:
                            cursor.execute(f"DROP INDEX IF EXISTS {name}")
                rows = search().order_by("-rank", "id")[:21]
                plan = rows.explain(analyze=True)
                found = len(list(rows))
                transaction.set_rollback(True)
            print(f"\n=== {kind}, q={query!r}, {label}: {found} rows on the first page ===")
            print(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--query", default="math club")
    parser.add_argument("--database", default="cotask_bench_search")
    args = parser.parse_args()
    setup(args)
    generate(args.rows)
    plans(args.query)


if __name__ == "__main__":
    main()
