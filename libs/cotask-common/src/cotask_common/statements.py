"""Prepared SQL for the few statements a hot path runs on every call.

The ORM compiles a queryset into SQL on every evaluation; for a handler that runs a handful of
small queries per event, that compiling costs more CPU than the database does. A `Statement`
is written once (table and column names taken from the models, so they cannot drift), and its
parameters are converted by the model fields exactly as the ORM would convert them (UUIDs and
datetimes differ between PostgreSQL and SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DEFERRED, Field, Model

M = TypeVar("M", bound=Model)


class Columns:
    """Quoted names of one model's table and columns, optionally under a table alias."""

    def __init__(
        self, model: type[Model], alias: str = "", *, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        self.model = model
        self.alias = alias
        self._quote = connections[using].ops.quote_name
        self.table = self._quote(model._meta.db_table)

    def name(self, field: str) -> str:
        """The quoted column, bare (for `SET column = …`)."""
        return self._quote(self.model._meta.get_field(field).column)

    def __call__(self, field: str) -> str:
        """The quoted column, qualified by the alias when there is one."""
        return f"{self.alias}.{self.name(field)}" if self.alias else self.name(field)

    def field(self, name: str) -> Field:
        return self.model._meta.get_field(name)

    def all(self) -> str:
        """Every column of the model, qualified: a SELECT list for `Statement.fetch` (which,
        unlike `*`, does not change when a migration adds a column to the table)."""
        return ", ".join(self(field.name) for field in self.model._meta.concrete_fields)


class Statement:
    """`sql` with one `%s` per entry of `fields`; `params(...)` converts each value through its
    field (None: passed as it is, for a LIMIT or a plain number)."""

    def __init__(
        self, sql: str, fields: Sequence[Field | None], *, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        self.sql = sql
        self.fields = tuple(fields)
        self.using = using
        self._plans: dict[type[Model], _RowPlan] = {}  # `using` fixes the database

    def params(self, *values: Any) -> list[Any]:
        if len(values) != len(self.fields):
            raise ValueError(f"{len(self.fields)} values expected, got {len(values)}")
        connection = connections[self.using]
        return [
            value if field is None else field.get_db_prep_value(value, connection)
            for field, value in zip(self.fields, values, strict=True)
        ]

    def execute(self, *values: Any) -> int:
        """Run it (a write); the number of rows it changed."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params(*values))
            return cursor.rowcount

    def fetch(self, model: type[M], *values: Any) -> list[M]:
        """Run it (a SELECT of `model`'s columns, by name, in any order) and build instances
        as a queryset would: each column through its field's converters, a missing column
        deferred. Columns that are not the model's become attributes as they come (no
        conversion). Unlike `Model.objects.raw`, the column mapping is worked out once, so
        the SELECT list must be fixed: name the columns (`Columns.all()`), not `*`."""
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params(*values))
            plan = self._plans.get(model)
            if plan is None:  # the statement's columns are fixed: read them once
                names = tuple(column[0] for column in cursor.description)
                plan = self._plans[model] = _RowPlan(model, names, connection)
            rows = cursor.fetchall()
        return [plan.build(row, self.using, connection) for row in rows]


class _RowPlan:
    """Where each of a model's fields is in a result row, with its converters."""

    def __init__(self, model: type[Model], names: tuple[str, ...], connection: Any) -> None:
        self.model = model
        position = {name: index for index, name in enumerate(names)}
        fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in fields]
        self.sources: list[tuple[int | None, list[Callable[..., Any]], Any]] = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            self.sources.append((position.get(field.column), converters, column))
        own = {field.column for field in fields}
        self.extras = [(index, name) for index, name in enumerate(names) if name not in own]

    def build(self, row: Sequence[Any], using: str, connection: Any) -> Model:
        # This thread's connection: a plan is shared by threads, connections are not.
        values = []
        for index, converters, column in self.sources:
            if index is None:
                values.append(DEFERRED)
                continue
            value = row[index]
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        instance = self.model.from_db(using, self.attnames, values)
        for index, name in self.extras:
            setattr(instance, name, row[index])
        return instance
