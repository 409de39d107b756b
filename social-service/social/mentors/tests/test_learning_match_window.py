"""The first page of a request's matches read through the candidate window (the subject and
language rows' `base_score`, best-first) equals the plain full scoring: the same mentors, in
the same order, with the same scores and reasons, on varied data (ties, hidden mentors)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection
from django.db.models import F, Q

from social.mentors import hot_sql, selectors, services
from social.mentors.models import (
    LearningRequest,
    MentorLanguage,
    MentorProfile,
    MentorSubject,
    MentorSubjectLanguage,
    RatingTotals,
)
from social.mentors.tests.test_profiles import set_up
from social.mentors.tests.test_reviews import review, talk
from social.pages.models import Page, PageBlock
from social.pages.services import create_personal_page

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "uk", "de"]
TAGS = ["django", "flask", "sql", "git"]


def mentors_of(make_user: Any, count: int, seed: int) -> list[Any]:
    rng = random.Random(seed)  # noqa: S311 - made-up data
    users: list[Any] = []
    fields: dict[str, Any] = {}
    rank = 0.0
    for n in range(count):
        user = make_user(username=f"m{seed}_{n}")
        create_personal_page(user_id=user.id, username=user.username)
        # every fifth mentor is a twin of the one before: equal scores, so `-id` decides
        if n % 5 != 4:
            fields = {
                "subjects": rng.sample(["python", "mathematics", "english"], rng.randint(1, 2)),
                "languages": rng.sample(LANGUAGES, rng.randint(1, 2)),
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "years_experience": rng.randint(0, 30),
            }
            rank = rng.choice([0.0, 0.0, 3.1, 3.9, 4.2, 4.45, 4.8, 4.97])
        services.set_profile(user=user, **fields)
        MentorProfile.objects.filter(user_id=user.id).update(rank=rank, reviews_count=3)
        users.append(user)
    # the ranks were written behind the services' back: copy them as the aggregate does
    services.sync_match_base(Q())
    return users


def ranked(request: LearningRequest, viewer: Any, first: int | None, n: int) -> list[Any]:
    rows = selectors.matching_mentors(request=request, viewer=viewer, first=first)
    return [
        (p.id, p.match_score, p.speaks, selectors.match_reasons(profile=p, request=request))
        for p in rows.order_by("-match_score", "-id")[:n]
    ]


REQUESTS = [
    ("python", "uk", ["django"]),
    ("python", "en", []),
    ("mathematics", "de", ["sql", "git", "flask"]),
    ("english", "uk", ["django", "flask", "sql", "git"]),
]


@pytest.mark.parametrize("hot", [True, False], ids=["hot_sql", "orm_twin"])
def test_the_window_finds_the_full_scorings_first_page(
    make_user: Any, monkeypatch: pytest.MonkeyPatch, hot: bool
) -> None:
    monkeypatch.setattr(hot_sql, "ENABLED", hot)
    users = mentors_of(make_user, 70, seed=3)
    author, staff = make_user(username="student"), make_user(username="mod", role="moderator")
    services.set_profile(user=author, subjects=["python"], languages=["uk"])  # never matched
    # hidden: a withdrawn mentor, a blocked page, one the student blocked from their page
    services.withdraw_profile(user_id=users[0].id)
    Page.objects.filter(owner_id=users[1].id).update(is_blocked=True)
    author_page = Page.objects.get(owner_id=author.id)
    blocked_page = Page.objects.get(owner_id=users[2].id)
    PageBlock.objects.create(page=blocked_page, user=author)
    viewers = [None, author, staff]
    for subject, language, tags in REQUESTS:
        request = services.create_request(
            author_id=author.id, subject=subject, language=language, tags=tags
        )
        for viewer in viewers:
            for first in (1, 2, 5, 11, 21, 200):
                assert ranked(request, viewer, first, first) == ranked(
                    request, viewer, None, first
                ), (subject, language, tags, viewer, first)
    assert author_page.id  # the author's own page exists, so their profile is a real mentor


def test_base_scores_follow_rank_and_experience(make_user: Any, member: Any) -> None:
    users = mentors_of(make_user, 6, seed=5)
    services.set_profile(
        user=users[3], subjects=["python", "english"], languages=["en"], years_experience=7
    )
    ada, student = member("ada"), member("student")
    set_up(ada, subjects=["python"], languages=["uk"], years_experience=3)
    talk(student, ada)
    assert review(student, "ada", 5).status_code == 201  # the aggregate's own transaction
    RatingTotals.objects.filter(id=1).update(reviews_count=F("reviews_count") + 10)
    MentorProfile.objects.update(rating_sum=F("reviews_count") * 4)
    services.refresh_ranks()  # the hourly refresh
    expected = dict(
        MentorProfile.objects.annotate(base=selectors.match_base()).values_list("id", "base")
    )
    assert expected[MentorProfile.objects.get(user_id=ada.user.id).id] > 0.3  # rank + 0.3
    for model in (MentorSubject, MentorLanguage):
        rows = list(model.objects.values_list("profile_id", "base_score"))
        assert rows and all(score == pytest.approx(expected[pid]) for pid, score in rows)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the hand-written SQL is PostgreSQL's"
)
def test_the_hand_written_candidates_equal_the_orm_twins(make_user: Any) -> None:
    """hot_sql.match_candidates and selectors._candidates_orm: the same ids in the same order,
    for every reader, page size and request, over mentors with ties and hidden ones."""
    users = mentors_of(make_user, 60, seed=11)
    author, staff = make_user(username="student"), make_user(username="mod", role="moderator")
    services.set_profile(user=author, subjects=["python"], languages=["uk"], tags=["django"])
    services.withdraw_profile(user_id=users[3].id)
    Page.objects.filter(owner_id=users[4].id).update(is_blocked=True)
    PageBlock.objects.create(page=Page.objects.get(owner_id=users[5].id), user=author)
    # a tag with LIKE's wildcard `_` is matched literally, as the ORM matches it
    services.set_profile(user=users[6], subjects=["python"], languages=["uk"], tags=["cax"])
    services.set_profile(user=users[8], subjects=["python"], languages=["uk"], tags=["c_x"])
    assert MentorSubjectLanguage.objects.filter(profile__user_id=users[6].id).count() == 1
    for subject, language, tags in [*REQUESTS, ("python", "uk", ["c_x", "django"])]:
        request = services.create_request(
            author_id=author.id, subject=subject, language=language, tags=tags
        )
        spread = selectors.MATCH_TAG_WEIGHT * len(tags) + selectors.MATCH_SLACK
        for viewer in (None, author, staff, users[7]):
            for first in (1, 3, 21, 200):
                hot = hot_sql.match_candidates(
                    request=request, viewer=viewer, first=first, spread=spread
                )
                assert hot == selectors._candidates_orm(request, viewer, first, None), (
                    subject,
                    language,
                    tags,
                    viewer,
                    first,
                )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the hand-written SQL is PostgreSQL's"
)
def test_the_hand_written_first_page_rows_equal_the_orms(make_user: Any) -> None:
    """selectors.first_matches (the candidates, then hot_sql.page_rows) and the ORM's
    queryset: the same mentors in the same order, with the same `speaks`, pages and scores to
    the last bit (the next page's cursor is made of them)."""
    users = mentors_of(make_user, 50, seed=17)
    author, staff = make_user(username="student"), make_user(username="mod", role="moderator")
    services.withdraw_profile(user_id=users[3].id)
    Page.objects.filter(owner_id=users[4].id).update(is_blocked=True)
    PageBlock.objects.create(page=Page.objects.get(owner_id=users[5].id), user=author)
    services.set_profile(user=users[8], subjects=["python"], languages=["uk"], tags=["c_x"])

    def rows(request: LearningRequest, viewer: Any, first: int, hot: bool) -> list[Any]:
        hot_sql.ENABLED = hot
        try:
            found = selectors.first_matches(request=request, viewer=viewer, first=first)
            page = list(found.order_by("-match_score", "-id")[:first])
        finally:
            hot_sql.ENABLED = True
        return [
            (p.id, repr(p.match_score), p.speaks, p.page.handle, p.tags, p.subjects) for p in page
        ]

    for subject, language, tags in [*REQUESTS, ("python", "uk", ["c_x", "django"])]:
        request = services.create_request(
            author_id=author.id, subject=subject, language=language, tags=tags
        )
        for viewer in (None, author, staff):
            for first in (1, 6, 21):
                hot = rows(request, viewer, first, True)
                assert hot and hot == rows(request, viewer, first, False), (subject, tags, first)
