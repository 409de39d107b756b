"""The full-text index chat search reads (social/chat/selectors.py, `search_messages`) on
PostgreSQL: without it a search read every message (9.5 s over 1,000,000, bench/social_chat.py).

An expression index: the expression must stay exactly the one `SearchVector("text",
config="simple")` emits, and the condition the one the search filters on. SQLite (the embedded
default) gets none: it searches by containment. Built CONCURRENTLY (outside a transaction).
"""

from __future__ import annotations

from django.db import migrations

NAME = "chat_message_search_idx"
HOW = (
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, ''::text)))"
    " WHERE deleted_at IS NULL"
)


def create(apps, schema_editor):  # noqa: ANN001, ARG001 - the RunPython signature
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON social_chat_message {HOW}"
    )


def drop(apps, schema_editor):  # noqa: ANN001, ARG001
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("social_chat", "0002_unread_count")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
