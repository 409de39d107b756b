from __future__ import annotations

from typing import Any

import pytest

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
