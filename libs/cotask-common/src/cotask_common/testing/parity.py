"""Parity of a hand-written statement and its ORM twin, for the `hot_sql` tests of every
service: both run on the same data (each in a transaction rolled back), and must return the
same result and leave the same state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


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
