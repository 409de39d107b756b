"""Both timeline stores (Redis, the table) implement `TimelineStore`, and the same calls give
the same timelines; what only Redis keeps (cards, reader states, the one-round-trip read) is
asked of the store, not decided by which store it is."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.ids import uuid7
from social.feed.timelines import FastRead, TimelineStore, get_timelines

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["table", "redis"])
def store(request: Any, settings: Any) -> TimelineStore:
    if request.param == "redis" and not settings.SOCIAL_FEED_REDIS_URL:
        pytest.skip('the Redis store (eval "$(scripts/infra env)")')
    settings.SOCIAL_FEED_BACKEND = request.param
    settings.SOCIAL_FEED_TIMELINE_SIZE = 6
    found = get_timelines()
    assert found.name == request.param
    return found


def test_each_store_is_a_timeline_store(store: TimelineStore) -> None:
    assert isinstance(store, TimelineStore)


def test_the_stores_keep_the_same_timelines(store: TimelineStore) -> None:
    reader, other = uuid.uuid4(), uuid.uuid4()
    page, big = uuid.uuid4(), uuid.uuid4()
    posts = [uuid7() for _ in range(4)]
    store.replace(user_id=reader, entries=[(posts[0], page)])
    assert store.exists(user_id=reader)
    for post_id in posts[1:]:
        store.add(user_ids=[reader, other], post_id=post_id, page_id=page)
    newest_first = sorted(posts, reverse=True)
    assert store.read(user_id=reader, before=None, limit=10) == newest_first
    assert store.read(user_id=reader, before=newest_first[1], limit=2) == newest_first[2:4]
    merged = [uuid7() for _ in range(2)]
    store.add_many(user_id=reader, entries=[(post_id, big) for post_id in merged])
    assert store.read(user_id=reader, before=None, limit=2) == sorted(merged, reverse=True)
    store.remove_page(user_ids=[reader], page_id=big, post_ids=merged)
    assert store.read(user_id=reader, before=None, limit=10) == newest_first
    store.clear(user_id=reader)
    assert store.read(user_id=reader, before=None, limit=10) == []
    assert store.read(user_id=other, before=None, limit=10) == newest_first[:3]


def test_what_only_redis_keeps_is_asked_of_the_store(store: TimelineStore) -> None:
    reader = uuid.uuid4()
    post_id, page = uuid7(), uuid.uuid4()
    store.replace(user_id=reader, entries=[(post_id, page)])
    store.remember_reader(user_id=reader, state="0:0:20000", seconds=60)
    fast = store.read_with_reader(user_id=reader, before=None, limit=5, card_prefix="x:")
    if store.name == "table":  # nothing kept beside the table: the feed asks the database
        assert store.client is None and fast is None
        store.forget_readers(user_ids=[reader], new_big_pages_version=True)  # harmless
        return
    assert isinstance(fast, FastRead)
    assert fast.ids == [post_id] and fast.state == b"0:0:20000" and fast.version is None
    store.forget_readers(user_ids=[reader], new_big_pages_version=True)
    fast = store.read_with_reader(user_id=reader, before=None, limit=5, card_prefix="x:")
    assert fast is not None and fast.state is None and fast.version == b"1"
