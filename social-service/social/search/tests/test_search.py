from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet

pytestmark = pytest.mark.django_db

API = "/api/social"


def test_search_pages_by_name_handle_uuid_tag(member: Any, page_of: Any, anon: Any) -> None:
    ada = member("ada")
    page = page_of(ada, "mathclub", tags=["algebra"])
    page_of(ada, "cooking")
    for query in ("mathclub", "Mathclub", "#algebra", str(page.id)):
        results = anon.get(f"{API}/search/", {"q": query}).json()["results"]
        assert results and results[0]["id"] == str(page.id), query


def test_search_users_and_hides_banned(member: Any, make_user: Any) -> None:
    viewer = member("viewer")
    member("grace_hopper")
    make_user(username="grace_banned", is_banned=True)
    names = [
        u["username"]
        for u in viewer.get(f"{API}/search/", {"q": "grace", "type": "users"}).json()["results"]
    ]
    assert names == ["grace_hopper"]


def test_search_respects_blocks(member: Any, page_of: Any) -> None:
    ada, bob, mod = member("ada"), member("bob"), member("mod", role="moderator")
    ada.post(f"{API}/pages/ada/blocks/", {"user_id": str(bob.user.id)}, format="json")
    assert bob.get(f"{API}/search/", {"q": "ada"}).json()["results"] == []
    mod.post(
        f"{API}/moderation/pages/ada/block/", {"reason": "x", "duration_hours": 1}, format="json"
    )
    assert member("cy").get(f"{API}/search/", {"q": "ada"}).json()["results"] == []
    assert mod.get(f"{API}/search/", {"q": "ada"}).json()["results"]


def test_search_validates_and_paginates(
    member: Any, page_of: Any, django_assert_max_num_queries: Any
) -> None:
    ada = member("ada")
    r = ada.get(f"{API}/search/", {"q": "a"})
    assert (
        r.status_code == 400 and "From 2 to 100 characters" in r.json()["fields"]["q"][0]["message"]
    )
    for i in range(12):
        page_of(ada, f"club_{i:02d}")
    seen: list[str] = []
    url = f"{API}/search/?q=club&page_size=5"
    while url:
        with django_assert_max_num_queries(2):
            body = ada.get(url).json()
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 12


def test_anonymous_search_is_rate_limited(member: Any, anon: Any, settings: Any) -> None:
    import uuid

    settings.SOCIAL_SEARCH_ANON_RATE = "3/m"
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    anon.defaults["REMOTE_ADDR"] = address
    for _ in range(3):
        assert anon.get(f"{API}/search/", {"q": "ada"}).status_code == 200
    refused = anon.get(f"{API}/search/", {"q": "ada"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled" and "at most 3 per minute" in body["message"]
    assert 0 < body["retry_after"] <= 60 and int(refused["Retry-After"]) == body["retry_after"]
    assert "request_id" in body
    # Signed-in users are not counted, nor another address.
    viewer = member("viewer")
    viewer.defaults["REMOTE_ADDR"] = address
    assert viewer.get(f"{API}/search/", {"q": "ada"}).status_code == 200
    anon.defaults["REMOTE_ADDR"] = "10.255.255.1" if address != "10.255.255.1" else "10.255.255.2"
    assert anon.get(f"{API}/search/", {"q": "ada"}).status_code == 200


@pytest.mark.parametrize(
    ("kind", "query", "indexes"),
    [
        (
            "pages",
            "math club",
            [
                "page_search_document_idx",
                "page_search_handle_trgm_idx",
                "page_search_name_trgm_idx",
                "page_search_tags_idx",
            ],
        ),
        (
            "users",
            "grace",
            ["userref_search_username_trgm_idx", "userref_search_display_name_trgm_idx"],
        ),
    ],
)
def test_search_is_answered_by_indexes(
    member: Any, page_of: Any, kind: str, query: str, indexes: list[str]
) -> None:
    """Every matching condition is one an index answers: with sequential scans priced out
    (as on a large table), the plan finds the pages or users through the search indexes. A
    moderator's search has no visibility filter, whose own indexes the planner could pick on a
    table this small; bench/social_search_plan.py shows the plans of a user's search on 50,000
    rows."""
    from django.db import connection

    from social.search import selectors

    if connection.vendor != "postgresql":
        pytest.skip("the indexes exist on PostgreSQL only")
    viewer = member("viewer", role="moderator")
    page_of(viewer, "mathclub", tags=["algebra"])
    with connection.cursor() as cursor:
        # Full scans priced out, the one through an unrelated index included: only bitmap scans
        # of indexes whose condition the query has are left.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    search = selectors.search_pages if kind == "pages" else selectors.search_users
    rows: QuerySet[Any] = search(query=query, viewer=viewer.user)
    plan = rows.order_by("-rank", "id")[:21].explain()
    for index in indexes:
        assert index in plan, plan
    table = "social_pages_page" if kind == "pages" else "cotask_users_userref"
    assert f"Seq Scan on {table}" not in plan, plan


def test_the_mentor_filters_are_documented_as_checked(member: Any) -> None:
    """`min_rating` is 0 to 5 in the document as in the check: every value the document calls
    valid is taken, with or without a text, and one outside is a 400 naming it."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    parameters = document["paths"][f"{API}/search/"]["get"]["parameters"]
    rating = next(p for p in parameters if p.get("name") == "min_rating")["schema"]
    assert (rating["minimum"], rating["maximum"]) == (0, 5)
    ada = member("ada")
    for value in ("0", "2.5", "5", "-0.0"):
        for extra in ({}, {"q": "py"}, {"q": "py", "type": "mentors"}):
            r = ada.get(f"{API}/search/", {"min_rating": value, **extra})
            assert r.status_code == 200, (value, extra, r.json())
    for value in ("5.5", "-1", "nan", "inf", "", " "):
        r = ada.get(f"{API}/search/", {"min_rating": value})
        assert r.status_code == 400 and "min_rating" in r.json()["fields"], value
    r = ada.get(f"{API}/search/", {"q": "py", "type": ""})
    assert r.status_code == 400 and "type" in r.json()["fields"]
