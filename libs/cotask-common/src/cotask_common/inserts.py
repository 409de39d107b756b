"""Single-statement writes for hot paths: one round trip, and no ORM query compilation.

Each costs one statement where the ORM would need two or three (`get_or_create`, a savepoint
around an IntegrityError, UPDATE-then-INSERT), and builds its SQL from the model's own metadata,
so renamed columns or tables cannot drift from it. PostgreSQL and SQLite 3.35+ both run them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import F, Model


def insert_statement(
    model: type[Model], *, values: Mapping[str, Any], using: str = DEFAULT_DB_ALIAS
) -> tuple[str, list[Any]]:
    """`INSERT INTO <table> (<columns>) VALUES (%s, …)` and its parameters, for callers that
    add a clause (`ON CONFLICT …`, `RETURNING …`) or wrap it in a CTE.

    `values` are field names (attnames such as `post_id` for foreign keys) and Python values;
    fields with a Python-side default that are not given (a uuid7 id, `timezone.now`) get it."""
    connection = connections[using]
    meta = model._meta
    row = dict(values)
    for field in meta.concrete_fields:
        if field.attname not in row and field.has_default():
            row[field.attname] = field.get_default()
    fields = [meta.get_field(name) for name in row]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Only the model's own quoted table and column names are interpolated; values are params.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, row.values(), strict=True)
    ]
    return sql, params


def insert_if_absent(
    model: type[Model],
    *,
    values: dict[str, Any],
    conflict: Sequence[str],
    using: str = DEFAULT_DB_ALIAS,
) -> Any | None:
    """`INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING pk`: the new row's primary key, or
    None when the key was taken. Where `get_or_create` or catching IntegrityError would cost a
    savepoint and its release (two more round trips), this costs one; a concurrent insert of
    the same key is waited for exactly as a plain INSERT would, and then nothing is inserted."""
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    insert, params = insert_statement(model, values=values, using=using)
    keys = ", ".join(quote(meta.get_field(name).column) for name in conflict)
    sql = f"{insert} ON CONFLICT ({keys}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else meta.pk.to_python(row[0])


def insert_if_absent_orm(
    model: type[Model],
    *,
    values: dict[str, Any],
    conflict: Sequence[str],
    using: str = DEFAULT_DB_ALIAS,
) -> Any | None:
    """What `insert_if_absent` means, in the ORM: a savepoint around the insert (the parity
    tests hold the two to the same results; bench/hot_sql.py times them)."""
    try:
        with transaction.atomic(using=using):
            return model._default_manager.using(using).create(**values).pk
    except IntegrityError:
        return None


def add_to_counts(
    model: type[Model],
    *,
    key: dict[str, Any],
    counts: dict[str, int],
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Add `counts` to the row with `key` (a unique constraint's fields), creating the row with
    `counts` as its values when there is none: `INSERT … ON CONFLICT (key) DO UPDATE SET
    n = n + excluded.n`. One statement, race-free, where update-then-create needs two and a
    savepoint for the race."""
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    insert, params = insert_statement(model, values={**key, **counts}, using=using)
    table = quote(meta.db_table)
    keys = ", ".join(quote(meta.get_field(name).column) for name in key)
    additions = ", ".join(
        f"{column} = {table}.{column} + excluded.{column}"
        for column in (quote(meta.get_field(name).column) for name in counts)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{insert} ON CONFLICT ({keys}) DO UPDATE SET {additions}", params)


def add_to_counts_orm(
    model: type[Model],
    *,
    key: dict[str, Any],
    counts: dict[str, int],
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """What `add_to_counts` means, in the ORM: update, else create, else (a concurrent create
    won) update."""
    rows = model._default_manager.using(using).filter(**key)
    additions = {name: F(name) + value for name, value in counts.items()}
    if rows.update(**additions):
        return
    try:
        with transaction.atomic(using=using):
            model._default_manager.using(using).create(**key, **counts)
    except IntegrityError:
        rows.update(**additions)
