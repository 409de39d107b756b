"""Parity of a hand-written statement and its ORM twin, for the `hot_sql` tests of every
service: both run on the same data (each in a transaction rolled back), and must return the
same result and leave the same state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from django.db import connection, transaction


def outcome(run: Callable[[], Any], state: Callable[[], Any]) -> tuple[Any, Any]:
    """What `run` returns and the `state` it leaves, then rolled back."""
    with transaction.atomic():
        result = run()
        after = state()
        transaction.set_rollback(True)  # the other version starts from the same data
    return result, after


def same(sql: Callable[[], Any], orm: Callable[[], Any], state: Callable[[], Any]) -> Any:
    """Assert `sql` and `orm` return and leave the same; the data is as before afterwards."""
    before = state()
    by_sql, by_orm = outcome(sql, state), outcome(orm, state)
    assert by_sql == by_orm
    assert state() == before
    return by_sql


def statements_on_postgresql(hot_sql: ModuleType) -> Any:
    """The autouse fixture of a `hot_sql` module's tests: skipped off PostgreSQL (SQLite runs
    the ORM twins alone, so there is nothing to compare), and the module's statements switched
    back on (`hot_sql.ENABLED`) after a test that ran the twins. In the test module:
    `_statements = statements_on_postgresql(hot_sql)`."""

    @pytest.fixture(autouse=True, name="_statements_on_postgresql")
    def fixture() -> Iterator[None]:
        if connection.vendor != "postgresql":
            pytest.skip("the statements are PostgreSQL's; SQLite runs the ORM twins")
        yield
        setattr(hot_sql, "ENABLED", True)  # noqa: B010 - any service's module

    return fixture
