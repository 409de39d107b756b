"""social's events against their declarations (cotask_common/contracts/social.py): an undeclared
type or a payload that does not match is refused at publish time; what the API publishes is the
latest declared version, without the retired aliases."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction

from cotask_common.contracts import InvalidEventData, UndeclaredEvent, example_payload, registry
from cotask_common.events.models import OutboxEvent
from cotask_common.events.outbox import publish_event

pytestmark = pytest.mark.django_db

API = "/api/social"


def test_an_undeclared_type_is_refused() -> None:
    with (
        transaction.atomic(),
        pytest.raises(UndeclaredEvent, match=r"social\.post\.pinned is not declared"),
    ):
        publish_event(type="social.post.pinned", key=uuid.uuid4(), data={"id": str(uuid.uuid4())})
    assert not OutboxEvent.objects.exists()


def test_a_payload_with_a_retired_alias_or_a_missing_key_is_refused() -> None:
    like = example_payload("social.like.created", version=1)  # as social published it before
    with transaction.atomic():
        with pytest.raises(InvalidEventData) as caught:
            publish_event(type="social.like.created", key=like["post_id"], data=like)
        assert str(caught.value).endswith(
            "social.like.created v2: data.target_kind: Extra inputs are not permitted (got 'post')"
        )
        del like["target_kind"], like["target_author_id"]
        with pytest.raises(InvalidEventData, match=r"data\.target_author_id: Field required"):
            publish_event(type="social.like.created", key=like["post_id"], data=like)
    assert not OutboxEvent.objects.exists()


def test_what_the_api_publishes_is_the_latest_declared_version(
    member: Any, published_events: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    post = ada.post(f"{API}/pages/ada/posts/", {"text": "hi @bob"}, format="json").json()
    assert bob.post(f"{API}/posts/{post['id']}/like/").status_code == 200
    comment = bob.post(f"{API}/posts/{post['id']}/comments/", {"text": "nice"}, format="json")
    assert ada.post(f"{API}/comments/{comment.json()['id']}/like/").status_code == 200
    assert bob.post(f"{API}/pages/ada/follow/").status_code in (200, 201)
    events = published_events("social.")
    assert {e.type for e in events} >= {
        "social.post.created",
        "social.like.created",
        "social.comment.created",
        "social.follow.created",
    }
    for event in events:
        assert event.version == registry.latest(event.type), event.type
        registry.get(event.type, event.version).validate(event.data)
        assert "target_kind" not in event.data and "reply_to_owner_id" not in event.data
        if event.type.startswith(("social.follow.", "social.post.", "social.comment.")):
            assert "page_owner_id" not in event.data or event.type.startswith("social.follow.")
        if event.type.startswith("social.follow."):
            assert "user_id" not in event.data and event.data["follower_id"] == str(bob.user.id)
