"""One row inserted unless a unique key already has it, in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def insert_if_absent(
    model: type[Model],
    *,
    values: dict[str, Any],
    conflict: Sequence[str],
    using: str = DEFAULT_DB_ALIAS,
) -> Any | None:
    """`INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING pk` (PostgreSQL; SQLite 3.35+):
    the new row's primary key, or None when the key was taken. Where `get_or_create` or
    catching IntegrityError would cost a savepoint and its release (two more round trips),
    this costs one; a concurrent insert of the same key is waited for exactly as a plain
    INSERT would, and then nothing is inserted.

    `values` are field names (attnames such as `post_id` for foreign keys) and Python values;
    fields with a Python-side default that are not given (a uuid7 id) get it."""
    connection = connections[using]
    meta = model._meta
    row = dict(values)
    for field in meta.concrete_fields:
        if field.attname not in row and field.has_default():
            row[field.attname] = field.get_default()
    fields = [meta.get_field(name) for name in row]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    keys = ", ".join(quote(meta.get_field(name).column) for name in conflict)
    placeholders = ", ".join(["%s"] * len(fields))
    # Only the model's own quoted table and column names are interpolated; values are params.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, row.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else meta.pk.to_python(row[0])
