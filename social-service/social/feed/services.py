"""Fan-out on write, and keeping timelines right when follows change.

A new post is pushed into the timelines of the page's owner and of its approved followers who
read their feed recently (`SOCIAL_FEED_INACTIVE_DAYS`). Pages with more followers than
`SOCIAL_FEED_FANOUT_MAX_FOLLOWERS` are not pushed: their followers read them from the database
(the hybrid; see selectors.home_feed). A reader without a kept timeline gets it rebuilt.

Blocks, bans, deletions and privacy are applied when the feed is read, so a lifted block
brings the posts back; unfollowing (and the owner's block of a follower, which ends the follow)
removes the page's posts from the timeline itself, and every timeline write made from an earlier
read of the follows checks them again after writing (`_drop_ended_follows`), so a fan-out that
lands after the unfollow leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Q
from django.utils import timezone

from cotask_common.users.models import UserRef
from social.feed import outage
from social.feed.models import FeedState
from social.feed.timelines import FastRead, card_prefix, get_timelines
from social.pages.models import Follow, Page
from social.posts.models import Post


def after_commit(fn: Callable[[], Any], *, repair: Callable[[], None]) -> None:
    """Timeline writes follow the database change: after commit, or at once in "sync" mode
    (tests, and single-process tools). With Redis away, `repair` keeps the work for later
    (see outage.py): the write has happened, so its client gets its answer."""
    work = outage.guarded(fn, repair=repair)
    if settings.SOCIAL_FEED_FANOUT_MODE == "sync":
        work()
    else:
        # robust: whatever else fails after the commit is logged, never the client's error
        transaction.on_commit(work, robust=True)


def active_since() -> Any:
    return timezone.now() - timedelta(days=settings.SOCIAL_FEED_INACTIVE_DAYS)


def is_fanned_out(followers: int) -> bool:
    """A page with at most this many followers is pushed into their timelines."""
    return followers <= settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS


def fan_out_post(*, post_id: uuid.UUID | str) -> int:
    """Push one post into its readers' timelines; returns how many timelines."""
    post = Post.objects.select_related("page").filter(id=post_id, deleted_at__isnull=True).first()
    if post is None:
        return 0
    page = post.page
    targets: list[uuid.UUID] = []
    if FeedState.objects.filter(user_id=page.owner_id, last_read_at__gte=active_since()).exists():
        targets.append(page.owner_id)
    followers: list[uuid.UUID] = []
    if is_fanned_out(page.followers_count):
        followers = list(
            Follow.objects.filter(
                page=page,
                status=Follow.Status.APPROVED,
                user__feed_state__last_read_at__gte=active_since(),
            ).values_list("user_id", flat=True)
        )
        targets.extend(followers)
    if targets:
        get_timelines().add(user_ids=targets, post_id=post.id, page_id=page.id)
    if followers:
        _drop_ended_follows(page_id=page.id, user_ids=followers, post_ids=[post.id])
    return len(targets)


def _drop_ended_follows(
    *, page_id: uuid.UUID, user_ids: list[uuid.UUID], post_ids: list[uuid.UUID]
) -> None:
    """After a timeline write made from a list of followers read earlier: take the page out
    again for those whose follow ended meanwhile (unfollow, removal, the owner's block).

    The follow's end removes the page from the timeline after its commit; a write from an
    older read (a fan-out task, a follow's merge, a rebuild) can land after that removal. Read
    again after the write, the follows tell who left: a follow that ends after this read has
    its own removal run after this write, so either way the post does not stay."""
    if not user_ids:
        return
    follows = Follow.objects.filter(page_id=page_id, status=Follow.Status.APPROVED)
    if len(user_ids) <= 500:  # else all of the page's (SQLite limits a query's parameters)
        follows = follows.filter(user_id__in=user_ids)
    staying = set(follows.values_list("user_id", flat=True))
    ended = [user_id for user_id in user_ids if user_id not in staying]
    if ended:
        get_timelines().remove_page(user_ids=ended, page_id=page_id, post_ids=post_ids)


def on_follow_started(*, user_id: uuid.UUID, page_id: uuid.UUID, followers: int) -> None:
    """Merge the page's recent posts into the new follower's timeline (if it is kept)."""
    followers_changed(page_id=page_id, user_ids=[user_id])
    if not is_fanned_out(followers):
        return

    def merge() -> None:
        if not FeedState.objects.filter(user_id=user_id, last_read_at__gte=active_since()).exists():
            return  # rebuilt on the next read, with this page included
        entries = list(
            Post.objects.filter(page_id=page_id, deleted_at__isnull=True)
            .order_by("-id")
            .values_list("id", "page_id")[: settings.SOCIAL_FEED_FOLLOW_MERGE]
        )
        if entries:
            get_timelines().add_many(user_id=user_id, entries=entries)
            # An unfollow right after the follow may have removed the page already.
            _drop_ended_follows(
                page_id=page_id, user_ids=[user_id], post_ids=[post_id for post_id, _ in entries]
            )

    # Missed: the timeline is rebuilt (with this page) on its next read.
    after_commit(merge, repair=lambda: outage.record(keys=[_timeline_key(user_id)]))


def remove_page_from_timelines(*, page_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    if not user_ids:
        return
    followers_changed(page_id=page_id, user_ids=user_ids)
    post_ids = list(
        Post.objects.filter(page_id=page_id)
        .order_by("-id")
        .values_list("id", flat=True)[: settings.SOCIAL_FEED_TIMELINE_SIZE]
    )
    store = get_timelines()
    after_commit(
        lambda: store.remove_page(user_ids=user_ids, page_id=page_id, post_ids=post_ids),
        # Missed: those timelines are rebuilt (without the page) on their next read.
        repair=lambda: outage.record(keys=[_timeline_key(user_id) for user_id in user_ids]),
    )


def rebuild_timeline(*, user_id: uuid.UUID) -> int:
    """Refill a timeline from the database: the newest posts of the user's own pages and of the
    fanned-out pages they follow (big pages are read live anyway)."""
    followed = Follow.objects.filter(
        user_id=user_id,
        status=Follow.Status.APPROVED,
        page__followers_count__lte=settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS,
    ).values("page_id")
    entries = list(
        Post.objects.filter(deleted_at__isnull=True)
        .filter(Q(page_id__in=followed) | Q(page__owner_id=user_id))
        .order_by("-id")
        .values_list("id", "page_id")[: settings.SOCIAL_FEED_TIMELINE_SIZE]
    )
    get_timelines().replace(user_id=user_id, entries=entries)
    _drop_pages_left(user_id=user_id, entries=entries)
    now = timezone.now()
    FeedState.objects.update_or_create(
        user_id=user_id, defaults={"built_at": now, "last_read_at": now}
    )
    return len(entries)


def _drop_pages_left(*, user_id: uuid.UUID, entries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """A rebuild's entries were read before they were written: pages whose follow ended
    meanwhile (see _drop_ended_follows) go again. One query, and only when there are entries."""
    if not entries:
        return
    kept = set(
        Page.objects.filter(
            Q(owner_id=user_id)
            | Q(
                id__in=Follow.objects.filter(user_id=user_id, status=Follow.Status.APPROVED).values(
                    "page_id"
                )
            )
        ).values_list("id", flat=True)
    )
    store = get_timelines()
    for page_id in {page_id for _, page_id in entries} - kept:
        gone = [post_id for post_id, of in entries if of == page_id]
        store.remove_page(user_ids=[user_id], page_id=page_id, post_ids=gone)


def big_followed_pages(*, user_id: uuid.UUID) -> Any:
    """The pages `user_id` follows that are read live, not fanned out (a `page_id` subquery)."""
    return Follow.objects.filter(
        user_id=user_id,
        status=Follow.Status.APPROVED,
        page__followers_count__gt=settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS,
    ).values("page_id")


def followers_changed(*, page_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    """Keep the cached reader states (see current_reader) right after a follow began or ended:
    the followers' own states go, and when the page's follower count sits at the fan-out limit
    (it just crossed it, either way) every state goes, by a new big-pages version. Called
    after the follower count changed, in the same transaction, whose row lock orders the
    counts each transaction sees."""
    store = get_timelines()
    if store.client is None:  # no reader states kept (the table store)
        return
    count = Page.objects.filter(id=page_id).values_list("followers_count", flat=True).first()
    limit = settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS
    crossed = count is not None and count in (limit, limit + 1)
    after_commit(
        lambda: store.forget_readers(user_ids=user_ids, new_big_pages_version=crossed),
        repair=lambda: outage.record(
            keys=[store.reader_key(user_id) for user_id in user_ids],  # type: ignore[attr-defined]
            new_big_pages_version=crossed,
        ),
    )


# How long a reader's state is trusted without asking the database. It also bounds the one
# race the cache has: a read that computed the state just before a follow committed, storing it
# just after that follow removed the key.
READER_STATE_SECONDS = 300


def current_reader(
    *, user_id: uuid.UUID, before: uuid.UUID | None, limit: int
) -> tuple[Reader, FastRead | None]:
    """The reader's state and, on Redis, their first `limit` timeline ids below `before` with
    the cards Redis holds for them: one round trip and no SQL when the state is cached.
    Otherwise `touch_reader` (one query), whose answer is cached for READER_STATE_SECONDS, and
    None for the read (the caller reads the timeline itself).

    The cached state is "follows big pages (0/1):big-pages version:fan-out limit", so a page
    crossing the limit (see followers_changed) or a new limit in the settings retires it."""
    store = get_timelines()
    fast = store.read_with_reader(
        user_id=user_id, before=before, limit=limit, card_prefix=card_prefix()
    )
    if fast is None:  # no fast path (the table store)
        return touch_reader(user_id=user_id), None
    current = f"{int(fast.version or 0)}:{settings.SOCIAL_FEED_FANOUT_MAX_FOLLOWERS}"
    if fast.built and fast.state is not None:
        follows_big, _, rest = fast.state.decode().partition(":")
        if rest == current:
            return Reader(rebuilt=False, follows_big_pages=follows_big == "1"), fast
    reader = touch_reader(user_id=user_id)
    store.remember_reader(
        user_id=user_id,
        state=f"{int(reader.follows_big_pages)}:{current}",
        seconds=READER_STATE_SECONDS,
    )
    return reader, None


class Reader(NamedTuple):
    rebuilt: bool  # the timeline was (re)built by this read
    follows_big_pages: bool  # some followed pages are read live (see big_followed_pages)


def touch_reader(*, user_id: uuid.UUID) -> Reader:
    """Make sure the reader's timeline is kept and current, and tell whether they follow any
    page read live, so the feed skips that query for the (many) who follow none.

    Costs one query per read (the feed state, with the big-page test as a subquery); the write
    happens at most once an hour per reader."""
    state = (
        FeedState.objects.filter(user_id=user_id)
        .annotate(follows_big=Exists(big_followed_pages(user_id=user_id)))
        .first()
    )
    now = timezone.now()
    if state is None or state.last_read_at < active_since():
        if not UserRef.objects.filter(id=user_id).exists():
            return Reader(rebuilt=False, follows_big_pages=False)
        rebuild_timeline(user_id=user_id)
        return Reader(rebuilt=True, follows_big_pages=big_followed_pages(user_id=user_id).exists())
    if not get_timelines().exists(user_id=user_id):  # Redis lost it (eviction, flush)
        rebuild_timeline(user_id=user_id)
        return Reader(rebuilt=True, follows_big_pages=state.follows_big)
    if now - state.last_read_at > timedelta(hours=1):
        FeedState.objects.filter(user_id=user_id).update(last_read_at=now)
    return Reader(rebuilt=False, follows_big_pages=state.follows_big)


def forget_reader(*, user_id: uuid.UUID) -> None:
    """A deleted account's own timeline and reader state."""
    FeedState.objects.filter(user_id=user_id).delete()
    store = get_timelines()
    after_commit(
        lambda: store.clear(user_id=user_id),
        repair=lambda: outage.record(keys=[_timeline_key(user_id)]),
    )


def _timeline_key(user_id: uuid.UUID) -> str:
    """A Redis timeline's key: deleting it (without its sentinel) makes its next read rebuild
    it from the database."""
    return get_timelines().key(user_id)  # type: ignore[attr-defined]
