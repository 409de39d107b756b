"""Single-statement writes and prepared statements for hot paths (`inserts`, `statements`)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from testproject.sample.models import Note, Tally

from cotask_common.inserts import add_to_counts, insert_if_absent, insert_statement
from cotask_common.statements import Columns, Statement

pytestmark = pytest.mark.django_db(transaction=True)


def test_insert_if_absent_returns_the_new_key_then_none() -> None:
    day = date(2026, 1, 2)
    first = insert_if_absent(Tally, values={"name": "a", "day": day}, conflict=["name", "day"])
    assert first is not None
    assert Tally.objects.get(name="a").id == first  # the Python default (uuid7) was used
    again = insert_if_absent(
        Tally, values={"name": "a", "day": day, "hits": 5}, conflict=["name", "day"]
    )
    assert again is None
    assert Tally.objects.get(name="a").hits == 0  # nothing was overwritten


def test_insert_statement_fills_python_defaults_and_converts_values() -> None:
    sql, params = insert_statement(Note, values={"title": "t"})
    # id (uuid7 default) is filled in; created_at (auto_now_add, no default) is left out.
    assert '"title"' in sql and '"id"' in sql and "created_at" not in sql
    assert len(params) == 2


def test_add_to_counts_creates_then_adds() -> None:
    day = date(2026, 3, 4)
    add_to_counts(Tally, key={"name": "b", "day": day}, counts={"hits": 2})
    row = Tally.objects.get(name="b", day=day)
    assert (row.hits, row.misses) == (2, 0)
    add_to_counts(Tally, key={"name": "b", "day": day}, counts={"hits": 3, "misses": -1})
    row.refresh_from_db()
    assert (row.hits, row.misses) == (5, -1)
    # Another key is a row of its own.
    add_to_counts(Tally, key={"name": "b", "day": day + timedelta(days=1)}, counts={"hits": 1})
    assert Tally.objects.filter(name="b").count() == 2


def test_add_to_counts_loses_no_increment_under_concurrency() -> None:
    day = date(2026, 5, 6)
    workers, each = 4, 25
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(each):
                with transaction.atomic():
                    add_to_counts(Tally, key={"name": "c", "day": day}, counts={"hits": 1})
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Tally.objects.get(name="c", day=day).hits == workers * each


def test_a_statement_converts_its_values_through_the_fields() -> None:
    seen = timezone.now()
    row = Tally.objects.create(name="d", day=date(2026, 7, 8))
    t = Columns(Tally, "t")
    assert t("hits") == 't."hits"' and t.name("hits") == '"hits"'
    assert t.table == connection.ops.quote_name(Tally._meta.db_table)
    update = Statement(
        f"UPDATE {t.table} SET {t.name('seen_at')} = %s, {t.name('hits')} = %s"  # noqa: S608
        f" WHERE {t.name('id')} = %s",
        [t.field("seen_at"), None, t.field("id")],
    )
    assert update.execute(seen, 7, row.id) == 1  # a UUID and an aware datetime, converted
    select = Statement(
        f"SELECT * FROM {t.table} t WHERE {t('id')} = %s AND {t('seen_at')} = %s",  # noqa: S608
        [t.field("id"), t.field("seen_at")],
    )
    found = list(Tally.objects.raw(select.sql, select.params(row.id, seen)))
    assert [(r.id, r.hits, r.seen_at) for r in found] == [(row.id, 7, seen)]
    assert update.execute(seen, 1, Note().id) == 0  # no such row
    with pytest.raises(ValueError, match="3 values expected, got 2"):
        update.params(seen, 1)


def test_fetch_builds_instances_as_a_queryset_would() -> None:
    seen = timezone.now()
    row = Tally.objects.create(name="e", day=date(2026, 9, 10), hits=3, seen_at=seen)
    Tally.objects.create(name="f", day=date(2026, 9, 10))
    t = Columns(Tally, "t")
    select = Statement(
        f"SELECT {t.all()}, {t('hits')} * 2 AS doubled FROM {t.table} t"  # noqa: S608
        f" WHERE {t('day')} = %s ORDER BY {t('name')}",
        [t.field("day")],
    )
    for _ in range(2):  # the second run uses the column mapping worked out by the first
        first, second = select.fetch(Tally, date(2026, 9, 10))
        assert (first.id, first.name, first.day, first.seen_at) == (row.id, "e", row.day, seen)
        assert first.doubled == 6 and second.doubled == 0  # an extra column, as it came
        assert not first._state.adding
        first.hits = 4
        first.save(update_fields=["hits"])  # a fetched instance is a normal one
        assert Tally.objects.get(id=row.id).hits == 4
        Tally.objects.filter(id=row.id).update(hits=3)
    # A column the SELECT leaves out is deferred, and loaded when it is read.
    partial = Statement(
        f"SELECT {t('id')}, {t('name')} FROM {t.table} t WHERE {t('id')} = %s",  # noqa: S608
        [t.field("id")],
    )
    (only,) = partial.fetch(Tally, row.id)
    assert only.get_deferred_fields() >= {"hits", "seen_at"}
    assert only.hits == 3
