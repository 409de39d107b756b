from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.events.testing import handle_event, make_event
from cotask_common.ids import uuid7
from social.feed import selectors
from social.feed.models import FeedState
from social.pages.models import Page

pytestmark = pytest.mark.django_db

API = "/api/social"


def _post(client: Any, handle: str, text: str = "hi") -> str:
    r = client.post(f"{API}/pages/{handle}/posts/", {"text": text}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def _feed(client: Any, size: int = 20) -> list[str]:
    ids: list[str] = []
    url = f"{API}/feed/?page_size={size}"
    while url:
        body = client.get(url).json()
        ids += [p["id"] for p in body["results"]]
        url = body["next"]
    return ids


def _reader(member: Any, name: str = "reader") -> Any:
    reader = member(name)
    assert reader.get(f"{API}/feed/").status_code == 200  # builds the timeline
    return reader


def test_home_feed_order_own_and_followed(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    posts = [
        _post(ada, "ada", "a1"),
        _post(bob, "bob", "b1"),
        _post(reader, "reader", "mine"),
        _post(ada, "ada", "a2"),
    ]
    assert _feed(reader) == [posts[3], posts[2], posts[0]]  # bob is not followed


def test_no_duplicates_or_gaps_while_posts_arrive(member: Any) -> None:
    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    old = [_post(ada, "ada", f"p{i}") for i in range(12)]
    seen: list[str] = []
    url = f"{API}/feed/?page_size=5"
    while url:
        body = reader.get(url).json()
        seen += [p["id"] for p in body["results"]]
        _post(ada, "ada", "arrived meanwhile")
        url = body["next"]
    assert seen == list(reversed(old))


def test_follow_merges_recent_posts_and_unfollow_removes(member: Any) -> None:
    ada = member("ada")
    early = [_post(ada, "ada", f"p{i}") for i in range(3)]
    reader = _reader(member)
    assert _feed(reader) == []
    reader.post(f"{API}/pages/ada/follow/")
    assert _feed(reader) == list(reversed(early))
    reader.delete(f"{API}/pages/ada/follow/")
    assert _feed(reader) == []


def test_private_page_only_after_approval(member: Any, page_of: Any) -> None:
    ada = member("ada")
    page_of(ada, "secret", private=True)
    post = _post(ada, "secret")
    reader = _reader(member)
    reader.post(f"{API}/pages/secret/follow/")
    assert _feed(reader) == []
    ada.post(f"{API}/pages/secret/requests/approve/", {"all": True}, format="json")
    assert _feed(reader) == [post]
    ada.delete(f"{API}/pages/secret/followers/{reader.user.id}/")
    assert _feed(reader) == []


def test_block_and_ban_hide_and_lift_restores(member: Any) -> None:
    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    post = _post(ada, "ada")
    mod = member("mod", role="moderator")
    mod.post(
        f"{API}/moderation/pages/ada/block/",
        {"reason": "spam", "duration_hours": 24},
        format="json",
    )
    assert _feed(reader) == []
    mod.delete(f"{API}/moderation/pages/ada/block/", {"reason": "appeal"}, format="json")
    assert _feed(reader) == [post]
    handle_event(
        make_event(type="auth.user.banned", key=ada.user.id, data={"until": None, "reason": "x"})
    )
    assert _feed(reader) == []
    handle_event(make_event(type="auth.user.unbanned", key=ada.user.id, data={}))
    assert _feed(reader) == [post]
    # the owner blocks the reader from the page: the follow ends, the posts go
    ada.post(f"{API}/pages/ada/blocks/", {"user_id": str(reader.user.id)}, format="json")
    assert _feed(reader) == []


def test_fan_out_path_equals_database_path(member: Any, settings: Any, make_user: Any) -> None:
    pages = [member(f"page{i}") for i in range(4)]
    reader = _reader(member)
    for page in pages[:3]:
        reader.post(f"{API}/pages/{page.user.username}/follow/")
    for round_ in range(8):
        for page in pages:
            _post(page, page.user.username, f"r{round_}")
    _post(reader, "reader", "mine")
    fanned = _feed(reader, size=7)
    expected = [p.id for p in selectors.database_feed(viewer=reader.user, before=None, limit=100)]
    assert fanned == [str(i) for i in expected]
    assert len(fanned) == 25
    # every page "big": nothing fanned out, all read live (the hybrid's other side)
    settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = 0
    assert _feed(reader, size=7) == fanned
    # timelines keep only the newest entries; older pages of the feed come from the database
    settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = 5000
    settings.SOCIAL_FEED_TIMELINE_SIZE = 6
    from social.feed.services import rebuild_timeline

    rebuild_timeline(user_id=reader.user.id)
    assert _feed(reader, size=4) == fanned


def test_big_pages_are_read_live_not_fanned_out(member: Any, settings: Any) -> None:
    settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = 1
    star = member("star")
    readers = [_reader(member, f"reader{i}") for i in range(2)]
    for reader in readers:
        reader.post(f"{API}/pages/star/follow/")
    assert Page.objects.get(handle_key="star").followers_count == 2
    from social.feed.services import fan_out_post

    post = _post(star, "star")
    assert fan_out_post(post_id=post) == 0  # only the owner (inactive) would get it
    assert _feed(readers[0]) == [post]


def test_returning_user_gets_rebuilt_timeline(member: Any) -> None:
    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    FeedState.objects.filter(user_id=reader.user.id).update(
        last_read_at=timezone.now() - timedelta(days=30)
    )
    post = _post(ada, "ada")  # no fan-out to an inactive reader
    from social.feed.timelines import get_timelines

    assert post not in [
        str(i) for i in get_timelines().read(user_id=reader.user.id, before=None, limit=10)
    ]
    assert _feed(reader) == [post]  # rebuilt on return
    assert FeedState.objects.get(user_id=reader.user.id).last_read_at > timezone.now() - timedelta(
        minutes=1
    )


def test_lost_redis_timeline_is_rebuilt_even_after_a_fan_out(member: Any, settings: Any) -> None:
    if settings.SOCIAL_FEED_BACKEND != "redis":
        pytest.skip('the Redis store (eval "$(scripts/infra env)")')
    from social.feed.timelines import get_timelines

    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    early = [_post(ada, "ada", f"p{i}") for i in range(3)]
    store = get_timelines()
    store.clear(user_id=reader.user.id)  # Redis lost it (eviction, a flush) ...
    late = _post(ada, "ada", "late")  # ... and a fan-out re-creates the key with one id
    assert not store.exists(user_id=reader.user.id)
    assert _feed(reader) == [late, *reversed(early)]
    assert store.exists(user_id=reader.user.id)  # rebuilt: the whole feed is kept again
    kept = store.read(user_id=reader.user.id, before=None, limit=10)
    assert [str(i) for i in kept] == [late, *reversed(early)]


def test_async_fan_out_after_commit(
    member: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from config.celery import app

    settings.SOCIAL_FEED_FANOUT_MODE = "async"
    app.conf.task_always_eager = True
    try:
        ada = member("ada")
        reader = _reader(member)
        with django_capture_on_commit_callbacks(execute=True):
            reader.post(f"{API}/pages/ada/follow/")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post = _post(ada, "ada")
        assert callbacks
        from social.feed.timelines import get_timelines

        assert [
            str(i) for i in get_timelines().read(user_id=reader.user.id, before=None, limit=5)
        ] == [post]
    finally:
        app.conf.task_always_eager = False


def test_feed_needs_a_token_and_validates(member: Any, anon: Any) -> None:
    assert anon.get(f"{API}/feed/").status_code == 401
    reader = member("reader")
    r = reader.get(f"{API}/feed/?page_size=500")
    assert r.status_code == 400 and "1 to 100" in r.json()["fields"]["page_size"][0]["message"]
    assert reader.get(f"{API}/feed/?cursor=@@").status_code == 400


@pytest.mark.parametrize("size", [5, 50])
def test_feed_query_count_is_flat(
    member: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    pages = [member(f"page{i}") for i in range(3)]
    reader = _reader(member)
    for page in pages:
        reader.post(f"{API}/pages/{page.user.username}/follow/")
    for i in range(40):
        _post(pages[i % 3], pages[i % 3].user.username, f"x{i}")
    with django_assert_max_num_queries(8):
        r = reader.get(f"{API}/feed/?page_size={size}")
    assert len(r.json()["results"]) == min(size, 40)


def test_table_timelines_are_trimmed_on_write(member: Any, settings: Any) -> None:
    from social.feed.models import TimelineEntry
    from social.feed.timelines import TableTimelines, get_timelines

    settings.SOCIAL_FEED_BACKEND = "table"
    settings.SOCIAL_FEED_TIMELINE_SIZE = 4  # slack 1: every write trims
    ada, bob = member("ada"), member("bob")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    posts = [_post(ada, "ada", f"p{i}") for i in range(10)]
    kept = TimelineEntry.objects.filter(user_id=reader.user.id).order_by("-post_id")
    # the newest 4: the fan-out trimmed the rest
    assert [str(i) for i in kept.values_list("post_id", flat=True)] == posts[:-5:-1]
    assert _feed(reader, size=3) == list(reversed(posts))  # older ones from the database
    # Following merges recent posts and trims at once too.
    more = [_post(bob, "bob", f"b{i}") for i in range(3)]
    reader.post(f"{API}/pages/bob/follow/")
    assert kept.count() == 4
    assert _feed(reader, size=3) == sorted(posts + more, reverse=True)

    # A bigger timeline trims now and then (1 write in size/8 per timeline, by hash), so it
    # stays near its size, and the cost per write stays small.
    store = TableTimelines(size=16)
    assert store.slack == 2
    user_id = reader.user.id
    for i in range(60):
        store.add(user_ids=[user_id], post_id=uuid7(), page_id=ada.page.id)
        assert kept.count() <= 16 + 20, i
    assert kept.count() >= 16
    store.trim(user_ids=[user_id])
    assert kept.count() == 16
    assert isinstance(get_timelines(), TableTimelines)


# ---------------------------------------------------------------------------------------------
# Cards (feed/cards.py) and the cached reader state


def test_feed_cards_render_exactly_what_the_post_serializer_renders(member: Any) -> None:
    from social.posts.models import Post
    from social.posts.selectors import visible_posts
    from social.posts.serializers import PostOutput

    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    first = _post(ada, "ada", 'plain "quoted" \\ text, ünïcode ✓ #study @reader')
    second = _post(ada, "ada", "edited later")
    assert ada.patch(f"{API}/posts/{second}/", {"text": "edited"}, format="json").status_code == 200
    reader.post(f"{API}/posts/{first}/like/")
    for _ in range(2):  # cold (cards built from the database), then warm (from Redis)
        body = reader.get(f"{API}/feed/").json()
        expected = PostOutput(
            visible_posts(viewer=reader.user).filter(id__in=[first, second]).order_by("-id"),
            many=True,
        ).data
        assert body["results"] == [dict(item) for item in expected]
        assert [p["liked"] for p in body["results"]] == [False, True]
    assert Post.objects.get(id=second).edited_at is not None


def test_feed_cards_follow_every_change(member: Any, settings: Any) -> None:
    ada = member("ada")
    reader, other = _reader(member), member("other")
    reader.post(f"{API}/pages/ada/follow/")
    post = _post(ada, "ada", "before")

    def shown() -> dict[str, Any]:
        (item,) = reader.get(f"{API}/feed/").json()["results"]
        return item

    assert shown()["text"] == "before"  # the card is now kept
    ada.patch(f"{API}/posts/{post}/", {"text": "after"}, format="json")
    assert shown()["text"] == "after"
    other.post(f"{API}/posts/{post}/like/")
    reader.post(f"{API}/posts/{post}/like/")
    assert (shown()["like_count"], shown()["liked"]) == (2, True)
    reader.delete(f"{API}/posts/{post}/like/")
    assert (shown()["like_count"], shown()["liked"]) == (1, False)
    reader.post(f"{API}/posts/{post}/comments/", {"text": "hi"}, format="json")
    reply = ada.post(
        f"{API}/posts/{post}/replies/", {"page_id": "ada", "text": "more"}, format="json"
    )
    assert reply.status_code == 201, reply.json()
    item = next(p for p in reader.get(f"{API}/feed/").json()["results"] if p["id"] == post)
    assert (item["comment_count"], item["reply_count"]) == (1, 1)
    ada.delete(f"{API}/posts/{reply.json()['id']}/")
    assert shown()["reply_count"] == 0
    ada.patch(f"{API}/pages/ada/", {"name": "Ada L."}, format="json")
    assert shown()["page"]["name"] == "Ada L."
    ada.delete(f"{API}/posts/{post}/")
    assert reader.get(f"{API}/feed/").json()["results"] == []


def test_following_a_big_page_shows_at_once_despite_the_cached_reader_state(
    member: Any, settings: Any
) -> None:
    settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS = 1
    star, fan = member("star"), member("fan")
    fan.post(f"{API}/pages/star/follow/")  # one follower: star is still fanned out
    reader = _reader(member)
    post = _post(star, "star")
    assert _feed(fan) == [post]  # fan's state ("follows no big page") is now cached
    assert _feed(reader) == []  # and so is reader's
    reader.post(f"{API}/pages/star/follow/")  # star crosses the limit: read live from now on
    newer = _post(star, "star", "not fanned out")
    assert _feed(reader) == [newer, post]
    assert _feed(fan) == [newer, post]  # fan's cached state was retired by the crossing
    reader.delete(f"{API}/pages/star/follow/")
    assert _feed(reader) == []


def test_feed_of_a_moderator_and_of_the_blocked_owner_show_blocked_posts(member: Any) -> None:
    ada = member("ada")
    mod = member("mod", role="moderator")
    reader = _reader(member)
    for client in (reader, mod):
        client.get(f"{API}/feed/")
        client.post(f"{API}/pages/ada/follow/")
    post = _post(ada, "ada")
    mod.post(
        f"{API}/moderation/pages/ada/block/", {"reason": "spam", "duration_hours": 1}, format="json"
    )
    assert _feed(reader) == []
    assert _feed(mod) == [post]
    assert _feed(ada) == [post]


def _timeline(reader: Any) -> list[str]:
    from social.feed.timelines import get_timelines

    return [str(i) for i in get_timelines().read(user_id=reader.user.id, before=None, limit=50)]


@pytest.mark.parametrize("ending", ["unfollow", "block", "remove"])
def test_a_fan_out_landing_after_the_follow_ended_leaves_nothing(
    member: Any, monkeypatch: Any, ending: str
) -> None:
    """The race, made deterministic: the fan-out read the followers, then the follow ended
    (and took the page out of the timeline), then the fan-out wrote."""
    from social.feed.timelines import get_timelines

    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    kept = _post(ada, "ada", "before")
    store = type(get_timelines())
    write = store.add

    def follow_ends_then_write(self: Any, **kwargs: Any) -> None:
        if ending == "unfollow":
            assert reader.delete(f"{API}/pages/ada/follow/").status_code == 204
        elif ending == "block":
            r = ada.post(f"{API}/pages/ada/blocks/", {"user_id": str(reader.user.id)})
            assert r.status_code in (200, 201), r.json()
        else:
            r = ada.delete(f"{API}/pages/ada/followers/{reader.user.id}/")
            assert r.status_code == 204, r.content
        assert kept not in _timeline(reader)  # the end of the follow took the page out
        write(self, **kwargs)

    monkeypatch.setattr(store, "add", follow_ends_then_write)
    late = _post(ada, "ada", "fanned out after the follow ended")
    monkeypatch.setattr(store, "add", write)
    assert late not in _timeline(reader)
    assert _feed(reader) == []


def test_a_queued_fan_out_run_after_the_unfollow_leaves_nothing(
    member: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The Celery task, queued at the post's commit, runs only after the reader unfollowed."""
    from social.feed.tasks import fan_out_post_task

    ada = member("ada")
    reader = _reader(member)
    reader.post(f"{API}/pages/ada/follow/")
    settings.SOCIAL_FEED_FANOUT_MODE = "async"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        post = _post(ada, "ada")
    assert queued  # the fan-out task, not run yet
    reader.delete(f"{API}/pages/ada/follow/")
    fan_out_post_task.apply(args=[post])
    assert post not in _timeline(reader) and _feed(reader) == []


def test_a_follow_merge_landing_after_the_unfollow_leaves_nothing(
    member: Any, monkeypatch: Any
) -> None:
    from social.feed.timelines import get_timelines

    ada = member("ada")
    posts = [_post(ada, "ada", f"p{i}") for i in range(3)]
    reader = _reader(member)
    store = type(get_timelines())
    merge = store.add_many

    def unfollow_then_merge(self: Any, **kwargs: Any) -> None:
        assert reader.delete(f"{API}/pages/ada/follow/").status_code == 204
        merge(self, **kwargs)

    monkeypatch.setattr(store, "add_many", unfollow_then_merge)
    reader.post(f"{API}/pages/ada/follow/")
    monkeypatch.setattr(store, "add_many", merge)
    assert not set(posts) & set(_timeline(reader))
    assert _feed(reader) == []


def test_a_rebuild_landing_after_the_unfollow_leaves_nothing(member: Any, monkeypatch: Any) -> None:
    from social.feed.timelines import get_timelines

    ada = member("ada")
    reader = member("reader")
    reader.post(f"{API}/pages/ada/follow/")
    post = _post(ada, "ada")
    store = type(get_timelines())
    replace = store.replace

    def unfollow_then_write(self: Any, **kwargs: Any) -> None:
        assert reader.delete(f"{API}/pages/ada/follow/").status_code == 204
        replace(self, **kwargs)

    monkeypatch.setattr(store, "replace", unfollow_then_write)
    from social.feed.services import rebuild_timeline

    rebuild_timeline(user_id=reader.user.id)
    monkeypatch.setattr(store, "replace", replace)
    assert post not in _timeline(reader) and _feed(reader) == []
