"""Full-text search over posts, mentors and tags in the one search endpoint: word forms in
English, Russian and Ukrainian, the mentor filters and their order, visibility, and the 400s.

Runs on PostgreSQL (the generated search vectors) and on SQLite (containment of the words'
stems); what only PostgreSQL ranks (text relevance) is asserted there only."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.db import connection

from cotask_common.events.testing import handle_event, make_event
from social.mentors.models import MentorProfile
from social.pages.models import Page
from social.posts.services import create_post
from social.search.selectors import (
    ANY_LANGUAGE_QUERY,
    marked_prefixes,
    mentor_filter_query,
    mentor_text_query,
    ukrainian_prefixes,
)

pytestmark = pytest.mark.django_db

SEARCH = "/api/social/search/"


@pytest.fixture(autouse=True)
def no_search_limit(settings: Any, anon: Any) -> None:
    """Anonymous searches here are many: not what the limit's own test is about. From an
    address of their own, so they count against no other test's limit either."""
    settings.SOCIAL_SEARCH_ANON_RATE = "100000/m"
    anon.defaults["REMOTE_ADDR"] = f"10.99.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def mentor(
    client: Any,
    *,
    subjects: list[str] | None = None,
    languages: list[str] | None = None,
    bio: str = "",
    tags: list[str] | None = None,
    average: float = 0.0,
    count: int = 0,
) -> MentorProfile:
    r = client.put(
        "/api/social/mentors/me/",
        {
            "subjects": subjects or ["python"],
            "languages": languages or ["en"],
            "bio": bio,
            "tags": tags or [],
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    profile = MentorProfile.objects.get(user_id=client.user.id)
    if count:  # the aggregate as reviews leave it (the reviews' own tests prove the writes)
        rank = (10 * 4.0 + average * count) / (10 + count)
        MentorProfile.objects.filter(id=profile.id).update(
            average=average, reviews_count=count, rating_sum=round(average * count), rank=rank
        )
    return profile


def handles(body: dict[str, Any]) -> list[str]:
    return [m["page"]["handle"] for m in body["results"]]


def found_mentors(client: Any, **params: Any) -> list[str]:
    r = client.get(SEARCH, {"type": "mentors", **params})
    assert r.status_code == 200, r.json()
    return handles(r.json())


def test_ukrainian_prefixes_cut_endings() -> None:
    assert ukrainian_prefixes("Математику") == "математик:*"
    assert ukrainian_prefixes("програмуванню дітей") == "програмуванн:* & діт:*"
    assert ukrainian_prefixes("c++ & go!") == "c & go"  # only letters and digits reach it
    assert ukrainian_prefixes("Lessons дітям") == "lessons & діт:*"  # prefixes of Cyrillic only


def test_marked_prefixes_and_filters_as_lexemes() -> None:
    assert marked_prefixes("Lessons дітям") == "'lessons' & 'діт*'"
    assert marked_prefixes("c++ & 'go'!") == "'c' & 'go'"  # only letters and digits reach it
    assert mentor_filter_query(subject="python", language="uk", min_rating=4.2) == (
        "'sl~python~uk' & 'r~8'"
    )
    assert mentor_filter_query(subject="python", language=None, min_rating=None) == "'s~python'"
    assert mentor_filter_query(subject=None, language=None, min_rating=0.3) is None
    assert mentor_filter_query(subject=None, language="en", min_rating=5) == "'l~en' & 'r~10'"


PREFIX_TEXTS = [
    "Навчаю програмування дітей та дорослих",
    "Розв'язую задачі з фізики, готую до іспиту",
    "Преподаю математику школьникам; Python і SQL для аналітиків",
    "Lessons for kids: розмовна англійська, граматика, вимова",
]
PREFIX_QUERIES = [
    "програмуванню", "задачи", "задача з фізики", "математика", "Python аналітика",
    "lesson дітям", "kids", "граматику вимови", "підготовка до іспиту", "англійська мова", "sql",
]  # fmt: skip


@pytest.mark.parametrize("text", PREFIX_TEXTS)
def test_marked_prefixes_match_what_the_prefix_scan_matched(text: str) -> None:
    """A mentor's vector holds its Cyrillic words' prefixes as marked lexemes (migration
    search.0003) and the query asks for the marked stems: the same texts must match as with
    the prefix scan over 0002's document, for queries in each language and mixed."""
    if connection.vendor != "postgresql":
        pytest.skip("the search vector is PostgreSQL's")
    document = (
        "to_tsvector('english', %s) || to_tsvector('russian', %s) || to_tsvector('simple', %s)"
    )
    marked = f"{document} || cotask_prefix_lexemes(to_tsvector('simple', %s))"
    with connection.cursor() as cursor:
        for query in PREFIX_QUERIES:
            sql, params = mentor_text_query(query)
            cursor.execute(
                f"SELECT ({document}) @@ ({ANY_LANGUAGE_QUERY}), ({marked}) @@ ({sql})",
                [*[text] * 3, query, query, ukrainian_prefixes(query), *[text] * 4, *params],
            )
            scanned, exact = cursor.fetchone()
            assert exact == scanned, (text, query)


def test_the_filters_lexemes_are_the_rows_filters(member: Any) -> None:
    """Each mentor's vector has a lexeme for every subject, language and pair of them and for
    each half star its average reaches (with reviews): the index answers exactly what the row
    filters did."""
    if connection.vendor != "postgresql":
        pytest.skip("the search vector is PostgreSQL's")
    mentor(member("a"), subjects=["python", "physics"], languages=["uk"], average=4.3, count=12)
    mentor(member("b"), subjects=["physics"], languages=["en", "ru"], average=3.5, count=3)
    mentor(member("c"), subjects=["python"], languages=["ru"], average=5.0, count=0)
    # A bio cannot forge the filters' lexemes: the parser splits `s~physics` at the `~`.
    mentor(member("d"), subjects=["english"], languages=["de"],
           bio="s~physics l~uk r~10 s~python sl~python~uk sl~physics~en")  # fmt: skip
    profiles = list(MentorProfile.objects.all())
    with connection.cursor() as cursor:
        for subject in (None, "python", "physics", "english"):
            for language in (None, "uk", "en", "ru", "de"):
                for rating in (None, 0.5, 3.5, 4.0, 4.5, 5.0):
                    filters = mentor_filter_query(
                        subject=subject, language=language, min_rating=rating
                    )
                    if filters is None:
                        continue
                    cursor.execute(
                        "SELECT id FROM social_mentors_mentorprofile"
                        " WHERE search_vector @@ %s::tsquery",
                        [filters],
                    )
                    indexed = {row[0] for row in cursor.fetchall()}
                    expected = {
                        p.id for p in profiles
                        if (subject is None or subject in p.subjects)
                        and (language is None or language in p.languages)
                        and (not rating or (p.reviews_count > 0 and p.average >= rating))
                    }  # fmt: skip
                    assert indexed == expected, (subject, language, rating)


def test_a_query_without_words_finds_no_mentor_even_with_filters(member: Any, anon: Any) -> None:
    """Punctuation alone is a text query with no lexeme: it matches nothing, with or without
    filters (the filters' lexemes must not stand in for the missing text)."""
    mentor(member("solo"), subjects=["python"], languages=["en"], average=4.5, count=10)
    assert found_mentors(anon, q="python") == ["solo"]
    assert found_mentors(anon, q="!!!") == []
    assert found_mentors(anon, q="!!!", subject="python", language="en", min_rating=4) == []


def test_mentors_found_by_word_forms_in_three_languages(member: Any, anon: Any) -> None:
    mentor(member("olga"), subjects=["physics"], languages=["ru"],
           bio="Преподаю математику школьникам и студентам")  # fmt: skip
    mentor(member("taras"), subjects=["writing"], languages=["uk"],
           bio="Навчаю програмування дітей та дорослих")  # fmt: skip
    mentor(member("emma"), subjects=["business"], languages=["en"],
           bio="I teach statistics for data analysis")  # fmt: skip
    # Russian: other cases of the same words.
    assert found_mentors(anon, q="математика") == ["olga"]
    assert found_mentors(anon, q="школьники") == ["olga"]
    # Ukrainian: other cases of the same word.
    assert found_mentors(anon, q="програмуванню") == ["taras"]
    assert found_mentors(anon, q="дітям") == ["taras"]
    # English: singular for plural, and two words.
    assert found_mentors(anon, q="statistic") == ["emma"]
    assert found_mentors(anon, q="data analysis") == ["emma"]
    # A subject is found by its name in every language, whichever the mentor's language.
    assert found_mentors(anon, q="Физика") == ["olga"]
    assert found_mentors(anon, q="фізика") == ["olga"]
    assert found_mentors(anon, q="physics") == ["olga"]
    assert found_mentors(anon, q="nothing like it") == []


def test_mentor_filters_then_rank_order(member: Any, anon: Any) -> None:
    mentor(member("best"), subjects=["python"], languages=["uk", "en"], average=4.8, count=200)
    mentor(member("lucky"), subjects=["python"], languages=["uk"], average=5.0, count=1)
    mentor(member("rusonly"), subjects=["python"], languages=["ru"], average=5.0, count=50)
    mentor(member("low"), subjects=["python"], languages=["uk"], average=3.0, count=40)
    mentor(member("maths"), subjects=["mathematics"], languages=["uk"], average=5.0, count=90)
    mentor(member("fresh"), subjects=["python"], languages=["uk"])
    # Subject and rating without text: by the Bayesian rank (5.0 from one review after 4.8
    # from two hundred); no filter needs `type`.
    r = anon.get(SEARCH, {"subject": "python", "min_rating": "4", "language": "uk"})
    assert r.status_code == 200 and handles(r.json()) == ["best", "lucky"]
    assert found_mentors(anon, subject="python", language="uk") == [
        "best", "lucky", "low", "fresh"
    ]  # fmt: skip
    assert found_mentors(anon, subject="python", min_rating="0") == [
        "rusonly", "best", "lucky", "low", "fresh"
    ]  # fmt: skip
    assert found_mentors(anon, language="ru") == ["rusonly"]
    assert found_mentors(anon, q="python", min_rating="4.9", subject="python") == [
        "rusonly", "lucky"
    ]  # fmt: skip


def test_text_relevance_comes_before_the_rating(member: Any, anon: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite finds by containment and ranks by rating only")
    mentor(member("fan"), bio="Django, Django and more Django: Django every day.",
           average=3.5, count=30)  # fmt: skip
    mentor(member("star"), bio="Some Django too.", average=4.9, count=300)
    assert found_mentors(anon, q="django") == ["fan", "star"]
    assert found_mentors(anon, q="django", min_rating="4") == ["star"]


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"subject": "astrology"}, "subject", "Unknown subject 'astrology'"),
        ({"min_rating": "6"}, "min_rating", "A number from 0 to 5, got '6'"),
        ({"min_rating": "-1"}, "min_rating", "A number from 0 to 5"),
        ({"min_rating": "nan"}, "min_rating", "A number from 0 to 5"),
        ({"min_rating": "five"}, "min_rating", "A number from 0 to 5"),
        ({"language": "xx"}, "language", "Unknown language 'xx'"),
        ({"q": "ada", "type": "pages", "subject": "python"}, "subject", "type=mentors"),
        ({"q": "ada", "type": "planets"}, "type", "Must be one of"),
        ({"type": "mentors"}, "q", "From 2 to 100 characters"),
        ({"type": "posts", "q": "x"}, "q", "From 2 to 100 characters"),
    ],
)
def test_bad_input_names_the_parameter(
    anon: Any, params: dict[str, str], field: str, text: str
) -> None:
    r = anon.get(SEARCH, params)
    assert r.status_code == 400, r.json()
    assert text in r.json()["fields"][field][0]["message"], r.json()


def test_no_text_and_no_filter_breaks_the_documented_rule(anon: Any) -> None:
    r = anon.get(SEARCH, {"type": "mentors"})
    assert r.status_code == 400 and r.json()["fields"]["q"][0]["code"] == "query_needed"
    assert anon.get(SEARCH, {"subject": "python"}).status_code == 200
    r = anon.get(SEARCH, {"q": "ada", "type": "users", "subject": "python"})
    assert r.json()["fields"]["subject"][0]["code"] == "mentors_only"


def test_the_400_is_in_the_readers_language(anon: Any) -> None:
    r = anon.get(SEARCH, {"min_rating": "6"}, HTTP_ACCEPT_LANGUAGE="uk")
    assert r.status_code == 400
    assert r.json()["fields"]["min_rating"][0]["message"] == "Число від 0 до 5, отримано '6'."
    r = anon.get(SEARCH, {"subject": "astrology"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert r.json()["fields"]["subject"][0]["message"].startswith("Неизвестный предмет")


def test_hidden_mentors_are_never_found(member: Any, anon: Any) -> None:
    mentor(member("ada"), bio="geometry lessons")
    mentor(member("eve"), bio="geometry lessons")
    mentor(member("gone"), bio="geometry lessons")
    blocker = member("zed")
    mentor(blocker, bio="geometry lessons")
    eve = MentorProfile.objects.get(page__handle="eve").user_id
    handle_event(make_event(type="auth.user.banned", key=eve, data={"until": None, "reason": "x"}))
    gone = MentorProfile.objects.get(page__handle="gone").user_id
    MentorProfile.objects.filter(user_id=gone).update(withdrawn_at="2026-01-01T00:00:00Z")
    bob = member("bob")
    blocker.post("/api/social/pages/zed/blocks/", {"user_id": str(bob.user.id)}, format="json")
    assert sorted(found_mentors(anon, q="geometry")) == ["ada", "zed"]
    assert found_mentors(bob, q="geometry") == ["ada"]
    # Staff see blocked pages elsewhere, but search never lists a banned mentor.
    moderator = member("mod", role="moderator")
    assert "eve" not in found_mentors(moderator, q="geometry")


def test_posts_found_only_where_the_reader_may_read(member: Any, page_of: Any, anon: Any) -> None:
    ada, bob, cy, eve = member("ada"), member("bob"), member("cy"), member("eve")
    page_of(ada, "secret", private=True)
    public = create_post(page=ada.page, actor_id=ada.user.id, text="Учимся решать задачи")
    secret = Page.objects.get(handle_key="secret")
    hidden = create_post(page=secret, actor_id=ada.user.id, text="Решаем задачи вместе")
    banned = create_post(page=eve.page, actor_id=eve.user.id, text="задачи на каждый день")
    handle_event(
        make_event(type="auth.user.banned", key=eve.user.id, data={"until": None, "reason": "x"})
    )
    bob.post("/api/social/pages/secret/follow/")
    ada.post(
        "/api/social/pages/secret/requests/approve/",
        {"user_ids": [str(bob.user.id)]},
        format="json",
    )

    def found(client: Any) -> set[str]:
        r = client.get(SEARCH, {"type": "posts", "q": "задача"})
        assert r.status_code == 200, r.json()
        return {p["id"] for p in r.json()["results"]}

    assert found(anon) == found(cy) == {str(public.id)}
    assert found(bob) == {str(public.id), str(hidden.id)}  # an approved follower
    assert found(ada) == {str(public.id), str(hidden.id)}
    assert str(banned.id) not in found(member("mod", role="moderator"))
    deleted = ada.delete(f"/api/social/posts/{public.id}/")
    assert deleted.status_code == 204 and found(cy) == set()


def test_posts_and_tags_by_hashtag(member: Any, page_of: Any, anon: Any) -> None:
    ada = member("ada")
    page_of(ada, "secret", private=True)
    secret = Page.objects.get(handle_key="secret")
    for i in range(3):
        create_post(page=ada.page, actor_id=ada.user.id, text=f"day {i} #python #pytest")
    create_post(page=secret, actor_id=ada.user.id, text="#pyramids of #python")
    r = anon.get(SEARCH, {"type": "posts", "q": "#python"})
    assert len(r.json()["results"]) == 3
    r = anon.get(SEARCH, {"type": "tags", "q": "#py"})
    assert r.status_code == 200
    assert r.json()["results"] == [{"tag": "pytest", "posts": 3}, {"tag": "python", "posts": 3}]
    r = ada.get(SEARCH, {"type": "tags", "q": "py"})
    assert r.json()["results"][0] == {"tag": "python", "posts": 4}
    assert {"tag": "pyramids", "posts": 1} in r.json()["results"]


@pytest.mark.parametrize("kind", ["mentors", "posts"])
def test_paginated_with_a_bounded_number_of_queries(
    member: Any, anon: Any, kind: str, django_assert_max_num_queries: Any
) -> None:
    ada = member("ada")
    for i in range(12):
        if kind == "mentors":
            mentor(member(f"m{i:02d}"), bio="algebra tutor", average=3 + i / 10, count=5 + i)
        else:
            create_post(page=ada.page, actor_id=ada.user.id, text=f"algebra notes {i}")
    seen: list[str] = []
    url = f"{SEARCH}?q=algebra&type={kind}&page_size=5"
    if kind == "mentors":
        url += "&min_rating=1&language=en"
    while url:
        # Mentors: one query; posts: the posts and their videos' conversions (none here).
        with django_assert_max_num_queries(2):
            body = anon.get(url).json()
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
        assert url is None or "min_rating=1" in url or kind == "posts"
    assert len(seen) == len(set(seen)) == 12
    if kind == "mentors":
        ranks = [
            MentorProfile.objects.get(id=i).rank for i in seen
        ]  # same text: the Bayesian rank decides
        assert ranks == sorted(ranks, reverse=True)
