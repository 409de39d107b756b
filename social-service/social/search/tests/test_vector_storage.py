"""Migration search.0004: a mentor's vector holds its (subject, language) pairs and is stored
uncompressed, so ranking a search's mentors reads it as it is; for new and changed rows and for
the rows stored before, which the migration writes again with the same lexemes and the pairs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from social.mentors.models import MentorProfile
from social.search.tests.test_fulltext import found_mentors, mentor

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's storage of the vector"
)

BEFORE = [("social_search", "0003_mentor_vector_lexemes")]
AFTER = [("social_search", "0004_mentor_pairs_uncompressed")]
# Long words: a vector of ~2.4 KB (the marked prefixes of each), the row's largest value, which
# PostgreSQL compresses by default in a row over 2 KB, as the longer bios' were.
LONG_BIO = (
    "програмування математика олімпіадних фізики підготовка екзаменів англійська граматика"
    " алгоритми статистика геометрія тригонометрія"
)
PAIRS = ["sl~physics~en", "sl~physics~uk", "sl~python~en"]


def _vector(profile: MentorProfile) -> tuple[str | None, int, str, str]:
    """How the vector is stored (compression, size), its text, its text without the pairs."""
    table = MentorProfile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(search_vector), pg_column_size(search_vector),"  # noqa: S608
            " search_vector::text, ts_delete(search_vector, %s::text[])::text"
            f" FROM {table} WHERE id = %s",  # the model's table
            [PAIRS, profile.id],
        )
        return cursor.fetchone()


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db
def test_a_long_mentors_vector_is_stored_uncompressed(member: Any) -> None:
    client = member()
    profile = mentor(client, subjects=["mathematics"], bio=LONG_BIO)
    compression, size, _, _ = _vector(profile)
    assert size > 2100 and compression is None
    # and a change writes it uncompressed again, still found
    mentor(client, subjects=["mathematics"], bio=f"{LONG_BIO} стереометрія")
    assert _vector(profile)[0] is None
    assert found_mentors(client, q="стереометрія") == [client.page.handle]


@pytest.mark.django_db(transaction=True)
def test_the_migration_adds_the_pairs_and_stores_the_vectors_uncompressed(member: Any) -> None:
    try:
        _migrate(BEFORE)
        clients = [member() for _ in range(3)]
        long_ones = [
            mentor(clients[0], subjects=["physics"], languages=["en", "uk"], bio=f"{LONG_BIO} 0"),
            mentor(clients[1], subjects=["physics", "python"], languages=["en"], bio=LONG_BIO),
        ]
        short = mentor(clients[2], subjects=["physics"], languages=["uk"], bio="задачі з фізики")
        before = {p.id: _vector(p) for p in [*long_ones, short]}
        # what the migration is for: the long rows' vectors were compressed, no pairs
        assert [before[p.id][0] for p in long_ones] == ["pglz", "pglz"]
        assert before[short.id][0] is None
        assert not any("sl~" in text for _, _, text, _ in before.values())
        _migrate(AFTER)
        after = {p.id: _vector(p) for p in [*long_ones, short]}
        assert {compression for compression, _, _, _ in after.values()} == {None}
        # the same lexemes as before, and the pairs
        assert {i: v[3] for i, v in after.items()} == {i: v[2] for i, v in before.items()}
        assert "'sl~physics~en'" in after[long_ones[0].id][2]
        assert "'sl~physics~uk'" in after[long_ones[0].id][2]
        assert "'sl~python~en'" in after[long_ones[1].id][2]
        assert found_mentors(clients[2], q="тригонометрія", subject="physics", language="uk") == [
            clients[0].page.handle
        ]
    finally:
        _migrate(AFTER)
