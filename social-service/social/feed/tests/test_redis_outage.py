"""The feed while its Redis cannot be reached: a real outage (the store pointed at a port where
nothing listens), real PostgreSQL. Reads answer from the database, writes answer and exist once,
and the timeline/card work they missed is done when Redis is back (social/feed/outage.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from cotask_common.testing.outages import closed_port
from social.feed import outage, repairs, selectors
from social.feed.models import FeedRepair
from social.posts.models import Post, PostLike

pytestmark = pytest.mark.django_db

API = "/api/social"


class Redis:
    """Stops and restarts the feed's Redis as the feed sees it: its URL setting."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.real = settings.SOCIAL_FEED_REDIS_URL

    def stop(self) -> None:
        self.settings.SOCIAL_FEED_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    def start(self) -> None:
        self.settings.SOCIAL_FEED_REDIS_URL = self.real


@pytest.fixture
def redis(settings: Any) -> Iterator[Redis]:
    if settings.SOCIAL_FEED_BACKEND != "redis":
        pytest.skip('the Redis store (eval "$(scripts/infra env)")')
    server = Redis(settings)
    yield server
    server.start()  # the test prefix's keys are removed on the real Redis
    outage._down_until.clear()
    outage._owed_drain = False


def _post(client: Any, handle: str, text: str = "hi") -> str:
    r = client.post(f"{API}/pages/{handle}/posts/", {"text": text}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def _pages(client: Any, size: int) -> list[dict[str, Any]]:
    """Every item of the feed, page by page."""
    items: list[dict[str, Any]] = []
    url = f"{API}/feed/?page_size={size}"
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.content
        items += r.json()["results"]
        url = r.json()["next"]
    return items


def _reader(member: Any, name: str = "reader") -> Any:
    reader = member(name)
    assert reader.get(f"{API}/feed/").status_code == 200  # builds the timeline
    return reader


def _world(member: Any, page_of: Any) -> tuple[Any, Any, dict[str, str]]:
    """A reader following ada, bob and an approved private page; carl not followed; a blocked
    page followed. Returns (ada, reader, {name: post id})."""
    ada, bob, carl, spam = member("ada"), member("bob"), member("carl"), member("spam")
    page_of(ada, "secret", private=True)
    reader = _reader(member)
    for handle in ("ada", "bob", "secret", "spam"):
        reader.post(f"{API}/pages/{handle}/follow/")
    ada.post(f"{API}/pages/secret/requests/approve/", {"all": True}, format="json")
    posts = {}
    for i in range(4):
        posts[f"ada{i}"] = _post(ada, "ada", f"ada {i}")
        posts[f"bob{i}"] = _post(bob, "bob", f"bob {i}")
        posts[f"carl{i}"] = _post(carl, "carl", f"carl {i}")
    posts["secret"] = _post(ada, "secret", "for followers")
    posts["spam"] = _post(spam, "spam", "buy")
    posts["mine"] = _post(reader, "reader", "mine")
    member("mod", role="moderator").post(
        f"{API}/moderation/pages/spam/block/",
        {"reason": "spam", "duration_hours": 24},
        format="json",
    )
    return ada, reader, posts


def test_the_feed_answers_from_the_database_while_redis_is_away(
    member: Any, page_of: Any, redis: Redis, django_assert_max_num_queries: Any
) -> None:
    _, reader, posts = _world(member, page_of)
    kept = _pages(reader, 3)  # Redis up: the timeline and the card cache
    expected = [
        str(p.id) for p in selectors.database_feed(viewer=reader.user, before=None, limit=100)
    ]
    assert [item["id"] for item in kept] == expected
    assert posts["secret"] in expected and posts["carl0"] not in expected
    assert posts["spam"] not in expected

    redis.stop()
    for size in (1, 3, 20):
        # the same posts, order, cursors and card contents as with Redis
        assert _pages(reader, size) == kept
    with django_assert_max_num_queries(6):  # slower, but not per post
        assert reader.get(f"{API}/feed/?page_size=20").status_code == 200


def test_redis_away_is_logged_and_tried_again_once_per_window(
    member: Any, redis: Redis, caplog: Any
) -> None:
    reader = _reader(member)
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="cotask.outages"):
        for _ in range(3):
            assert reader.get(f"{API}/feed/").status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "cotask.outages"]
    assert len(lines) == 1, lines  # one failed try, then the window: no wait per request
    assert lines[0].startswith("redis unavailable: ConnectionError")
    assert "the home feed reads the database" in lines[0]


def test_writes_answer_and_exist_once_while_redis_is_away(member: Any, redis: Redis) -> None:
    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    redis.stop()
    post = _post(ada, "ada", "during the outage")
    assert Post.objects.filter(text="during the outage").count() == 1
    r = ada.patch(f"{API}/posts/{post}/", {"text": "edited"}, format="json")
    assert r.status_code == 200, r.content
    r = reader.post(f"{API}/posts/{post}/like/")
    assert r.status_code in (200, 201), r.content
    assert PostLike.objects.filter(post_id=post, user_id=reader.user.id).count() == 1
    r = reader.delete(f"{API}/posts/{post}/like/")
    assert r.status_code in (200, 204), r.content
    other = _post(ada, "ada", "to delete")
    r = ada.delete(f"{API}/posts/{other}/")
    assert r.status_code == 204, r.content
    assert Post.objects.get(id=other).deleted_at is not None
    r = reader.delete(f"{API}/pages/ada/follow/")
    assert r.status_code < 300, r.content
    # the timeline/card work waits: two fan-outs, the cards, the reader state, the timeline
    assert FeedRepair.objects.filter(post_id__isnull=False).count() == 2
    assert FeedRepair.objects.filter(post_id__isnull=True).exists()


def test_fan_out_and_cards_catch_up_when_redis_is_back(
    member: Any, page_of: Any, redis: Redis
) -> None:
    from social.feed.tasks import drain_feed_repairs_task
    from social.feed.timelines import get_timelines

    ada = member("ada")
    page_of(ada, "secret", private=True)
    reader, fan = _reader(member), _reader(member, "fan")
    for client in (reader, fan):
        client.post(f"{API}/pages/ada/follow/")
    fan.post(f"{API}/pages/secret/follow/")
    ada.post(f"{API}/pages/secret/requests/approve/", {"all": True}, format="json")
    edited, deleted = _post(ada, "ada", "before"), _post(ada, "ada", "doomed")
    secret = _post(ada, "secret", "followers only")
    assert [p["text"] for p in _pages(reader, 20)] == ["doomed", "before"]  # cards now kept
    assert [p["text"] for p in _pages(fan, 20)] == ["followers only", "doomed", "before"]

    redis.stop()
    new = _post(ada, "ada", "during the outage")
    ada.patch(f"{API}/posts/{edited}/", {"text": "after"}, format="json")
    ada.delete(f"{API}/posts/{deleted}/")
    ada.delete(f"{API}/pages/secret/followers/{fan.user.id}/")  # ends fan's follow
    assert [p["id"] for p in _pages(reader, 20)] == [new, edited]

    redis.start()
    assert drain_feed_repairs_task() > 0  # what the beat task runs
    assert not FeedRepair.objects.exists()
    store = get_timelines()
    # the post made during the outage is in the follower's kept timeline, not only read live
    assert str(store.read(user_id=reader.user.id, before=None, limit=5)[0]) == new
    shown = _pages(reader, 20)
    assert [(p["id"], p["text"]) for p in shown] == [(new, "during the outage"), (edited, "after")]
    # the follow that ended during the outage took the private page out of fan's timeline
    assert [p["id"] for p in _pages(fan, 20)] == [new, edited]
    assert secret not in [str(i) for i in store.read(user_id=fan.user.id, before=None, limit=9)]


def test_the_first_read_after_the_outage_replays_what_this_process_kept(
    member: Any, redis: Redis
) -> None:
    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    post = _post(ada, "ada", "before")
    assert _pages(reader, 5)[0]["text"] == "before"  # the card is kept
    redis.stop()
    ada.patch(f"{API}/posts/{post}/", {"text": "after"}, format="json")
    redis.start()
    assert _pages(reader, 5)[0]["text"] == "after"  # no stale card, no beat needed
    assert not FeedRepair.objects.exists()


def test_an_async_fan_out_after_commit_never_fails_the_write(
    member: Any, settings: Any, redis: Redis, django_capture_on_commit_callbacks: Any
) -> None:
    from config.celery import app

    settings.SOCIAL_FEED_FANOUT_MODE = "async"
    app.conf.task_always_eager = True  # the task runs, its Redis is away
    try:
        ada = member("ada")
        reader = _reader(member)
        reader.post(f"{API}/pages/ada/follow/")
        redis.stop()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post = _post(ada, "ada", "async")
            r = ada.patch(f"{API}/posts/{post}/", {"text": "edited"}, format="json")
            assert r.status_code == 200
        assert callbacks
        assert FeedRepair.objects.filter(post_id=post).count() == 1
        redis.start()
        settings.SOCIAL_FEED_FANOUT_MODE = "sync"
        assert repairs.drain() >= 1
        from social.feed.timelines import get_timelines

        kept = get_timelines().read(user_id=reader.user.id, before=None, limit=5)
        assert [str(i) for i in kept] == [post]
        assert [(p["id"], p["text"]) for p in _pages(reader, 5)] == [(post, "edited")]
    finally:
        app.conf.task_always_eager = False


def test_the_drain_keeps_its_work_while_redis_is_still_away(member: Any, redis: Redis) -> None:
    ada = member("ada")
    _reader(member).post(f"{API}/pages/ada/follow/")
    redis.stop()
    _post(ada, "ada")
    kept = FeedRepair.objects.count()
    outage._down_until.clear()  # the window has passed, Redis has not come back
    assert repairs.drain() == 0
    assert FeedRepair.objects.count() == kept


@contextmanager
def broker_away(settings: Any) -> Iterator[None]:
    """The Celery broker (Redis in production) refusing: the app's own connection pointed at a
    closed port."""
    from config.celery import app

    saved = app.conf.broker_url
    app.conf.broker_url = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL = saved
        app._pool = None
        app.amqp._producer_pool = None


def test_a_post_whose_fan_out_cannot_reach_the_broker_is_fanned_out_later(
    member: Any, settings: Any, redis: Redis, django_capture_on_commit_callbacks: Any
) -> None:
    from social.feed.timelines import get_timelines

    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    settings.SOCIAL_FEED_FANOUT_MODE = "async"
    with broker_away(settings), django_capture_on_commit_callbacks(execute=True) as callbacks:
        post = _post(ada, "ada", "queued nowhere")
    assert callbacks
    assert FeedRepair.objects.filter(post_id=post).count() == 1
    assert repairs.drain() == 1  # the broker (and Redis) answer again
    assert [str(i) for i in get_timelines().read(user_id=reader.user.id, before=None, limit=5)] == [
        post
    ]


def test_a_follow_and_a_page_block_during_the_outage_are_right_afterwards(
    member: Any, redis: Redis
) -> None:
    ada, bob = member("ada"), member("bob")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    by_ada, by_bob = _post(ada, "ada", "a"), _post(bob, "bob", "b")
    assert [p["id"] for p in _pages(reader, 5)] == [by_ada]  # reader state and cards kept
    redis.stop()
    assert reader.post(f"{API}/pages/bob/follow/").status_code < 300
    r = member("mod", role="moderator").post(
        f"{API}/moderation/pages/ada/block/",
        {"reason": "spam", "duration_hours": 24},
        format="json",
    )
    assert r.status_code < 300, r.content
    assert [p["id"] for p in _pages(reader, 5)] == [by_bob]  # the database path
    redis.start()
    assert repairs.drain() > 0
    assert [p["id"] for p in _pages(reader, 5)] == [by_bob]  # the kept path, repaired
