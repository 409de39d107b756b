from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from social.pages.models import Follow, Page

pytestmark = pytest.mark.django_db

API = "/api/social"


def test_registered_user_gets_a_personal_page(published_events: Any) -> None:
    user_id = "0190e5a0-0000-7000-8000-000000000001"
    event = make_event(
        type="auth.user.registered",
        key=user_id,
        data={
            "id": user_id,
            "username": "ada",
            "display_name": "Ada L",
            "role": "user",
            "email_verified": True,
        },
    )
    assert handle_event(event) is True
    page = Page.objects.get(owner_id=uuid.UUID(user_id))
    assert (page.kind, page.handle, page.name) == ("personal", "ada", "Ada L")
    assert handle_event(event) is False  # a redelivery changes nothing
    assert Page.objects.filter(owner_id=uuid.UUID(user_id)).count() == 1
    [created] = published_events("social.page.created")
    assert created.data["owner_id"] == user_id


def test_create_edit_delete_page(member: Any) -> None:
    ada = member("ada")
    response = ada.post(
        f"{API}/pages/",
        {"handle": "StudyGroup", "name": "Study", "tags": ["Math", "#physics"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tags"] == ["math", "physics"]
    # handles are unique regardless of case
    again = ada.post(f"{API}/pages/", {"handle": "studygroup", "name": "X"}, format="json")
    assert again.status_code == 409
    assert again.json()["fields"]["handle"][0]["code"] == "taken"
    # found by handle in any case
    assert ada.get(f"{API}/pages/STUDYGROUP/").json()["id"] == body["id"]
    patched = ada.patch(f"{API}/pages/{body['id']}/", {"description": "We study"}, format="json")
    assert patched.status_code == 200 and patched.json()["description"] == "We study"
    listed = ada.get(f"{API}/pages/").json()["results"]
    assert {p["handle"] for p in listed} == {"ada", "StudyGroup"}
    assert ada.delete(f"{API}/pages/{body['id']}/").status_code == 204
    assert ada.delete(f"{API}/pages/{ada.page.id}/").status_code == 403  # the personal page stays


def test_page_validation_names_field_and_limit(member: Any) -> None:
    ada = member("ada")
    r = ada.post(f"{API}/pages/", {"handle": "x", "name": "N"}, format="json")
    assert r.status_code == 400 and "handle" in r.json()["fields"]
    r = ada.post(f"{API}/pages/", {"handle": "okay_handle", "name": "N" * 101}, format="json")
    assert (
        r.status_code == 400
        and "At most 100 characters" in r.json()["fields"]["name"][0]["message"]
    )
    r = ada.post(
        f"{API}/pages/",
        {"handle": "okay_handle", "name": "N", "tags": [f"t{i}" for i in range(11)]},
        format="json",
    )
    # The document says at most 10 items (`maxItems`), which DRF checks before the service.
    assert r.status_code == 400 and r.json()["fields"]["tags"][0]["code"] == "max_length"


def test_links_are_what_the_document_states(member: Any) -> None:
    """An http(s) URL (the scheme, then 1 to 500 characters that are not spaces), at most 5:
    the document's pattern and the service's check are the same."""
    import re

    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    body = document["paths"][f"{API}/pages/"]["post"]["requestBody"]["content"]
    schema = document["components"]["schemas"][
        body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    links = schema["properties"]["links"]
    assert links["maxItems"] == 5
    # A page's name, edited, is not blank either (the service says so in its words).
    edit = document["components"]["schemas"]["PatchedPageUpdateInputRequest"]["properties"]
    assert edit["name"]["pattern"] == r"\S"
    ada = member("ada")
    good = ["https://example.com/a", "http://x", "https://" + "y" * 500]
    assert all(re.match(links["items"]["pattern"], link) for link in good)
    r = ada.post(f"{API}/pages/", {"handle": "links_ok", "name": "N", "links": good}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["links"] == good
    for wrong in ("ftp://x", "https://", "https://a b", " https://x", "https://" + "y" * 501):
        assert not re.match(links["items"]["pattern"], wrong)
        r = ada.patch(f"{API}/pages/{ada.page.id}/", {"links": [wrong]}, format="json")
        assert r.status_code == 400 and "links" in r.json()["fields"], wrong
    r = ada.patch(f"{API}/pages/{ada.page.id}/", {"links": ["http://x"] * 6}, format="json")
    assert r.status_code == 400 and "links" in r.json()["fields"]


def test_only_owner_edits(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    r = bob.patch(f"{API}/pages/{ada.page.id}/", {"name": "hacked"}, format="json")
    assert r.status_code == 403


def test_anonymous_reads_public_page_but_cannot_write(member: Any, anon: Any) -> None:
    member("ada")
    assert anon.get(f"{API}/pages/ada/").status_code == 200
    assert (
        anon.post(f"{API}/pages/", {"handle": "abc", "name": "A"}, format="json").status_code == 401
    )
    assert anon.post(f"{API}/pages/ada/follow/").status_code == 401


def test_public_follow_and_unfollow(member: Any, published_events: Any) -> None:
    ada, bob = member("ada"), member("bob")
    r = bob.post(f"{API}/pages/ada/follow/")
    assert r.status_code == 201 and r.json()["status"] == "approved"
    assert bob.post(f"{API}/pages/ada/follow/").status_code == 201  # idempotent
    detail = bob.get(f"{API}/pages/ada/").json()
    assert detail["followers_count"] == 1 and detail["follow_status"] == "approved"
    [created] = published_events("social.follow.created")
    assert created.data["recipient_ids"] == [str(ada.user.id)]
    assert bob.get(f"{API}/me/").json()["following_count"] == 1
    assert bob.delete(f"{API}/pages/ada/follow/").status_code == 204
    assert bob.get(f"{API}/pages/ada/").json()["followers_count"] == 0
    assert published_events("social.follow.removed")[0].data["reason"] == "unfollowed"
    assert bob.post(f"{API}/pages/bob/follow/").status_code == 400  # own page


def test_private_page_requests_approve_one_several_all(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada = member("ada")
    page_of(ada, "secret", private=True)
    fans = [member(f"fan{i}") for i in range(5)]
    for fan in fans:
        r = fan.post(f"{API}/pages/secret/follow/")
        assert r.status_code == 202 and r.json()["status"] == "pending"
    requested = published_events("social.follow.requested")
    assert len(requested) == 5 and requested[0].data["recipient_ids"] == [str(ada.user.id)]
    # non-follower sees the profile but not the followers or posts
    assert fans[0].get(f"{API}/pages/secret/").status_code == 200
    assert fans[0].get(f"{API}/pages/secret/followers/").status_code == 403
    assert fans[0].get(f"{API}/pages/secret/requests/").status_code == 403
    pending = ada.get(f"{API}/pages/secret/requests/").json()["results"]
    assert len(pending) == 5
    one = ada.post(
        f"{API}/pages/secret/requests/approve/", {"user_ids": [str(fans[0].user.id)]}, format="json"
    )
    assert one.json() == {"count": 1}
    several = ada.post(
        f"{API}/pages/secret/requests/reject/",
        {"user_ids": [str(fans[1].user.id), str(fans[2].user.id)]},
        format="json",
    )
    assert several.json() == {"count": 2}
    rest = ada.post(f"{API}/pages/secret/requests/approve/", {"all": True}, format="json")
    assert rest.json() == {"count": 2}
    assert ada.post(f"{API}/pages/secret/requests/approve/", {}, format="json").status_code == 400
    approved = published_events("social.follow.approved")
    assert {e.data["recipient_ids"][0] for e in approved} == {
        str(f.user.id) for f in (fans[0], fans[3], fans[4])
    }
    rejected = published_events("social.follow.rejected")
    assert {e.data["follower_id"] for e in rejected} == {str(fans[1].user.id), str(fans[2].user.id)}
    assert fans[0].get(f"{API}/pages/secret/followers/").status_code == 200
    assert Page.objects.get(handle_key="secret").followers_count == 3


def test_remove_follower_and_block_user(member: Any, published_events: Any) -> None:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    bob.post(f"{API}/pages/ada/follow/")
    cy.post(f"{API}/pages/ada/follow/")
    assert bob.delete(f"{API}/pages/ada/followers/{cy.user.id}/").status_code == 403
    assert ada.delete(f"{API}/pages/ada/followers/{cy.user.id}/").status_code == 204
    removed = published_events("social.follow.removed")[-1]
    assert removed.data["reason"] == "removed_by_owner" and removed.data["recipient_ids"] == [
        str(cy.user.id)
    ]
    r = ada.post(f"{API}/pages/ada/blocks/", {"user_id": str(bob.user.id)}, format="json")
    assert r.status_code == 201
    assert not Follow.objects.filter(user_id=bob.user.id).exists()
    assert bob.get(f"{API}/pages/ada/").status_code == 404
    assert bob.post(f"{API}/pages/ada/follow/").status_code == 404
    assert len(ada.get(f"{API}/pages/ada/blocks/").json()["results"]) == 1
    assert ada.delete(f"{API}/pages/ada/blocks/{bob.user.id}/").status_code == 204
    assert bob.post(f"{API}/pages/ada/follow/").status_code == 201


@pytest.mark.parametrize("size", [5, 50])
def test_follower_lists_query_count_is_flat(
    member: Any, make_user: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    from social.pages.services import follow_page

    ada = member("ada")
    for _ in range(60):
        follow_page(page=ada.page, user_id=make_user().id)
    for url in ("pages/ada/followers/", "pages/", "pages/ada/requests/", "pages/ada/blocks/"):
        with django_assert_max_num_queries(4):
            r = ada.get(f"{API}/{url}?page_size={size}")
        assert r.status_code == 200
    bob = member("bob")
    for i in range(60):
        follow_page(
            page=Page.objects.create(
                owner=make_user(), handle=f"p{i}xx", handle_key=f"p{i}xx", name="p"
            ),
            user_id=bob.user.id,
        )
    with django_assert_max_num_queries(3):
        r = bob.get(f"{API}/me/following/?page_size={size}")
    assert len(r.json()["results"]) == size


def test_ban_blocks_all_pages_and_unban_restores_unless_moderated(
    member: Any, page_of: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    page_of(ada, "second")
    handle_event(
        make_event(type="auth.user.banned", key=ada.user.id, data={"until": None, "reason": "spam"})
    )
    assert set(Page.objects.filter(owner_id=ada.user.id).values_list("is_blocked", flat=True)) == {
        True
    }
    assert bob.get(f"{API}/pages/ada/").status_code == 404
    # a moderator blocked `second` separately while the ban was on
    from datetime import timedelta

    from social.moderation.services import block_page

    moderator = type("M", (), {"id": bob.user.id, "role": "moderator"})()
    block_page(
        page=Page.objects.get(handle_key="second"),
        actor=moderator,
        reason="x",
        duration=timedelta(days=1),
    )
    handle_event(make_event(type="auth.user.unbanned", key=ada.user.id, data={}))
    assert Page.objects.get(handle_key="ada").is_blocked is False
    assert Page.objects.get(handle_key="second").is_blocked is True


def test_deactivation_blocks_all_pages_like_a_ban_until_reactivated(
    member: Any, page_of: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    page_of(ada, "second")
    handle_event(
        make_event(type="auth.user.deactivated", key=ada.user.id, data={"is_active": False})
    )
    assert set(Page.objects.filter(owner_id=ada.user.id).values_list("is_blocked", flat=True)) == {
        True
    }
    assert bob.get(f"{API}/pages/ada/").status_code == 404
    # A ban lifted meanwhile does not unblock a deactivated owner's pages.
    handle_event(make_event(type="auth.user.banned", key=ada.user.id, data={"until": None}))
    handle_event(make_event(type="auth.user.unbanned", key=ada.user.id, data={}))
    assert Page.objects.get(handle_key="ada").is_blocked is True
    handle_event(
        make_event(type="auth.user.reactivated", key=ada.user.id, data={"is_active": True})
    )
    assert Page.objects.get(handle_key="ada").is_blocked is False
    assert bob.get(f"{API}/pages/ada/").status_code == 200


def test_stats_for_owner_only(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    bob.post(f"{API}/pages/ada/follow/")
    post = ada.post(f"{API}/pages/ada/posts/", {"text": "hello"}, format="json").json()
    bob.post(f"{API}/posts/{post['id']}/like/")
    bob.post(f"{API}/posts/{post['id']}/comments/", {"text": "nice"}, format="json")
    stats = ada.get(f"{API}/pages/ada/stats/").json()
    assert (stats["followers"], stats["posts"], stats["likes"], stats["comments"]) == (1, 1, 1, 1)
    assert stats["daily"][-1]["followers_gained"] == 1
    assert stats["top_posts"][0]["id"] == post["id"]
    assert bob.get(f"{API}/pages/ada/stats/").status_code == 403
    bob.delete(f"{API}/pages/ada/follow/")
    stats = ada.get(f"{API}/pages/ada/stats/").json()
    assert stats["followers"] == 0 and stats["daily"][-1]["followers_lost"] == 1


def test_comment_likes_count_in_the_page_stats_apart_from_post_likes(
    member: Any, anon: Any, make_user: Any, client_for: Any
) -> None:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    post = ada.post(f"{API}/pages/ada/posts/", {"text": "hello"}, format="json").json()
    comment = bob.post(f"{API}/posts/{post['id']}/comments/", {"text": "hi"}, format="json")
    reply = cy.post(
        f"{API}/posts/{post['id']}/comments/",
        {"text": "hey", "parent_id": comment.json()["id"]},
        format="json",
    ).json()
    comment_url = f"{API}/comments/{comment.json()['id']}/like/"
    for liker in (ada, cy):  # the owner's own like counts too, as on posts
        assert liker.post(comment_url).json()["changed"] is True
    assert cy.post(comment_url).json()["changed"] is False  # a second like adds nothing
    assert bob.post(f"{API}/comments/{reply['id']}/like/").json()["changed"] is True
    # A comment on someone else's page counts there, not on ada's.
    other = bob.post(f"{API}/pages/bob/posts/", {"text": "mine"}, format="json").json()
    elsewhere = ada.post(f"{API}/posts/{other['id']}/comments/", {"text": "x"}, format="json")
    ada.post(f"{API}/comments/{elsewhere.json()['id']}/like/")

    stats = ada.get(f"{API}/pages/ada/stats/").json()
    assert (stats["likes"], stats["comments"], stats["comment_likes"]) == (0, 2, 3)
    assert (stats["daily"][-1]["likes"], stats["daily"][-1]["comment_likes"]) == (0, 3)
    assert bob.get(f"{API}/pages/bob/stats/").json()["comment_likes"] == 1

    assert cy.delete(comment_url).json()["changed"] is True
    assert cy.delete(comment_url).json()["changed"] is False  # nothing left to take back
    stats = ada.get(f"{API}/pages/ada/stats/").json()
    assert stats["comment_likes"] == 2
    # The day's figure counts likes given that day, as `likes` does for posts.
    assert stats["daily"][-1]["comment_likes"] == 3
    assert Page.objects.get(handle_key="ada").comment_likes_count == 2

    # Owner only: other members and moderators get 403, anonymous callers 401.
    moderator = client_for(make_user(role="moderator"))
    for outsider in (bob, cy, moderator):
        response = outsider.get(f"{API}/pages/ada/stats/")
        assert response.status_code == 403
        assert response.json()["code"] == "not_page_owner"
    assert anon.get(f"{API}/pages/ada/stats/").status_code == 401


def test_comment_likes_given_before_they_were_counted_are_back_filled(member: Any) -> None:
    """Migration 0003: as if the likes were given before 0002 (counters at 0), and one day was
    already counted live with likes taken back since (its figure is kept)."""
    import importlib
    from datetime import timedelta

    from django.apps import apps
    from django.utils import timezone

    from social.pages.models import PageDailyStat
    from social.posts.models import CommentLike

    backfill = importlib.import_module(
        "social.pages.migrations.0003_backfill_comment_likes"
    ).backfill_comment_likes
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    post = ada.post(f"{API}/pages/ada/posts/", {"text": "hello"}, format="json").json()
    comments = [
        bob.post(f"{API}/posts/{post['id']}/comments/", {"text": f"c{i}"}, format="json").json()
        for i in range(2)
    ]
    for comment in comments:
        for liker in (ada, cy):
            liker.post(f"{API}/comments/{comment['id']}/like/")
    page = Page.objects.get(handle_key="ada")
    yesterday = timezone.now() - timedelta(days=1)
    CommentLike.objects.filter(comment_id=comments[0]["id"]).update(created_at=yesterday)
    Page.objects.filter(id=page.id).update(comment_likes_count=0)
    PageDailyStat.objects.filter(page=page).update(comment_likes=0)
    PageDailyStat.objects.filter(page=page, day=timezone.now().date()).update(comment_likes=5)
    Page.objects.filter(handle_key="bob").update(comment_likes_count=7)  # no likes: back to 0

    backfill(apps, None)
    backfill(apps, None)  # a second run changes nothing

    page.refresh_from_db()
    assert page.comment_likes_count == 4
    assert Page.objects.get(handle_key="bob").comment_likes_count == 0
    days = dict(PageDailyStat.objects.filter(page=page).values_list("day", "comment_likes"))
    assert days[yesterday.date()] == 2  # made by the back-fill
    assert days[timezone.now().date()] == 5  # counted live: kept
