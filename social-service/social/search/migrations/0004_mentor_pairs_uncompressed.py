"""A mentor's vector also holds its (subject, language) pairs, and a mentor's row is stored
uncompressed while it fits in a page. Both for the mentor search's cost (bench/mentor_search.py,
docs/decisions.md "Mentor search: pairs and uncompressed rows").

- `sl~<subject>~<language>` for each pair: a search by subject and language asks for the one
  lexeme of the pair (2,086 rows for physics in Russian at 100,000 mentors) instead of
  intersecting the subject's and the language's (8,080 and 26,547): the GIN scan of such a
  search took ~1.9 ms, ~1.0 ms with the pair. `s~` and `l~` stay for a search by one of them.
- `toast_tuple_target` = 8160 (the most a page allows): PostgreSQL compresses (pglz) a row over
  ~2 KB, which half the mentors' rows were (the longer bios; 1 to 2 KB of vector), and the
  search ranks (`ts_rank`) every mentor it finds, decompressing those: ~4 µs a row against ~1
  µs, ~2 of the 5 ms of a search finding 600 mentors. Now a row is compressed only when longer
  than a page holds. lz4 was measured too (slower to read than none).

The stored column is dropped and added again with the new function (a rewrite of the table,
as 0003's was; every row is written under the new setting), the index built CONCURRENTLY, then
the table analyzed (the first plans after it otherwise misjudge the new column).
Backwards: 0003's function and column, the setting reset. `social/search/selectors.py`
(`mentor_filter_query`) asks for the lexemes these functions write.
"""

from __future__ import annotations

import importlib

from django.db import migrations

TABLE = "social_mentors_mentorprofile"
TOAST_TUPLE_TARGET = 8160  # PostgreSQL's maximum: a row is compressed only when longer

FILTER_LEXEMES = """
    CREATE OR REPLACE FUNCTION cotask_mentor_filter_lexemes(
        subjects jsonb, languages jsonb, reviews bigint, average float8
    ) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        WITH s AS (
            SELECT code FROM jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(subjects) = 'array' THEN subjects ELSE '[]' END) code
        ), l AS (
            SELECT code FROM jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(languages) = 'array' THEN languages ELSE '[]' END) code
        )
        SELECT coalesce(array_to_tsvector(array_agg(DISTINCT lexeme)), ''::tsvector)
        FROM (
            SELECT 's~' || code AS lexeme FROM s
            UNION ALL
            SELECT 'l~' || code FROM l
            UNION ALL
            SELECT 'sl~' || s.code || '~' || l.code FROM s CROSS JOIN l
            UNION ALL
            SELECT 'r~' || n FROM generate_series(1, 10) n
            WHERE reviews > 0 AND average >= n / 2.0
        ) found
        WHERE lexeme <> ''
    $$
"""


def _lexemes_migration():  # noqa: ANN202 - a migration module
    # 0003 holds the document and the earlier function (backwards restores them).
    return importlib.import_module("social.search.migrations.0003_mentor_vector_lexemes")


def forwards(apps, schema_editor):  # noqa: ANN001, ARG001 - the RunPython signature
    if schema_editor.connection.vendor != "postgresql":
        return
    earlier = _lexemes_migration()
    schema_editor.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
    schema_editor.execute(FILTER_LEXEMES)
    earlier._vector(schema_editor, earlier.DOCUMENT)
    schema_editor.execute(f"ANALYZE {TABLE}")  # the new column's statistics, for the first plans


def backwards(apps, schema_editor):  # noqa: ANN001, ARG001
    if schema_editor.connection.vendor != "postgresql":
        return
    earlier = _lexemes_migration()
    schema_editor.execute(f"ALTER TABLE {TABLE} RESET (toast_tuple_target)")
    schema_editor.execute(earlier.FUNCTIONS[1])  # its filter function
    earlier._vector(schema_editor, earlier.DOCUMENT)
    schema_editor.execute(f"ANALYZE {TABLE}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("social_search", "0003_mentor_vector_lexemes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
