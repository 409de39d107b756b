"""The "for you" feed: the reason of every source, what is never recommended (the attacker
cases), paging, the `kind` filter, the query count and a reason in ru and uk."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from social.mentors.tests.test_learning_requests import post_request
from social.mentors.tests.test_profiles import set_up

pytestmark = pytest.mark.django_db

API = "/api/social"
FOR_YOU = f"{API}/for-you/"


def _post(client: Any, handle: str, text: str = "hi", tags: list[str] | None = None) -> str:
    r = client.post(
        f"{API}/pages/{handle}/posts/", {"text": text, "tags": tags or []}, format="json"
    )
    assert r.status_code == 201, r.json()
    return str(r.json()["id"])


def _feed(client: Any, query: str = "", size: int = 20) -> list[dict[str, Any]]:
    """Every item, following `next`."""
    items: list[dict[str, Any]] = []
    url: str | None = f"{FOR_YOU}?page_size={size}{query}"
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.json()
        items += r.json()["results"]
        url = r.json()["next"]
    return items


def _reasons(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """item id -> its reason codes."""
    return {
        str(item[item["kind"]]["id"]): [reason["code"] for reason in item["reasons"]]
        for item in items
    }


def _tagged_page(member: Any, page_of: Any, reader: Any, tag: str = "python") -> None:
    """The reader follows a page about `tag` (the source of `followed_tag`)."""
    owner = member(f"{tag}_fan")
    page_of(owner, f"{tag}_club", tags=[tag])
    assert reader.post(f"{API}/pages/{tag}_club/follow/").status_code in (200, 201)


def test_followed_tag_liked_tag_and_popular_with_following(member: Any, page_of: Any) -> None:
    reader, ada, cat = member("reader"), member("ada"), member("cat")
    friends = [member("dan"), member("eve")]
    _tagged_page(member, page_of, reader)
    # A post about the tag, on a page the reader does not follow.
    tagged = _post(ada, "ada", "decorators explained", ["python"])
    # The reader liked a post about #rust: another #rust post is recommended for that.
    liked = _post(ada, "ada", "ownership", ["rust"])
    assert reader.post(f"{API}/posts/{liked}/like/").status_code in (200, 201)
    rusty = _post(cat, "cat", "borrowing", ["rust"])
    # Two people the reader follows like cat's untagged post.
    popular = _post(cat, "cat", "my garden")
    for friend in friends:
        assert reader.post(f"{API}/pages/{friend.page.handle}/follow/").status_code in (200, 201)
        assert friend.post(f"{API}/posts/{popular}/like/").status_code in (200, 201)
    untouched = _post(cat, "cat", "nothing to see")

    items = _feed(reader)
    reasons = _reasons(items)
    assert reasons[tagged] == ["followed_tag"]
    assert reasons[rusty] == ["liked_tag"]
    assert reasons[popular] == ["popular_with_following"]
    assert untouched not in reasons and liked not in reasons  # no reason; already liked
    texts = {str(i["post"]["id"]): i["reasons"][0]["text"] for i in items if i["kind"] == "post"}
    assert texts[tagged] == "Because you follow pages about #python"
    assert texts[rusty] == "Because you liked posts about #rust"
    assert texts[popular] == "Liked by 2 people you follow"
    # Ranked: liked by two people you follow first.
    assert str(items[0]["post"]["id"]) == popular
    assert items[0]["post"]["page"]["handle"] == "cat"
    # Posts of the pages the reader follows are in the home feed, not here; nor their own.
    followed_post = _post(friends[0], "dan", "more python", ["python"])
    own = _post(reader, "reader", "mine", ["python"])
    reasons = _reasons(_feed(reader))
    assert followed_post not in reasons and own not in reasons


def test_mentor_reasons(member: Any, page_of: Any) -> None:
    reader, teacher, other = member("reader"), member("teacher"), member("other")
    assert set_up(teacher, subjects=["python"], languages=["uk"]).status_code == 200
    assert set_up(other, subjects=["mathematics"], languages=["en"]).status_code == 200
    assert post_request(reader, subject="python", tags=[], language="uk").status_code == 201
    items = _feed(reader, "&kind=mentors")
    assert [i["kind"] for i in items] == ["mentor"]
    [item] = items
    assert item["mentor"]["user_id"] == str(teacher.user.id)
    assert item["reasons"] == [
        {
            "code": "matches_learning_request",
            "text": "Matches your learning request for Python",
        }
    ]
    # Following a page about mathematics: the mathematics mentor, for that.
    _tagged_page(member, page_of, reader, tag="mathematics")
    reasons = _reasons(_feed(reader, "&kind=mentors"))
    other_profile = other.get(f"{API}/mentors/me/").json()["id"]
    assert reasons[other_profile] == ["teaches_your_subject"]
    # Never someone who blocked the reader, nor someone the reader blocked.
    assert teacher.post(
        f"{API}/pages/teacher/blocks/", {"user_id": str(reader.user.id)}, format="json"
    ).status_code in (200, 201)
    assert reader.post(
        f"{API}/pages/reader/blocks/", {"user_id": str(other.user.id)}, format="json"
    ).status_code in (200, 201)
    assert _feed(reader, "&kind=mentors") == []
    # Never oneself: the reader as a mentor of mathematics is not recommended to themself.
    assert set_up(reader, subjects=["mathematics"], languages=["en"]).status_code == 200
    mine = reader.get(f"{API}/mentors/me/").json()["id"]
    assert mine not in _reasons(_feed(reader))


def test_what_is_never_recommended(member: Any, page_of: Any) -> None:
    reader, friend = member("reader"), member("friend")
    assert reader.post(f"{API}/pages/friend/follow/").status_code in (200, 201)
    owners = {name: member(name) for name in ("private", "exfan", "blocker", "banned", "pest")}
    # A private page the reader does not follow.
    page_of(owners["private"], "hidden", private=True)
    secret = _post(owners["private"], "hidden", "secret", ["python"])
    # A private page the reader followed and was removed from (an ex-follower).
    page_of(owners["exfan"], "formerly", private=True)
    reader.post(f"{API}/pages/formerly/follow/")
    owners["exfan"].post(f"{API}/pages/formerly/requests/approve/", {"all": True}, format="json")
    was_followed = _post(owners["exfan"], "formerly", "was readable", ["python"])
    owners["exfan"].delete(f"{API}/pages/formerly/followers/{reader.user.id}/")
    # An author who blocked the reader from their personal page (and posts on another page).
    owners["blocker"].post(
        f"{API}/pages/blocker/blocks/", {"user_id": str(reader.user.id)}, format="json"
    )
    page_of(owners["blocker"], "blockers_other")
    blocked_other = _post(owners["blocker"], "blockers_other", "elsewhere", ["python"])
    blocked_own = _post(owners["blocker"], "blocker", "here", ["python"])
    # Someone the reader blocked from their own page.
    blocked_by_me = _post(owners["pest"], "pest", "not for you", ["python"])
    # A banned author and a deleted one.
    banned = _post(owners["banned"], "banned", "banned", ["python"])
    handle_event(
        make_event(
            type="auth.user.banned",
            key=owners["banned"].user.id,
            data={"until": None, "reason": "x"},
        )
    )
    deleted_author = member("deleted")
    deleted = _post(deleted_author, "deleted", "from a deleted account", ["python"])
    # The friend likes every one of them, and the reader follows a #python page.
    _tagged_page(member, page_of, reader)
    for post in (secret, was_followed, blocked_other, blocked_own, blocked_by_me, banned, deleted):
        friend.post(f"{API}/posts/{post}/like/")
    visible = _post(friend, "friend", "control", ["python"])  # followed: not here either
    control = _post(member("control"), "control", "control", ["python"])
    assert set(_reasons(_feed(reader))) >= {control, blocked_by_me, deleted}
    reader.post(
        f"{API}/pages/reader/blocks/", {"user_id": str(owners["pest"].user.id)}, format="json"
    )
    handle_event(make_event(type="auth.user.deleted", key=str(deleted_author.user.id), data={}))
    seen = set(_reasons(_feed(reader)))
    assert control in seen
    for post in (secret, was_followed, blocked_other, blocked_own, blocked_by_me, banned, deleted):
        assert post not in seen
    assert visible not in seen


def test_anonymous_401_bad_kind_and_cursor(member: Any, anon: Any) -> None:
    assert anon.get(FOR_YOU).status_code == 401
    reader = member("reader")
    r = reader.get(f"{FOR_YOU}?kind=people")
    assert r.status_code == 400 and "kind" in r.json()["fields"], r.json()
    r = reader.get(f"{FOR_YOU}?cursor=!!!")
    assert r.status_code == 400 and "cursor" in r.json()["fields"], r.json()
    r = reader.get(f"{FOR_YOU}?page_size=0")
    assert r.status_code == 400 and "page_size" in r.json()["fields"], r.json()
    assert reader.get(FOR_YOU).json() == {"next": None, "previous": None, "results": []}


def test_banned_reader_is_refused(member: Any) -> None:
    reader = member("reader")
    handle_event(
        make_event(type="auth.user.banned", key=reader.user.id, data={"until": None, "reason": "x"})
    )
    assert reader.get(FOR_YOU).status_code in (401, 403)


def _rows(member: Any, friend: Any, count: int, start: int) -> None:
    """`count` authors, each with a #python post the friend likes, and a Python mentor."""
    for i in range(start, start + count):
        author = member(f"author{i}")
        post = _post(author, author.page.handle, f"post {i}", ["python"])
        assert friend.post(f"{API}/posts/{post}/like/").status_code in (200, 201)
        assert set_up(author, subjects=["python"], languages=["en"]).status_code == 200


def test_pages_without_duplicates_and_a_bounded_query_count(
    member: Any, page_of: Any, django_assert_max_num_queries: Any
) -> None:
    reader, friend = member("reader"), member("friend")
    _tagged_page(member, page_of, reader)
    assert reader.post(f"{API}/pages/friend/follow/").status_code in (200, 201)
    assert post_request(reader, subject="python", tags=[], language="en").status_code == 201
    _rows(member, friend, 2, 0)
    with django_assert_max_num_queries(17) as few:
        assert len(reader.get(FOR_YOU).json()["results"]) == 4
    counted = len(few)  # now: the next request resets the connection's query log
    _rows(member, friend, 8, 2)
    with django_assert_max_num_queries(counted):
        body = reader.get(FOR_YOU).json()
    assert len(body["results"]) == 20  # 10 posts, 10 mentors
    items = _feed(reader, size=3)
    ids = [str(i[i["kind"]]["id"]) for i in items]
    assert len(ids) == len(set(ids)) == 20
    assert {i["kind"] for i in _feed(reader, "&kind=posts")} == {"post"}
    reasons = _reasons(items)
    assert sum(r == ["followed_tag", "popular_with_following"] for r in reasons.values()) == 10


def test_a_reason_in_russian_and_ukrainian(member: Any, page_of: Any) -> None:
    reader, ada = member("reader"), member("ada")
    _tagged_page(member, page_of, reader)
    _post(ada, "ada", "x", ["python"])
    ru = reader.get(FOR_YOU, HTTP_ACCEPT_LANGUAGE="ru").json()["results"][0]["reasons"][0]
    uk = reader.get(FOR_YOU, HTTP_ACCEPT_LANGUAGE="uk").json()["results"][0]["reasons"][0]
    assert ru["code"] == uk["code"] == "followed_tag"
    assert ru["text"] == "Потому что вы подписаны на страницы о #python"
    assert uk["text"] == "Бо ви стежите за сторінками про #python"
