"""Full-text search over posts and mentors on PostgreSQL (social/search/selectors.py).

Each table gets a stored generated `search_vector` column (kept current by PostgreSQL itself on
every write: no trigger, no service has to remember it) over the text search reads (a post's
`text`, a mentor's `search_text`), and a GIN index on it. The document is the text under three
configurations concatenated: `english` and `russian` (Snowball stemmers; `russian` stems Cyrillic
words, `english` Latin ones) and `simple` (every word as written, lower-cased), which is what
Ukrainian queries match by prefix: PostgreSQL ships no Ukrainian configuration (docs/decisions.md,
"Search in three languages").

The expression must stay exactly `DOCUMENT` below: the selectors read the column, never the
expression, so only this migration knows it. SQLite (the embedded default) gets none: it searches
by containment. Adding a stored column rewrites the table (posts: a lock for the length of the
rewrite); the indexes are built CONCURRENTLY.
"""

from __future__ import annotations

from django.db import migrations

DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce({column}, ''))"
    " || to_tsvector('russian'::regconfig, coalesce({column}, ''))"
    " || to_tsvector('simple'::regconfig, coalesce({column}, ''))"
)
TABLES = {
    "social_posts_post": ("text", "post_search_vector_idx"),
    "social_mentors_mentorprofile": ("search_text", "mentor_search_vector_idx"),
}


def create(apps, schema_editor):  # noqa: ANN001, ARG001 - the RunPython signature
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (column, index) in TABLES.items():
        document = DOCUMENT.format(column=column)
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector"
            f" GENERATED ALWAYS AS ({document}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} USING gin (search_vector)"
        )
    # The subject filter as containment an index answers, combined with the text's index
    # (BitmapAnd) instead of a semi-join over the code rows. Not the languages: a third of the
    # mentors speak each common one, and scanning that index cost more than checking the rows
    # the other two left (bench/mentor_search.py).
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS mentor_subjects_gin_idx"
        " ON social_mentors_mentorprofile USING gin (subjects jsonb_path_ops)"
    )


def drop(apps, schema_editor):  # noqa: ANN001, ARG001
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS mentor_subjects_gin_idx")
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("social_search", "0001_search_indexes"),
        ("social_posts", "0003_post_kind_progress"),
        ("social_mentors", "0003_mentorprofile_search_text"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
