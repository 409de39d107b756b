"""`social.media.attached` / `.detached`: media-service keeps the files posts and pages use."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction

from cotask_common.events.testing import handle_event, make_event
from social.pages import services as page_services
from social.posts import services as post_services
from social.posts.models import Post

pytestmark = pytest.mark.django_db

API = "/api/social"
REFS = "social.media."


def _media(owner_id: Any, *, purpose: str = "post_image") -> str:
    file_id = str(uuid.uuid4())
    handle_event(
        make_event(
            type="media.file.ready",
            key=file_id,
            data={"id": file_id, "owner_id": str(owner_id), "purpose": purpose, "status": "ready"},
        )
    )
    return file_id


def _ref_events(published_events: Any) -> list[Any]:
    """Reference events only (access grants and revocations: test_media_access.py)."""
    return [e for e in published_events(REFS) if e.type.endswith(("attached", "detached"))]


def _refs(published_events: Any) -> list[tuple[str, str, str, list[str] | None]]:
    """(type, key, object_type, file_ids or None when omitted) of each reference event."""
    out = []
    for event in _ref_events(published_events):
        assert event.data["object_id"] == event.key
        out.append(
            (event.type, event.key, event.data["object_type"], event.data.get("file_ids", None))
        )
    return out


def _create(client: Any, media_ids: list[str], text: str = "hi") -> Post:
    return post_services.create_post(
        page=client.page, actor_id=client.user.id, text=text, media_ids=media_ids
    )


# ---------------------------------------------------------------------------------------------
# Posts


def test_post_created_with_media_attaches_them(member: Any, published_events: Any) -> None:
    ada = member("ada")
    one, two = _media(ada.user.id), _media(ada.user.id, purpose="post_video")
    r = ada.post(
        f"{API}/pages/ada/posts/", {"text": "look", "media_ids": [one, two]}, format="json"
    )
    assert r.status_code == 201, r.json()
    post_id = r.json()["id"]
    assert _refs(published_events) == [("social.media.attached", post_id, "post", [one, two])]
    [event] = _ref_events(published_events)
    assert event.topic == "social.media" and event.actor == str(ada.user.id)


def test_post_without_media_publishes_no_reference(member: Any, published_events: Any) -> None:
    ada = member("ada")
    post = _create(ada, [], text="only words")
    post_services.update_post(post=post, actor_id=ada.user.id, text="still words")
    post_services.delete_post(post=post, actor_id=ada.user.id)
    assert _refs(published_events) == []


def test_reply_with_media_attaches_them(member: Any, published_events: Any) -> None:
    ada, bob = member("ada"), member("bob")
    post = _create(ada, [], text="question")
    image = _media(bob.user.id)
    reply = post_services.reply_to_post(
        post=post, page=bob.page, actor_id=bob.user.id, text="answer", media_ids=[image]
    )
    assert _refs(published_events) == [("social.media.attached", str(reply.id), "post", [image])]


def test_edit_detaches_removed_and_attaches_added(member: Any, published_events: Any) -> None:
    ada = member("ada")
    keep, drop, add = (_media(ada.user.id) for _ in range(3))
    post = _create(ada, [keep, drop])
    r = ada.patch(f"{API}/posts/{post.id}/", {"media_ids": [keep, add]}, format="json")
    assert r.status_code == 200, r.json()
    assert _refs(published_events) == [
        ("social.media.attached", str(post.id), "post", [keep, drop]),
        ("social.media.detached", str(post.id), "post", [drop]),
        ("social.media.attached", str(post.id), "post", [add]),
    ]


def test_edit_removing_every_file(member: Any, published_events: Any) -> None:
    ada = member("ada")
    image = _media(ada.user.id)
    post = _create(ada, [image])
    post_services.update_post(post=post, actor_id=ada.user.id, media_ids=[])
    assert _refs(published_events)[1:] == [("social.media.detached", str(post.id), "post", [image])]


def test_edit_without_media_change_publishes_nothing(member: Any, published_events: Any) -> None:
    ada = member("ada")
    one, two = _media(ada.user.id), _media(ada.user.id)
    post = _create(ada, [one, two])
    before = len(_ref_events(published_events))
    post_services.update_post(post=post, actor_id=ada.user.id, text="new text")  # media untouched
    post_services.update_post(post=post, actor_id=ada.user.id, media_ids=[one, two])  # same
    post_services.update_post(post=post, actor_id=ada.user.id, media_ids=[two, one])  # reordered
    assert len(_ref_events(published_events)) == before == 1
    assert len(published_events("social.post.updated")) == 3


def test_author_deleting_a_post_detaches_all(member: Any, published_events: Any) -> None:
    ada = member("ada")
    image = _media(ada.user.id)
    post = _create(ada, [image])
    assert ada.delete(f"{API}/posts/{post.id}/").status_code == 204
    assert ada.delete(f"{API}/posts/{post.id}/").status_code == 404  # gone: nothing more
    assert _refs(published_events)[1:] == [("social.media.detached", str(post.id), "post", None)]
    # `file_ids` is omitted (not empty): media reads that as every file of the post
    assert "file_ids" not in published_events("social.media.detached")[0].data


def test_moderator_deleting_a_post_detaches_all(member: Any, published_events: Any) -> None:
    ada, mod = member("ada"), member("mod", role="moderator")
    post = _create(ada, [_media(ada.user.id)])
    r = mod.post(f"{API}/moderation/posts/{post.id}/delete/", {"reason": "spam"}, format="json")
    assert r.status_code == 204
    [detached] = published_events("social.media.detached")
    assert (detached.key, detached.data) == (
        str(post.id),
        {"object_type": "post", "object_id": str(post.id)},
    )
    assert detached.actor == str(mod.user.id)


def test_rolled_back_change_publishes_nothing(member: Any, published_events: Any) -> None:
    ada = member("ada")
    image = _media(ada.user.id)
    with pytest.raises(RuntimeError), transaction.atomic():
        _create(ada, [image])
        raise RuntimeError("the surrounding work failed")
    assert _refs(published_events) == [] and not Post.objects.exists()

    post = _create(ada, [image])
    other = _media(ada.user.id)
    with pytest.raises(RuntimeError), transaction.atomic():
        post_services.update_post(post=post, actor_id=ada.user.id, media_ids=[other])
        post_services.delete_post(post=post, actor_id=ada.user.id)
        raise RuntimeError("the surrounding work failed")
    assert _refs(published_events) == [("social.media.attached", str(post.id), "post", [image])]


def test_invalid_edit_publishes_nothing(member: Any, published_events: Any) -> None:
    ada = member("ada")
    image = _media(ada.user.id)
    post = _create(ada, [image])
    r = ada.patch(f"{API}/posts/{post.id}/", {"media_ids": [str(uuid.uuid4())]}, format="json")
    assert r.status_code == 400
    assert len(_ref_events(published_events)) == 1


# ---------------------------------------------------------------------------------------------
# Page avatars


def test_avatar_set_changed_and_removed(member: Any, page_of: Any, published_events: Any) -> None:
    ada = member("ada")
    first, second = _media(ada.user.id, purpose="avatar"), _media(ada.user.id, purpose="avatar")
    page = page_of(ada, "study", avatar_id=first)
    pid = str(page.id)
    page_services.update_page(page=page, actor_id=ada.user.id, changes={"avatar_id": second})
    page_services.update_page(page=page, actor_id=ada.user.id, changes={"avatar_id": None})
    # set on the personal page, through the API
    r = ada.patch(f"{API}/pages/ada/", {"avatar_id": first}, format="json")
    assert r.status_code == 200, r.json()
    assert _refs(published_events) == [
        ("social.media.attached", pid, "page", [first]),
        ("social.media.detached", pid, "page", [first]),
        ("social.media.attached", pid, "page", [second]),
        ("social.media.detached", pid, "page", [second]),
        ("social.media.attached", str(ada.page.id), "page", [first]),
    ]


def test_page_edit_without_avatar_change_publishes_nothing(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada = member("ada")
    avatar = _media(ada.user.id, purpose="avatar")
    page = page_of(ada, "study", avatar_id=avatar)
    page_of(ada, "plain")  # no avatar: nothing to attach
    page_services.update_page(page=page, actor_id=ada.user.id, changes={"name": "Renamed"})
    page_services.update_page(page=page, actor_id=ada.user.id, changes={"avatar_id": avatar})
    page_services.update_page(
        page=page, actor_id=ada.user.id, changes={"avatar_id": uuid.UUID(avatar)}
    )
    assert _refs(published_events) == [("social.media.attached", str(page.id), "page", [avatar])]


def test_page_deletion_detaches_avatar_and_posts(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada = member("ada")
    page = page_of(ada, "study", avatar_id=_media(ada.user.id, purpose="avatar"))
    with_media = post_services.create_post(
        page=page, actor_id=ada.user.id, media_ids=[_media(ada.user.id)]
    )
    post_services.create_post(page=page, actor_id=ada.user.id, text="no files")
    already_deleted = post_services.create_post(
        page=page, actor_id=ada.user.id, media_ids=[_media(ada.user.id)]
    )
    post_services.delete_post(post=already_deleted, actor_id=ada.user.id)
    before = len(_ref_events(published_events))
    assert ada.delete(f"{API}/pages/{page.id}/").status_code == 204
    assert sorted(_refs(published_events)[before:]) == sorted(
        [
            ("social.media.detached", str(page.id), "page", None),
            ("social.media.detached", str(with_media.id), "post", None),
        ]
    )


def test_account_deletion_detaches_everything(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada = member("ada")
    page_services.update_page(
        page=ada.page,
        actor_id=ada.user.id,
        changes={"avatar_id": _media(ada.user.id, purpose="avatar")},
    )
    other = page_of(ada, "study")  # no avatar
    on_personal = _create(ada, [_media(ada.user.id)])
    on_other = post_services.create_post(
        page=other, actor_id=ada.user.id, media_ids=[_media(ada.user.id)]
    )
    before = len(_ref_events(published_events))
    handle_event(make_event(type="auth.user.deleted", key=str(ada.user.id), data={}))
    assert sorted(_refs(published_events)[before:]) == sorted(
        [
            ("social.media.detached", str(ada.page.id), "page", None),
            ("social.media.detached", str(on_personal.id), "post", None),
            ("social.media.detached", str(on_other.id), "post", None),
        ]
    )


def test_rolled_back_page_change_publishes_nothing(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada = member("ada")
    avatar = _media(ada.user.id, purpose="avatar")
    with pytest.raises(RuntimeError), transaction.atomic():
        page_of(ada, "study", avatar_id=avatar)
        raise RuntimeError("the surrounding work failed")
    assert _refs(published_events) == []


def test_events_are_read_by_media_as_sent(member: Any, published_events: Any) -> None:
    """What media-service's handler takes from them (media/files/events.py `_object`)."""
    ada = member("ada")
    image = _media(ada.user.id)
    post = _create(ada, [image])
    post_services.delete_post(post=post, actor_id=ada.user.id)
    attached, detached = _ref_events(published_events)
    for event in (attached, detached):
        assert event.service == "social" and event.topic == "social.media"
        assert event.data["object_type"] == "post" and event.data["object_id"] == str(post.id)
    assert attached.data["file_ids"] == [image]
    assert "file_ids" not in detached.data
