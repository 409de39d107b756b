"""The mentor search's hand-written statement (social.search.hot_sql) and its ORM twin return the
same pages: the same mentors in the same order, for every reader, filter and offset, over
mentors with ties (the same text and rank, so the id decides) and hidden ones."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection

from social.mentors import services
from social.mentors.models import MentorProfile
from social.pages.models import Page, PageBlock
from social.pages.services import create_personal_page
from social.search import hot_sql, selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the hand-written SQL is PostgreSQL's"
    ),
]

BIOS = ["algebra exams", "algebra and geometry lessons", "python projects", "математика задачи"]


def page(query: str, viewer: Any, offset: int, limit: int, hot: bool, **filters: Any) -> Any:
    hot_sql.ENABLED = hot
    try:
        rows = selectors.mentor_page(
            query=query, viewer=viewer, offset=offset, limit=limit, **filters
        )
    finally:
        hot_sql.ENABLED = True
    return [(p.id, getattr(p, "relevance", None), p.page.handle) for p in rows]


def test_the_hand_written_page_equals_the_orm_twins(make_user: Any) -> None:
    rng = random.Random(5)  # noqa: S311 - made-up data
    users = []
    for n in range(40):
        user = make_user(username=f"m{n}")
        create_personal_page(user_id=user.id, username=user.username)
        services.set_profile(
            user=user,
            subjects=rng.sample(["python", "mathematics"], rng.randint(1, 2)),
            languages=rng.sample(["en", "uk"], rng.randint(1, 2)),
            bio=BIOS[n % len(BIOS)],
        )
        # pairs of equal ranks: the same text and rank, so `-id` orders them
        count = [0, 3, 3, 12][n % 4]
        average = [0.0, 4.5, 4.5, 3.9][n % 4]
        MentorProfile.objects.filter(user_id=user.id).update(
            reviews_count=count,
            average=average,
            rating_sum=round(average * count),
            rank=(40 + average * count) / (10 + count) if count else 0.0,
        )
        users.append(user)
    reader, staff = make_user(username="reader"), make_user(username="mod", role="moderator")
    services.withdraw_profile(user_id=users[1].id)
    Page.objects.filter(owner_id=users[2].id).update(is_blocked=True)
    PageBlock.objects.create(page=Page.objects.get(owner_id=users[3].id), user=reader)
    users[4].is_banned = True
    users[4].save(update_fields=["is_banned"])
    cases: list[tuple[str, dict[str, Any]]] = [
        ("algebra", {}),
        ("algebra lessons", {"subject": "mathematics"}),
        ("python", {"language": "uk", "min_rating": 4.0}),
        ("математику", {"subject": "python", "language": "en"}),
        ("nothing like it", {}),
    ]
    for query, filters in cases:
        for viewer in (None, reader, staff, users[3]):
            for offset, limit in ((0, 1), (0, 6), (5, 6), (2, 50)):
                hot = page(query, viewer, offset, limit, True, **filters)
                assert hot == page(query, viewer, offset, limit, False, **filters), (
                    query,
                    filters,
                    viewer,
                    offset,
                )
    assert page("algebra", None, 0, 50, True)  # the data finds something
