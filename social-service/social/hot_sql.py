"""Every hand-written SQL statement of social-service, each beside its ORM equivalent.

A statement is here only because a benchmark showed it pays (bench/hot_sql.py, interleaved
runs of both versions; the figures are in docs/decisions.md): each runs on every like, every
feed read or every counter change, where the ORM's query compilation cost more CPU than the
database did. The `*_orm` twin says what the statement means; `social/tests/test_hot_sql.py`
runs both on the same data (PostgreSQL, and SQLite where the statement has a SQLite spelling)
and requires the same result, and the benchmark times one against the other.

The models are looked up in the app registry (`models()`), not imported: every app (pages at
the bottom of social's layers, posts, feed) calls this module, and an import of posts' models
from here would make each of those calls an import of posts. Only the models' own quoted table
and column names are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django.db.models import F, Model, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from cotask_common.inserts import (
    add_to_counts,
    add_to_counts_orm,
    insert_if_absent,
    insert_if_absent_orm,
)
from cotask_common.statements import Columns, Statement


@functools.cache
def models() -> SimpleNamespace:
    """The models the statements read and write (see the module's docstring)."""
    return SimpleNamespace(
        Page=apps.get_model("social_pages", "Page"),
        PageDailyStat=apps.get_model("social_pages", "PageDailyStat"),
        Post=apps.get_model("social_posts", "Post"),
        PostLike=apps.get_model("social_posts", "PostLike"),
        MentorProfile=apps.get_model("social_mentors", "MentorProfile"),
    )


# ---------------------------------------------------------------------------------------------
# Feed reads: which of the cards the reader liked (every feed page)


def liked_among(*, user_id: uuid.UUID, post_ids: Iterable[str]) -> set[str]:
    """Which of these posts (ids as strings) the user liked: one indexed lookup per post
    through the (post, user) unique index."""
    ids = list(post_ids)
    if not ids:
        return set()
    # A uuid column on PostgreSQL, hex on SQLite.
    as_db = models().PostLike._meta.pk.get_db_prep_value
    params = [as_db(uuid.UUID(str(user_id)), connection)]
    params += [as_db(uuid.UUID(post_id), connection) for post_id in ids]
    with connection.cursor() as cursor:
        cursor.execute(_liked_among_sql(len(ids)), params)
        return {str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()}


@functools.cache
def _liked_among_sql(count: int) -> str:
    like = Columns(models().PostLike)
    return (
        f"SELECT {like.name('post')} FROM {like.table} WHERE {like.name('user')} = %s"
        f" AND {like.name('post')} IN ({', '.join(['%s'] * count)})"
    )


def liked_among_orm(*, user_id: uuid.UUID, post_ids: Iterable[str]) -> set[str]:
    ids = list(post_ids)
    if not ids:
        return set()
    found = models().PostLike.objects.filter(user_id=user_id, post_id__in=ids)
    return {str(post_id) for post_id in found.values_list("post_id", flat=True)}


# ---------------------------------------------------------------------------------------------
# A like: its row, inserted unless it is there (every like)


def insert_like(*, post_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    """Insert the like unless the user liked the post already: True when inserted.
    `INSERT … ON CONFLICT DO NOTHING RETURNING`: one statement, no savepoint. `created_at` is
    set here, as `auto_now_add` would."""
    values = {"post_id": post_id, "user_id": user_id, "created_at": timezone.now()}
    like = insert_if_absent(models().PostLike, values=values, conflict=["post", "user"])
    return like is not None


def insert_like_orm(*, post_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    values = {"post_id": post_id, "user_id": user_id}
    like = insert_if_absent_orm(models().PostLike, values=values, conflict=["post", "user"])
    return like is not None


# ---------------------------------------------------------------------------------------------
# A post's counters and rank (every like, unlike, comment)

RECOUNTED = ("like_count", "comment_count", "hot_score")


def set_post_counts(*, post: Model) -> None:
    """Write the post's RECOUNTED fields (computed by the caller under the row's lock)."""
    _set_post_counts_statement().execute(*(getattr(post, name) for name in RECOUNTED), post.pk)


def set_post_counts_orm(*, post: Model) -> None:
    models().Post.objects.filter(pk=post.pk).update(
        **{name: getattr(post, name) for name in RECOUNTED}
    )


@functools.cache
def _set_post_counts_statement() -> Statement:
    p = Columns(models().Post)
    return Statement(
        f"UPDATE {p.table} SET {', '.join(f'{p.name(n)} = %s' for n in RECOUNTED)}"
        f" WHERE {p.name('id')} = %s",
        [*(p.field(name) for name in RECOUNTED), p.field("id")],
    )


# ---------------------------------------------------------------------------------------------
# A page's counters (every like, comment and follow)


def add_to_page(*, page_id: uuid.UUID, counts: dict[str, int]) -> None:
    """Add `counts` to the page's counters (negative values subtract, never below zero)."""
    names = tuple(sorted(counts))
    _add_to_page_statement(names).execute(*(counts[name] for name in names), page_id)


def add_to_page_orm(*, page_id: uuid.UUID, counts: dict[str, int]) -> None:
    models().Page.objects.filter(pk=page_id).update(
        **{name: Greatest(F(name) + value, 0) for name, value in counts.items()}
    )


@functools.cache
def _add_to_page_statement(names: tuple[str, ...]) -> Statement:
    page = Columns(models().Page)
    # SQLite (the embedded default) spells GREATEST as a two-argument MAX.
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    additions = ", ".join(
        f"{column} = {greatest}({column} + %s, 0)" for column in (page.name(name) for name in names)
    )
    return Statement(
        f"UPDATE {page.table} SET {additions} WHERE {page.name('id')} = %s",
        [*(None for _ in names), page.field("id")],
    )


# ---------------------------------------------------------------------------------------------
# A page's statistics row of the day (every like, comment, post and follow)


def add_to_day(*, page_id: uuid.UUID, day: date, counts: dict[str, int]) -> None:
    """Add `counts` to the page's row of `day`, created with them when there is none:
    `INSERT … ON CONFLICT (page, day) DO UPDATE SET n = n + excluded.n`, race-free in one
    statement."""
    add_to_counts(models().PageDailyStat, key={"page_id": page_id, "day": day}, counts=counts)


def add_to_day_orm(*, page_id: uuid.UUID, day: date, counts: dict[str, int]) -> None:
    add_to_counts_orm(models().PageDailyStat, key={"page_id": page_id, "day": day}, counts=counts)


# ---------------------------------------------------------------------------------------------
# A mentor's last activity (every chat message the person sends)


def touch_mentor(*, user_id: uuid.UUID, now: datetime, stale_before: datetime) -> None:
    """`last_active_at = now` on the person's mentor profile, if they have one and it is unset
    or older than `stale_before`. Plain SQL on both databases: its compiling as a queryset
    was a tenth of a chat send's CPU."""
    _touch_mentor_statement().execute(now, user_id, stale_before)


def touch_mentor_orm(*, user_id: uuid.UUID, now: datetime, stale_before: datetime) -> None:
    models().MentorProfile.objects.filter(user_id=user_id).filter(
        Q(last_active_at__isnull=True) | Q(last_active_at__lt=stale_before)
    ).update(last_active_at=now)


@functools.cache
def _touch_mentor_statement() -> Statement:
    profile = Columns(models().MentorProfile)
    last = profile.name("last_active_at")
    return Statement(
        f"UPDATE {profile.table} SET {last} = %s WHERE {profile.name('user')} = %s"
        f" AND ({last} IS NULL OR {last} < %s)",
        [profile.field("last_active_at"), profile.field("user"), profile.field("last_active_at")],
    )
