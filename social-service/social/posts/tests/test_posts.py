from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from social.pages.models import MediaFile

pytestmark = pytest.mark.django_db

API = "/api/social"


def _post(client: Any, handle: str, text: str = "hello", **extra: Any) -> Any:
    return client.post(f"{API}/pages/{handle}/posts/", {"text": text, **extra}, format="json")


def _media(owner_id: Any, *, purpose: str = "post_image", status: str = "ready") -> str:
    file_id = str(uuid.uuid4())
    handle_event(
        make_event(
            type="media.file.ready" if status == "ready" else "media.file.uploaded",
            key=file_id,
            data={"id": file_id, "owner_id": str(owner_id), "purpose": purpose, "status": status},
        )
    )
    return file_id


def test_post_with_tags_mentions_and_media(member: Any, published_events: Any) -> None:
    ada, bob = member("ada"), member("bob")
    image = _media(ada.user.id)
    r = _post(ada, "ada", "Hi @bob and @nobody #Math", tags=["study"], media_ids=[image])
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["tags"] == ["study", "math"] and body["mentions"] == ["bob", "nobody"]
    assert body["media_ids"] == [image]
    [event] = published_events("social.post.created")
    assert event.data["recipient_ids"] == [str(bob.user.id)]
    assert event.version == 2
    assert event.data["author_id"] == str(ada.user.id)
    assert "page_owner_id" not in event.data  # v1's alias of author_id, retired in v2


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"status": "processing"}, "media_not_ready"),
        ({"purpose": "avatar"}, "media_wrong_purpose"),
        ({"other_owner": True}, "media_not_found"),
        ({"unknown": True}, "media_not_found"),
    ],
)
def test_media_checked_against_projection(member: Any, setup: dict, code: str) -> None:
    ada = member("ada")
    owner = uuid.uuid4() if setup.get("other_owner") else ada.user.id
    file_id = (
        str(uuid.uuid4())
        if setup.get("unknown")
        else _media(
            owner, purpose=setup.get("purpose", "post_image"), status=setup.get("status", "ready")
        )
    )
    r = _post(ada, "ada", media_ids=[file_id])
    assert r.status_code == 400
    assert r.json()["fields"]["media_ids"][0]["code"] == code


def test_media_deleted_event_removes_projection(member: Any) -> None:
    ada = member("ada")
    file_id = _media(ada.user.id)
    handle_event(make_event(type="media.file.deleted", key=file_id, data={"id": file_id}))
    assert not MediaFile.objects.filter(id=file_id).exists()


def test_text_limit_is_stated(member: Any, settings: Any) -> None:
    ada = member("ada")
    r = _post(ada, "ada", "x" * (settings.SOCIAL_POST_MAX_LENGTH + 1))
    assert r.status_code == 400
    assert (
        f"At most {settings.SOCIAL_POST_MAX_LENGTH} characters"
        in r.json()["fields"]["text"][0]["message"]
    )
    assert _post(ada, "ada", "").status_code == 400


def test_only_owner_posts_edits_deletes(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    assert _post(bob, "ada").status_code == 403
    post = _post(ada, "ada").json()
    assert bob.patch(f"{API}/posts/{post['id']}/", {"text": "x"}, format="json").status_code == 403
    r = ada.patch(f"{API}/posts/{post['id']}/", {"text": "edited #new"}, format="json")
    assert r.status_code == 200 and r.json()["edited_at"] and r.json()["tags"] == ["new"]
    assert bob.delete(f"{API}/posts/{post['id']}/").status_code == 403
    assert ada.delete(f"{API}/posts/{post['id']}/").status_code == 204
    assert ada.get(f"{API}/posts/{post['id']}/").status_code == 404


def test_replies_thread(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    post = _post(ada, "ada").json()
    r = bob.post(
        f"{API}/posts/{post['id']}/replies/", {"page_id": "bob", "text": "reply"}, format="json"
    )
    assert r.status_code == 201 and r.json()["reply_to_id"] == post["id"]
    assert (
        bob.post(
            f"{API}/posts/{post['id']}/replies/", {"page_id": "ada", "text": "r"}, format="json"
        ).status_code
        == 403
    )
    thread = ada.get(f"{API}/posts/{post['id']}/replies/").json()["results"]
    assert [p["id"] for p in thread] == [r.json()["id"]]
    assert ada.get(f"{API}/posts/{post['id']}/").json()["reply_count"] == 1


def test_likes_are_idempotent(member: Any, published_events: Any) -> None:
    ada, bob = member("ada"), member("bob")
    post = _post(ada, "ada").json()
    url = f"{API}/posts/{post['id']}/like/"
    assert bob.post(url).json() == {"liked": True, "changed": True}
    assert bob.post(url).json() == {"liked": True, "changed": False}
    detail = bob.get(f"{API}/posts/{post['id']}/").json()
    assert detail["like_count"] == 1 and detail["liked"] is True
    assert [
        row["user"]["id"] for row in bob.get(f"{API}/posts/{post['id']}/likes/").json()["results"]
    ] == [str(bob.user.id)]
    assert [row["post"]["id"] for row in bob.get(f"{API}/me/likes/").json()["results"]] == [
        post["id"]
    ]
    assert len(published_events("social.like.created")) == 1
    assert bob.delete(url).json() == {"liked": False, "changed": True}
    assert bob.delete(url).json() == {"liked": False, "changed": False}
    assert bob.get(f"{API}/posts/{post['id']}/").json()["like_count"] == 0


def test_nested_comments_edit_delete_like(member: Any, published_events: Any) -> None:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    post = _post(ada, "ada").json()
    top = bob.post(f"{API}/posts/{post['id']}/comments/", {"text": "first"}, format="json").json()
    reply = cy.post(
        f"{API}/posts/{post['id']}/comments/",
        {"text": "answer", "parent_id": top["id"]},
        format="json",
    )
    assert reply.status_code == 201
    created = published_events("social.comment.created")
    assert created[0].data["recipient_ids"] == [str(ada.user.id)]
    assert set(created[1].data["recipient_ids"]) == {str(ada.user.id), str(bob.user.id)}
    tops = ada.get(f"{API}/posts/{post['id']}/comments/").json()["results"]
    assert [c["id"] for c in tops] == [top["id"]] and tops[0]["reply_count"] == 1
    children = ada.get(f"{API}/posts/{post['id']}/comments/?parent={top['id']}").json()["results"]
    assert [c["id"] for c in children] == [reply.json()["id"]]
    assert cy.patch(f"{API}/comments/{top['id']}/", {"text": "x"}, format="json").status_code == 403
    assert bob.patch(f"{API}/comments/{top['id']}/", {"text": "edited"}, format="json").json()[
        "edited_at"
    ]
    assert ada.post(f"{API}/comments/{top['id']}/like/").json()["changed"] is True
    assert ada.post(f"{API}/comments/{top['id']}/like/").json()["changed"] is False
    r = bob.post(f"{API}/posts/{post['id']}/comments/", {"text": "y" * 1001}, format="json")
    assert r.status_code == 400 and "At most 1000 characters" in r.json()["message"]
    assert cy.delete(f"{API}/comments/{top['id']}/").status_code == 403
    assert bob.delete(f"{API}/comments/{top['id']}/").status_code == 204
    assert ada.get(f"{API}/posts/{post['id']}/").json()["comment_count"] == 1


def test_visibility_private_blocked_banned_moderator_anonymous(
    member: Any, page_of: Any, anon: Any
) -> None:
    ada, fan, stranger = member("ada"), member("fan"), member("stranger")
    mod, admin = member("mod", role="moderator"), member("root", role="admin")
    page_of(ada, "secret", private=True)
    post = _post(ada, "secret", "hidden").json()
    fan.post(f"{API}/pages/secret/follow/")
    ada.post(f"{API}/pages/secret/requests/approve/", {"all": True}, format="json")
    url = f"{API}/posts/{post['id']}/"
    assert ada.get(url).status_code == 200  # owner
    assert fan.get(url).status_code == 200  # approved follower
    assert stranger.get(url).status_code == 403  # non-follower
    assert anon.get(url).status_code == 403
    assert stranger.get(f"{API}/pages/secret/posts/").status_code == 403
    assert mod.get(url).status_code == 200 and admin.get(url).status_code == 200
    assert stranger.post(f"{API}/posts/{post['id']}/like/").status_code == 403
    # tag / popular feeds never leak it
    public = _post(ada, "ada", "open #topic").json()
    _post(ada, "secret", "closed #topic")
    assert [p["id"] for p in stranger.get(f"{API}/tags/topic/posts/").json()["results"]] == [
        public["id"]
    ]
    assert len(fan.get(f"{API}/tags/topic/posts/").json()["results"]) == 2
    assert public["id"] in [p["id"] for p in anon.get(f"{API}/feed/popular/").json()["results"]]
    # a banned owner's posts vanish for everyone else
    handle_event(
        make_event(type="auth.user.banned", key=ada.user.id, data={"until": None, "reason": "x"})
    )
    assert stranger.get(f"{API}/posts/{public['id']}/").status_code == 404
    assert fan.get(url).status_code == 404
    assert anon.get(f"{API}/pages/ada/posts/").status_code == 404
    assert stranger.get(f"{API}/tags/topic/posts/").json()["results"] == []
    assert mod.get(url).status_code == 200


def test_popular_ranks_engagement_with_time_decay(member: Any, make_user: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from social.posts.models import Post
    from social.posts.services import hot_score, like_post

    ada = member("ada")
    old = _post(ada, "ada", "old").json()
    new = _post(ada, "ada", "new").json()
    quiet = _post(ada, "ada", "quiet").json()
    older = timezone.now() - timedelta(hours=20)
    Post.objects.filter(id=old["id"]).update(
        created_at=older, hot_score=hot_score(likes=0, comments=0, created_at=older)
    )
    for _ in range(5):
        like_post(post_id=old["id"], viewer=make_user())
    for _ in range(3):
        like_post(post_id=new["id"], viewer=make_user())
    ids = [p["id"] for p in ada.get(f"{API}/feed/popular/").json()["results"]]
    # 3 likes now beat 5 likes 20 hours ago; the newest post without likes is between.
    assert ids.index(new["id"]) < ids.index(old["id"])
    assert ids.index(new["id"]) < ids.index(quiet["id"])


@pytest.mark.parametrize("size", [5, 50])
def test_post_lists_query_count_is_flat(
    member: Any, make_user: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    from social.posts.models import Post
    from social.posts.services import create_comment, like_post

    ada = member("ada")
    posts = [_post(ada, "ada", f"post {i} #tag").json() for i in range(55)]
    first = posts[0]
    post = Post.objects.get(id=first["id"])
    for i in range(55):
        liker = make_user()
        user_id = liker.id
        like_post(post_id=post.id, viewer=liker)
        create_comment(post=post, author_id=user_id, text=f"c{i}")
        ada.post(
            f"{API}/posts/{post.id}/replies/", {"page_id": "ada", "text": f"r{i}"}, format="json"
        )
    for url in (
        "pages/ada/posts/",
        "tags/tag/posts/",
        "feed/popular/",
        f"posts/{post.id}/likes/",
        f"posts/{post.id}/comments/",
        f"posts/{post.id}/replies/",
    ):
        with django_assert_max_num_queries(6):
            r = ada.get(f"{API}/{url}?page_size={size}")
        assert r.status_code == 200 and len(r.json()["results"]) == size, url


def test_post_output_matches_the_generic_serializer(member: Any, page_of: Any) -> None:
    """PostOutput builds its dict directly (speed); it must equal DRF's field-by-field walk."""
    from rest_framework import serializers

    from social.pages.models import Page
    from social.posts.models import Post
    from social.posts.selectors import visible_posts
    from social.posts.serializers import PostOutput

    ada, bob = member("ada"), member("bob")
    page_of(ada, "secret", private=True)
    Page.objects.filter(handle_key="secret").update(avatar_id=uuid.uuid4())
    first = _post(ada, "ada", "plain").json()["id"]
    media = _post(ada, "secret", "Hi @bob #Math", tags=["x"], media_ids=[_media(ada.user.id)])
    assert media.status_code == 201, media.json()
    ada.patch(f"{API}/posts/{first}/", {"text": "edited"}, format="json")
    reply = bob.post(
        f"{API}/posts/{first}/replies/", {"text": "re", "page_id": "bob"}, format="json"
    )
    assert reply.status_code == 201, reply.json()
    bob.post(f"{API}/posts/{first}/like/")
    rows = [
        *visible_posts(viewer=bob.user).order_by("id"),  # bob liked the first one
        *visible_posts(viewer=ada.user).order_by("id"),  # the private page's post too
        *Post.objects.select_related("page"),  # no `liked` annotation: the default
    ]
    assert len(rows) == 8
    generic = PostOutput()
    for post in rows:
        fast = PostOutput(post).data
        assert fast == serializers.Serializer.to_representation(generic, post)
    assert rows[0].liked and PostOutput(rows[0]).data["liked"] is True
