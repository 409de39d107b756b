"""`cotask_common.media_access`: what producers publish and media parses (one contract)."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from cotask_common.contracts.testing import declared
from cotask_common.events.testing import make_event, published_events
from cotask_common.media_access import (
    audience_name,
    parse_access_change,
    publish_access_granted,
    publish_access_revoked,
    reference_audience,
)


def test_audience_names_are_kind_and_id() -> None:
    page = uuid.uuid4()
    assert audience_name("page", page) == f"page:{page}"
    for kind in ("", "a:b", "x" * 200):
        with pytest.raises(ValueError):
            audience_name(kind, page)


@pytest.mark.django_db(transaction=True)
def test_published_grants_and_revocations_parse_back() -> None:
    users = [uuid.uuid4() for _ in range(2501)]
    audience = audience_name("room", uuid.uuid4())
    with (
        declared(["kit.media.access_granted", "kit.media.access_revoked"]),
        transaction.atomic(),
    ):
        publish_access_granted(audience=audience, user_ids=[*users, users[0]])
        publish_access_revoked(audience=audience, user_ids=users[:1])
        publish_access_revoked(audience=audience)
    events = published_events(type_prefix="kit.media.access_")
    assert [e.type for e in events] == ["kit.media.access_granted"] * 3 + [
        "kit.media.access_revoked"
    ] * 2
    assert {e.key for e in events} == {audience}
    changes = [parse_access_change(e) for e in events]
    assert [len(c.user_ids or []) for c in changes[:3]] == [1000, 1000, 501]
    assert [u for c in changes[:3] for u in c.user_ids or []] == users
    assert changes[3].granted is False and changes[3].user_ids == users[:1]
    assert changes[4].user_ids is None and changes[4].service == "kit"


def test_malformed_events_are_refused_or_partly_skipped() -> None:
    with pytest.raises(ValueError):
        parse_access_change(make_event(type="tasks.media.access_granted", key="nope", data={}))
    with pytest.raises(ValueError):  # a grant must name its users
        parse_access_change(
            make_event(type="tasks.media.access_granted", key="room:1", data={"audience": "room:1"})
        )
    change = parse_access_change(
        make_event(
            type="tasks.media.access_revoked",
            key="room:1",
            data={"audience": "room:1", "user_ids": ["x", str(uuid.UUID(int=1))]},
        )
    )
    assert change.user_ids == [uuid.UUID(int=1)] and change.skipped == ["x"]
    assert reference_audience({"audience": "page:1"}) == "page:1"
    assert reference_audience({"audience": "nocolon"}) == reference_audience({}) == ""
