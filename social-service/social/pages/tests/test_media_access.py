"""`social.media.access_granted` / `.access_revoked` and the `audience` of post media: an
approved follower may read a private page's post files in media-service, and stops when the
follow ends or the page is blocked."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from social.moderation.services import block_page, unblock_page
from social.pages.models import Page

pytestmark = pytest.mark.django_db

API = "/api/social"
ACCESS = "social.media.access_"


def _access(published_events: Any) -> list[tuple[str, str, list[str] | None]]:
    """(granted/revoked, audience, user ids or None = everyone) of each access event."""
    out = []
    for event in published_events(ACCESS):
        assert event.key == event.data["audience"]
        out.append((event.type.rsplit("_", 1)[-1], event.key, event.data.get("user_ids")))
    return out


def _audience(page: Any) -> str:
    return f"page:{page.id}"


def test_approval_grants_and_every_way_a_follow_ends_revokes(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada, bob, cy, dee = member("ada"), member("bob"), member("cy"), member("dee")
    secret = page_of(ada, "secret", private=True)
    audience = _audience(secret)
    for fan in (bob, cy, dee):
        assert fan.post(f"{API}/pages/secret/follow/").status_code in (201, 202)
    assert _access(published_events) == []  # a request grants nothing

    ids = [str(fan.user.id) for fan in (bob, cy, dee)]
    r = ada.post(f"{API}/pages/secret/requests/approve/", {"user_ids": ids}, format="json")
    assert r.status_code == 200
    assert _access(published_events) == [("granted", audience, [i]) for i in ids]

    assert bob.delete(f"{API}/pages/secret/follow/").status_code == 204
    assert ada.delete(f"{API}/pages/secret/followers/{cy.user.id}/").status_code == 204
    r = ada.post(f"{API}/pages/secret/blocks/", {"user_id": str(dee.user.id)}, format="json")
    assert r.status_code == 201
    assert _access(published_events)[3:] == [("revoked", audience, [i]) for i in ids]
    # Ending what already ended publishes nothing more.
    assert bob.delete(f"{API}/pages/secret/follow/").status_code == 204
    assert len(_access(published_events)) == 6


def test_a_public_follow_grants_at_once_and_a_rejected_request_never(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    assert bob.post(f"{API}/pages/ada/follow/").status_code == 201
    assert _access(published_events) == [("granted", _audience(ada.page), [str(bob.user.id)])]
    page_of(ada, "secret", private=True)
    cy.post(f"{API}/pages/secret/follow/")
    ada.post(f"{API}/pages/secret/requests/reject/", {"user_ids": [str(cy.user.id)]}, format="json")
    cy.post(f"{API}/pages/secret/follow/")
    cy.delete(f"{API}/pages/secret/follow/")  # a withdrawn request
    assert len(_access(published_events)) == 1


def test_post_media_belong_to_the_page_audience(
    member: Any, page_of: Any, published_events: Any
) -> None:
    ada = member("ada")
    secret = page_of(ada, "secret", private=True)
    file_id = str(uuid.uuid4())
    handle_event(
        make_event(
            type="media.file.ready",
            key=file_id,
            data={"id": file_id, "owner_id": str(ada.user.id), "purpose": "post_image"},
        )
    )
    r = ada.post(f"{API}/pages/secret/posts/", {"media_ids": [file_id]}, format="json")
    assert r.status_code == 201
    [attached] = published_events("social.media.attached")
    assert attached.data["audience"] == _audience(secret)
    assert attached.data["file_ids"] == [file_id]


def test_deleting_a_page_revokes_everyone(member: Any, page_of: Any, published_events: Any) -> None:
    ada, bob = member("ada"), member("bob")
    secret = page_of(ada, "secret", private=True)
    bob.post(f"{API}/pages/secret/follow/")
    ada.post(f"{API}/pages/secret/requests/approve/", {"all": True}, format="json")
    assert ada.delete(f"{API}/pages/secret/").status_code == 204
    assert _access(published_events)[-1] == ("revoked", _audience(secret), None)


def test_a_blocked_page_revokes_everyone_and_the_end_of_the_block_grants_again(
    member: Any, published_events: Any
) -> None:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    bob.post(f"{API}/pages/ada/follow/")
    cy.post(f"{API}/pages/ada/follow/")
    audience = _audience(ada.page)
    moderator = type("M", (), {"id": uuid.uuid4(), "role": "moderator"})()
    block_page(page=ada.page, actor=moderator, reason="spam", duration=timedelta(days=1))
    assert _access(published_events)[-1] == ("revoked", audience, None)
    unblock_page(page=Page.objects.get(id=ada.page.id), actor=moderator, reason="appeal")
    last = _access(published_events)[-1]
    assert last[:2] == ("granted", audience)
    assert sorted(last[2] or []) == sorted([str(bob.user.id), str(cy.user.id)])


def test_the_owners_ban_revokes_and_a_follow_while_blocked_grants_nothing(
    member: Any, published_events: Any
) -> None:
    ada, bob, cy = member("ada"), member("bob"), member("cy")
    bob.post(f"{API}/pages/ada/follow/")
    handle_event(
        make_event(type="auth.user.banned", key=ada.user.id, data={"until": None, "reason": "x"})
    )
    assert _access(published_events)[-1] == ("revoked", _audience(ada.page), None)
    count = len(_access(published_events))
    # A follow that got through while the page is blocked (the service call, past the API's
    # check) grants nothing until the block ends.
    from social.pages.services import follow_page

    Page.objects.filter(id=ada.page.id).update(is_blocked=False)
    page = Page.objects.get(id=ada.page.id)
    Page.objects.filter(id=ada.page.id).update(is_blocked=True)
    follow_page(page=page, user_id=cy.user.id)
    assert len(_access(published_events)) == count
    handle_event(make_event(type="auth.user.unbanned", key=ada.user.id, data={}))
    last = _access(published_events)[-1]
    assert last[0] == "granted"
    assert sorted(last[2] or []) == sorted([str(bob.user.id), str(cy.user.id)])


def test_account_deletion_revokes_the_followers_access_and_its_pages(
    member: Any, published_events: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    bob.post(f"{API}/pages/ada/follow/")
    handle_event(make_event(type="auth.user.deleted", key=bob.user.id, data={}))
    events = _access(published_events)
    assert ("revoked", _audience(ada.page), [str(bob.user.id)]) in events
    assert ("revoked", _audience(bob.page), None) in events  # bob's own page is gone
    handle_event(make_event(type="auth.user.deleted", key=ada.user.id, data={}))
    assert ("revoked", _audience(ada.page), None) in _access(published_events)


def test_existing_followers_are_granted_once_by_the_command(
    member: Any, published_events: Any
) -> None:
    from django.core.management import call_command

    from social.pages.models import Follow

    ada, bob, cy = member("ada"), member("bob"), member("cy")
    bob.post(f"{API}/pages/ada/follow/")
    cy.post(f"{API}/pages/bob/follow/")
    Follow.objects.create(page=cy.page, user_id=ada.user.id, status=Follow.Status.PENDING)
    Page.objects.filter(id=bob.page.id).update(is_blocked=True)
    before = len(_access(published_events))
    call_command("publish_media_access")
    assert _access(published_events)[before:] == [
        ("granted", _audience(ada.page), [str(bob.user.id)])
    ]
