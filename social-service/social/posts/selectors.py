"""Reading posts, replies, comments and likes, always through the visibility rules of pages."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext

from cotask_common.errors import Forbidden, NotFound
from social.pages import selectors as page_selectors
from social.pages.models import Page, PageBlock, PageDailyStat
from social.pages.selectors import Viewer, readable_pages_q, viewer_id
from social.posts.models import Comment, CommentLike, Post, PostLike, PostTag


def with_liked(posts: QuerySet[Post], *, viewer: Viewer) -> QuerySet[Post]:
    user_id = viewer_id(viewer)
    if user_id is None:
        return posts.annotate(liked=Value(False, output_field=BooleanField()))
    return posts.annotate(
        liked=Exists(PostLike.objects.filter(post=OuterRef("pk"), user_id=user_id))
    )


def visible_posts(*, viewer: Viewer) -> QuerySet[Post]:
    """Every post `viewer` may read, with what the serializer needs in the same query."""
    posts = Post.objects.filter(deleted_at__isnull=True).filter(readable_pages_q(viewer=viewer))
    return with_liked(posts.select_related("page"), viewer=viewer)


# What a write to a post's counters reads (a like): the counters, what the popularity rank and
# the event need, and what the page's visibility rules read. Fewer columns to compile and load.
COUNTER_WRITE_FIELDS = (
    "id",
    "page_id",
    "like_count",
    "comment_count",
    "created_at",
    "deleted_at",
    "page__id",
    "page__owner_id",
    "page__is_private",
    "page__is_blocked",
)


def _no_post(post_id: uuid.UUID | str) -> str:
    return gettext("No post with the id %(id)s.") % {"id": repr(str(post_id))}


def post_for_viewer(*, post_id: uuid.UUID | str, viewer: Viewer, lock: bool = False) -> Post:
    """The post if `viewer` may read it: 404 when it is gone or its page is hidden from them,
    403 when the page is private and they do not follow it. `lock` (inside a transaction)
    locks the post's row in the same query, for a write to its counters, and loads only
    COUNTER_WRITE_FIELDS: the page is only read, its own counters are changed by single
    UPDATEs."""
    rows = Post.objects.select_related("page").filter(id=post_id)
    if lock:
        rows = rows.select_for_update(of=("self",)).only(*COUNTER_WRITE_FIELDS)
    user_id = viewer_id(viewer)
    if user_id is not None:  # the owner's block of the viewer, in the same query
        blocked = PageBlock.objects.filter(page_id=OuterRef("page_id"), user_id=user_id)
        rows = rows.annotate(viewer_blocked=Exists(blocked))
    # A slice, not first(): a primary-key lookup needs no ORDER BY (nor its compilation).
    post = next(iter(rows[:1]), None)
    if post is None or post.deleted_at is not None:
        raise NotFound(_no_post(post_id))
    try:
        page_selectors.check_visible(
            page=post.page,
            viewer=viewer,
            ref=post.page_id,
            blocked_from=getattr(post, "viewer_blocked", False),
        )
    except NotFound as exc:
        raise NotFound(_no_post(post_id)) from exc
    if not page_selectors.can_read_posts(page=post.page, viewer=viewer):
        raise Forbidden(
            gettext("This post is on a private page: only its approved followers see it."),
            code="page_private",
        )
    return post


def page_posts(*, page_id: uuid.UUID, viewer: Viewer) -> QuerySet[Post]:
    return visible_posts(viewer=viewer).filter(page_id=page_id)


def replies(*, post: Post, viewer: Viewer) -> QuerySet[Post]:
    return visible_posts(viewer=viewer).filter(reply_to=post)


def tag_posts(*, tag: str, viewer: Viewer) -> QuerySet[Post]:
    tag = tag.strip().lstrip("#").lower()
    return visible_posts(viewer=viewer).filter(
        id__in=PostTag.objects.filter(tag=tag).values("post_id")
    )


def popular_posts(*, viewer: Viewer) -> QuerySet[Post]:
    since = timezone.now() - timedelta(hours=settings.SOCIAL_POPULAR_WINDOW_HOURS)
    return visible_posts(viewer=viewer).filter(created_at__gte=since)


def likers(*, post: Post) -> QuerySet[PostLike]:
    return PostLike.objects.filter(post=post, user__is_banned=False).select_related("user")


def liked_posts(*, user_id: uuid.UUID, viewer: Viewer) -> QuerySet[PostLike]:
    posts = visible_posts(viewer=viewer)
    return PostLike.objects.filter(user_id=user_id, post__in=posts.values("id")).select_related(
        "post", "post__page"
    )


def comments(*, post: Post, parent_id: uuid.UUID | None, viewer: Viewer) -> QuerySet[Comment]:
    rows = Comment.objects.filter(
        post=post, parent_id=parent_id, deleted_at__isnull=True, author__is_banned=False
    ).select_related("author")
    user_id = viewer_id(viewer)
    if user_id is None:
        return rows.annotate(liked=Value(False, output_field=BooleanField()))
    return rows.annotate(
        liked=Exists(CommentLike.objects.filter(comment=OuterRef("pk"), user_id=user_id))
    )


def comment_for_viewer(*, comment_id: uuid.UUID | str, viewer: Viewer) -> Comment:
    comment = Comment.objects.select_related("author", "post").filter(id=comment_id).first()
    if comment is None or comment.deleted_at is not None:
        raise NotFound(gettext("No comment with the id %(id)s.") % {"id": repr(str(comment_id))})
    post_for_viewer(post_id=comment.post_id, viewer=viewer)
    return comment


def page_stats(*, page: Page, days: int = 30) -> dict[str, Any]:
    """Statistics from the counters the services keep; no scan over follows or likes. Here,
    not in pages: the top posts are posts."""
    since = timezone.now().date() - timedelta(days=days - 1)
    daily = list(
        PageDailyStat.objects.filter(page=page, day__gte=since)
        .order_by("day")
        .values(
            "day",
            "followers_gained",
            "followers_lost",
            "posts",
            "likes",
            "comments",
            "comment_likes",
        )
    )
    top = list(
        Post.objects.filter(page=page, deleted_at__isnull=True)
        .order_by("-like_count", "-comment_count", "-id")
        .values("id", "text", "like_count", "comment_count", "created_at")[:5]
    )
    return {
        "page_id": page.id,
        "followers": page.followers_count,
        "posts": page.posts_count,
        "likes": page.likes_count,
        "comments": page.comments_count,
        "comment_likes": page.comment_likes_count,
        "daily": daily,
        "top_posts": top,
    }
