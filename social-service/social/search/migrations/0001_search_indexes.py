"""Indexes that answer search's matching conditions (social/search/selectors.py) on PostgreSQL,
so a query reads the matching rows through them instead of every page or user.

Expression indexes: each expression must stay exactly the one the selectors emit. SQLite (the
embedded default) gets none: it searches by containment and its tables stay small. Built
CONCURRENTLY (outside a transaction), so a live table keeps taking writes while they build.
pg_trgm must be installed in the `public` schema (scripts/infra and the compose file do so).
"""

from __future__ import annotations

from django.db import migrations

TRGM = "public.gin_trgm_ops"
INDEXES = {
    # Pages: the full-text document, handle and name (similar or containing), tags.
    "page_search_document_idx": (
        "social_pages_page",
        "USING gin (to_tsvector('simple'::regconfig, name || ' ' || description))",
    ),
    "page_search_handle_trgm_idx": ("social_pages_page", f"USING gin (handle_key {TRGM})"),
    "page_search_name_trgm_idx": ("social_pages_page", f"USING gin (lower(name) {TRGM})"),
    "page_search_tags_idx": ("social_pages_page", "USING gin (tags jsonb_path_ops)"),
    # Users (the local projection): username and display name.
    "userref_search_username_trgm_idx": (
        "cotask_users_userref",
        f"USING gin (lower(username) {TRGM})",
    ),
    "userref_search_display_name_trgm_idx": (
        "cotask_users_userref",
        f"USING gin (lower(display_name) {TRGM})",
    ),
}


def create(apps, schema_editor):  # noqa: ANN001, ARG001 - the RunPython signature
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, how) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {how}")


def drop(apps, schema_editor):  # noqa: ANN001, ARG001
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("social_pages", "0003_backfill_comment_likes"),
        ("cotask_users", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
