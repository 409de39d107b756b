"""Every hand-written statement of `social.hot_sql` gives what its ORM twin gives, on the same
data: the same result and the same rows afterwards. Runs on the database the suite runs on
(PostgreSQL in CI; `DATABASE_URL=` runs it on SQLite, the embedded default)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.testing.parity import same
from social import hot_sql
from social.pages.models import Page, PageDailyStat
from social.posts.models import Post, PostLike

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(make_user: Callable[..., Any]) -> Page:
    owner = make_user()
    return Page.objects.create(
        owner_id=owner.id, kind="personal", handle=owner.username[:40],
        handle_key=owner.username[:40].lower(), name="P", followers_count=3,
    )  # fmt: skip


def test_liked_among(page: Page, make_user: Callable[..., Any]) -> None:
    reader, other = make_user(), make_user()
    posts = [Post.objects.create(page=page, text=str(i)) for i in range(4)]
    now = timezone.now()
    PostLike.objects.create(post=posts[0], user_id=reader.id, created_at=now)
    PostLike.objects.create(post=posts[2], user_id=reader.id, created_at=now)
    PostLike.objects.create(post=posts[1], user_id=other.id, created_at=now)
    ids = [str(post.id) for post in posts] + [str(uuid.uuid4())]  # and a post that is not there

    def sql() -> set[str]:
        return hot_sql.liked_among(user_id=reader.id, post_ids=ids)

    def orm() -> set[str]:
        return hot_sql.liked_among_orm(user_id=reader.id, post_ids=ids)

    result, _ = same(sql, orm, lambda: None)
    assert result == {str(posts[0].id), str(posts[2].id)}
    assert hot_sql.liked_among(user_id=reader.id, post_ids=[]) == set()
    assert hot_sql.liked_among_orm(user_id=reader.id, post_ids=[]) == set()


def test_insert_like(page: Page, make_user: Callable[..., Any]) -> None:
    user, earlier = make_user(), make_user()
    post = Post.objects.create(page=page, text="p")
    started = timezone.now()
    PostLike.objects.create(post=post, user_id=earlier.id)

    def likes() -> list[tuple[Any, ...]]:
        rows = PostLike.objects.values_list("post_id", "user_id", "created_at")
        # The time is the insert's own (auto_now_add): only whether it is set is compared.
        return sorted(((p, u, at >= started) for p, u, at in rows), key=str)

    def twice(insert: Callable[..., bool]) -> Callable[[], list[bool]]:
        # A new like, the same again (already there), and one that was there before.
        return lambda: [
            insert(post_id=post.id, user_id=user.id),
            insert(post_id=post.id, user_id=user.id),
            insert(post_id=post.id, user_id=earlier.id),
        ]

    result, rows = same(twice(hot_sql.insert_like), twice(hot_sql.insert_like_orm), likes)
    assert result == [True, False, False]
    assert sorted(rows, key=str) == sorted(
        [(post.id, user.id, True), (post.id, earlier.id, True)], key=str
    )


def test_set_post_counts(page: Page) -> None:
    post = Post.objects.create(page=page, text="p", like_count=1, comment_count=2, reply_count=4)
    other = Post.objects.create(page=page, text="q", like_count=7)
    post.like_count, post.comment_count, post.hot_score = 5, 3, 2.25

    def rows() -> list[tuple[Any, ...]]:
        return list(
            Post.objects.order_by("id").values_list(
                "id", "like_count", "comment_count", "reply_count", "hot_score", "text"
            )
        )

    _, after = same(
        lambda: hot_sql.set_post_counts(post=post),
        lambda: hot_sql.set_post_counts_orm(post=post),
        rows,
    )
    assert (post.id, 5, 3, 4, 2.25, "p") in after and (other.id, 7, 0, 0, 0.0, "q") in after


def test_add_to_page_never_below_zero(page: Page) -> None:
    counts = {"likes_count": 2, "followers_count": -5, "posts_count": -1}

    def row() -> tuple[int, ...]:
        return Page.objects.values_list(
            "likes_count", "followers_count", "posts_count", "comments_count"
        ).get(pk=page.pk)

    _, after = same(
        lambda: hot_sql.add_to_page(page_id=page.id, counts=counts),
        lambda: hot_sql.add_to_page_orm(page_id=page.id, counts=counts),
        row,
    )
    assert after == (2, 0, 0, 0)


def test_add_to_day_creates_then_adds(page: Page) -> None:
    day = date(2026, 12, 3)
    PageDailyStat.objects.create(page=page, day=day - timedelta(days=1), likes=9)

    def rows() -> list[tuple[Any, ...]]:
        return list(
            PageDailyStat.objects.order_by("day").values_list(
                "page_id", "day", "likes", "comments", "followers_gained", "comment_likes"
            )
        )

    def run(add: Callable[..., None]) -> Callable[[], None]:
        def both() -> None:
            add(page_id=page.id, day=day, counts={"likes": 1})  # creates the day's row
            add(page_id=page.id, day=day, counts={"likes": 2, "comments": 1})  # adds to it

        return both

    _, after = same(run(hot_sql.add_to_day), run(hot_sql.add_to_day_orm), rows)
    assert after == [
        (page.id, day - timedelta(days=1), 9, 0, 0, 0),
        (page.id, day, 3, 1, 0, 0),
    ]


def test_touch_mentor(make_user: Callable[..., Any]) -> None:
    from social.mentors.models import MentorProfile

    now = timezone.now()
    people = [make_user() for _ in range(4)]
    pages = [
        Page.objects.create(
            owner_id=p.id, kind="personal", handle=p.username[:40],
            handle_key=p.username[:40].lower(), name="P",
        )
        for p in people
    ]  # fmt: skip
    lasts = [None, now - timedelta(hours=2), now - timedelta(minutes=5)]
    for person, page, last in zip(people[:3], pages[:3], lasts, strict=True):
        MentorProfile.objects.create(user_id=person.id, page=page, last_active_at=last)

    def state() -> list[Any]:
        return sorted(MentorProfile.objects.values_list("user_id", "last_active_at"))

    stale_before = now - timedelta(hours=1)
    for person in people:  # unset, stale, recent, no profile

        def sql(user_id: uuid.UUID = person.id) -> None:
            hot_sql.touch_mentor(user_id=user_id, now=now, stale_before=stale_before)

        def orm(user_id: uuid.UUID = person.id) -> None:
            hot_sql.touch_mentor_orm(user_id=user_id, now=now, stale_before=stale_before)

        same(sql, orm, state)
    hot_sql.touch_mentor(user_id=people[0].id, now=now, stale_before=now - timedelta(hours=1))
    assert MentorProfile.objects.get(user_id=people[0].id).last_active_at == now
