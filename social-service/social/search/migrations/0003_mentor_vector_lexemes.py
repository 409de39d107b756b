"""The mentors' search vector also holds what the search filters by and its words' prefixes, so
one GIN index scan answers the text and the filters, with exact lexemes only.

Before, a mentor search was a BitmapAnd of the subject index and the text index, then a heap
visit of every row both kept (2,346 for `задачи` in physics at 100,000 mentors) to check the
language and rating; and a query's Cyrillic stems were prefix terms (`задач:*`), which GIN
answers by merging the posting lists of every lexeme starting with them (8 ms for a common
stem). Now the stored `search_vector` of a mentor is 0002's document plus:
- `cotask_prefix_lexemes`: every prefix of 3 letters or more (the whole word included) of each
  Cyrillic word, marked with a final `*` (`'задач*'`): the query asks for the stem's marked
  lexeme, one posting list, instead of the prefix scan. The parser never writes a `*`, so the
  English and Russian terms never meet a marked lexeme: the same rows match.
- `cotask_mentor_filter_lexemes`: `s~<subject>` for each subject, `l~<language>` for each
  language, and `r~<n>` for each half star the average reaches (`r~8`: 4.0 or more, with at
  least one review): the query ANDs them, so the index leaves only the rows that pass (the
  exact rating is still checked on the row).
Both functions are IMMUTABLE (a generated column may only call such functions); PostgreSQL
recomputes the column whenever the text, subjects, languages or rating change. Posts keep
0002's document. docs/decisions.md, "Search in three languages".

The expressions must stay exactly these: `social/search/selectors.py` builds the queries that
meet them (`mentor_text_query`, `mentor_filter_query`). The stored column is dropped and added
again (a rewrite of the table, as 0002's was); the index is built CONCURRENTLY.
"""

from __future__ import annotations

from django.db import migrations

TABLE, INDEX = "social_mentors_mentorprofile", "mentor_search_vector_idx"
# The Cyrillic range is `selectors.CYRILLIC`'s.
FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION cotask_prefix_lexemes(doc tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(lexeme, n) || '*')),
                        ''::tsvector)
        FROM unnest(tsvector_to_array(doc)) AS lexeme,
             generate_series(3, char_length(lexeme)) AS n
        WHERE lexeme ~ '[\u0400-\u04ff]'
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION cotask_mentor_filter_lexemes(
        subjects jsonb, languages jsonb, reviews bigint, average float8
    ) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_to_tsvector(array_agg(DISTINCT lexeme)), ''::tsvector)
        FROM (
            SELECT 's~' || s AS lexeme FROM jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(subjects) = 'array' THEN subjects ELSE '[]' END) s
            UNION ALL
            SELECT 'l~' || l FROM jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(languages) = 'array' THEN languages ELSE '[]' END) l
            UNION ALL
            SELECT 'r~' || n FROM generate_series(1, 10) n
            WHERE reviews > 0 AND average >= n / 2.0
        ) found
        WHERE lexeme <> ''
    $$
    """,
]
TEXT = (
    "to_tsvector('english'::regconfig, coalesce(search_text, ''))"
    " || to_tsvector('russian'::regconfig, coalesce(search_text, ''))"
    " || to_tsvector('simple'::regconfig, coalesce(search_text, ''))"
)
DOCUMENT = (
    f"{TEXT}"
    " || cotask_prefix_lexemes(to_tsvector('simple'::regconfig, coalesce(search_text, '')))"
    " || cotask_mentor_filter_lexemes(subjects, languages, reviews_count, average)"
)


def _vector(schema_editor, document: str) -> None:  # noqa: ANN001 - the schema editor
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({document}) STORED"
    )
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} USING gin (search_vector)"
    )


def forwards(apps, schema_editor):  # noqa: ANN001, ARG001 - the RunPython signature
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(function)
    _vector(schema_editor, DOCUMENT)


def backwards(apps, schema_editor):  # noqa: ANN001, ARG001
    if schema_editor.connection.vendor != "postgresql":
        return
    _vector(schema_editor, TEXT)
    schema_editor.execute("DROP FUNCTION IF EXISTS cotask_prefix_lexemes(tsvector)")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS cotask_mentor_filter_lexemes(jsonb, jsonb, bigint, float8)"
    )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("social_search", "0002_fulltext_posts_mentors"),
        ("social_mentors", "0003_mentorprofile_search_text"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
