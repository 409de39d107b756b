"""Writes on posts, replies, comments and likes. Counters (post, page, daily statistics) change
in the same transaction as the row; events carry who should be told (`recipient_ids`)."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from social import hot_sql
from social.core.activity import record_activity
from social.core.feed_writes import feed_writes
from social.core.validation import clean_tags, clean_text
from social.pages.models import Page
from social.pages.selectors import Viewer, viewer_id
from social.pages.services import (
    bump_page,
    check_media,
    page_audience,
    publish_media_references,
)
from social.posts import selectors
from social.posts.models import Comment, CommentLike, Post, PostLike, PostTag

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,40})")
HASHTAG_RE = re.compile(r"(?<![\w#])#([\w-]{1,40})")
POST_MEDIA_PURPOSES = ("post_image", "post_video")
MAX_MENTIONS = 20


def hot_score(*, likes: int, comments: int, created_at: datetime) -> float:
    engagement = likes + 2 * comments
    return math.log10(max(engagement, 1)) + created_at.timestamp() / 45000


# ---------------------------------------------------------------------------------------------
# Posts


def _clean_post_text(text: str) -> str:
    return clean_text(text, field="text", limit=settings.SOCIAL_POST_MAX_LENGTH)


def _mentioned_owner_ids(handles: list[str]) -> list[str]:
    if not handles:
        return []
    owners = Page.objects.filter(handle_key__in=[h.lower() for h in handles], is_blocked=False)
    return sorted({str(owner) for owner in owners.values_list("owner_id", flat=True)})


def _post_data(post: Post, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(post.id),
        "page_id": str(post.page_id),
        "page_name": post.page.name,
        "author_id": str(post.page.owner_id),
        "reply_to_id": str(post.reply_to_id) if post.reply_to_id else None,
        **extra,
    }


def _parse(text: str, tags: list[str] | None) -> tuple[list[str], list[str]]:
    tags = clean_tags(
        [*(tags or []), *HASHTAG_RE.findall(text)], limit=settings.SOCIAL_POST_MAX_TAGS
    )
    mentions = list(dict.fromkeys(MENTION_RE.findall(text)))
    if len(mentions) > MAX_MENTIONS:
        raise ServiceError.for_field(
            "text",
            ngettext(
                "At most %(limit)s mention, got %(count)s.",
                "At most %(limit)s mentions, got %(count)s.",
                MAX_MENTIONS,
            )
            % {"limit": MAX_MENTIONS, "count": len(mentions)},
            code="too_many",
        )
    return tags, mentions


def create_post(
    *,
    page: Page,
    actor_id: uuid.UUID,
    text: str = "",
    tags: list[str] | None = None,
    media_ids: list[Any] | None = None,
    reply_to: Post | None = None,
    progress: dict[str, Any] | None = None,
) -> Post:
    """`progress`: a progress post's card (social.progress writes those); its text is ours,
    so no hashtag or mention in a task's title tags anything or tells anyone."""
    if page.owner_id != actor_id:
        raise Forbidden(gettext("You can post only on your own pages."), code="not_page_owner")
    if page.is_blocked:
        raise Forbidden(
            gettext("This page is blocked by moderation; it cannot post until the block ends."),
            code="page_blocked",
        )
    text = _clean_post_text(text)
    media_ids = list(media_ids or [])
    if len(media_ids) > settings.SOCIAL_POST_MAX_MEDIA:
        most = settings.SOCIAL_POST_MAX_MEDIA
        raise ServiceError.for_field(
            "media_ids",
            ngettext(
                "At most %(limit)s file, got %(count)s.",
                "At most %(limit)s files, got %(count)s.",
                most,
            )
            % {"limit": most, "count": len(media_ids)},
        )
    media = check_media(media_ids=media_ids, owner_id=actor_id, purposes=POST_MEDIA_PURPOSES)
    if not text and not media:
        raise ServiceError.for_field(
            "text", gettext("A post needs text or at least one file."), code="required"
        )
    tags, mentions = _parse(text, tags) if progress is None else ([], [])
    with transaction.atomic():
        now = timezone.now()
        post = Post.objects.create(
            page=page,
            reply_to=reply_to,
            kind=Post.Kind.POST if progress is None else Post.Kind.PROGRESS,
            progress=progress,
            text=text,
            tags=tags,
            mentions=mentions,
            media_ids=media,
            created_at=now,
            hot_score=hot_score(likes=0, comments=0, created_at=now),
        )
        PostTag.objects.bulk_create([PostTag(tag=tag, post=post) for tag in tags])
        mentioned = _mentioned_owner_ids(mentions)
        recipients = set(mentioned)
        if reply_to is not None:
            recipients.add(str(reply_to.page.owner_id))
        recipients.discard(str(actor_id))
        publish_event(
            type="social.post.created",
            key=post.id,
            actor=actor_id,
            data=_post_data(
                post,
                tags=tags,
                mentions=mentions,
                mentioned_user_ids=mentioned,
                reply_to_author_id=str(reply_to.page.owner_id) if reply_to else None,
                recipient_ids=sorted(recipients),
            ),
        )
        publish_media_references(
            object_type="post",
            object_id=post.id,
            actor=actor_id,
            attached=post.media_ids,
            audience=page_audience(page.id),
        )
        feed_writes().post_created(post_id=post.id)
        if progress is None:  # a progress post is written for them, not by them
            record_activity(user_id=actor_id)
        # Counters last: their rows (the page, its day, the replied-to post) are the ones
        # every post on the page updates, and a row stays locked from its UPDATE to the
        # commit, so concurrent posts queue behind each other only for these statements.
        if reply_to is not None:
            Post.objects.filter(id=reply_to.id).update(reply_count=F("reply_count") + 1)
            feed_writes().posts_changed(post_ids=[reply_to.id])
        bump_page(page_id=page.id, posts_count=1, daily={"posts": 1})
    return post


def reply_to_post(
    *,
    post: Post,
    page: Page,
    actor_id: uuid.UUID,
    text: str = "",
    media_ids: list[Any] | None = None,
    tags: list[str] | None = None,
) -> Post:
    return create_post(
        page=page, actor_id=actor_id, text=text, media_ids=media_ids, tags=tags, reply_to=post
    )


def update_post(
    *,
    post: Post,
    actor_id: uuid.UUID,
    text: str | None = None,
    tags: list[str] | None = None,
    media_ids: list[Any] | None = None,
) -> Post:
    if post.page.owner_id != actor_id:
        raise Forbidden(gettext("Only the author may edit a post."), code="not_author")
    if post.kind == Post.Kind.PROGRESS:
        raise Conflict(
            gettext("A progress post cannot be edited; delete it instead."),
            code="progress_post",
        )
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("page").get(id=post.id)
        old_media = list(post.media_ids or [])
        if text is not None:
            post.text = _clean_post_text(text)
        if media_ids is not None:
            post.media_ids = check_media(
                media_ids=media_ids, owner_id=actor_id, purposes=POST_MEDIA_PURPOSES
            )
        if not post.text and not post.media_ids:
            raise ServiceError.for_field(
                "text", gettext("A post needs text or at least one file."), code="required"
            )
        post.tags, post.mentions = _parse(post.text, tags if tags is not None else post.tags)
        post.edited_at = timezone.now()
        post.save()
        PostTag.objects.filter(post=post).delete()
        PostTag.objects.bulk_create([PostTag(tag=tag, post=post) for tag in post.tags])
        publish_event(
            type="social.post.updated",
            key=post.id,
            actor=actor_id,
            data=_post_data(post, tags=post.tags, mentions=post.mentions, recipient_ids=[]),
        )
        publish_media_references(
            object_type="post",
            object_id=post.id,
            actor=actor_id,
            attached=[i for i in post.media_ids if i not in old_media],
            detached=[i for i in old_media if i not in post.media_ids],
            audience=page_audience(post.page_id),
        )
    return post


def delete_post(
    *, post: Post, actor_id: uuid.UUID, reason: str = "", by_moderator: bool = False
) -> bool:
    """Soft delete: the post disappears everywhere; the row stays for moderation's record.
    False when it was deleted already (by someone else meanwhile): nothing more happens."""
    if not by_moderator and post.page.owner_id != actor_id:
        raise Forbidden(gettext("Only the author may delete a post."), code="not_author")
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("page").get(id=post.id)
        if post.deleted_at is not None:
            return False
        post.deleted_at = timezone.now()
        post.deleted_reason = reason
        post.save(update_fields=["deleted_at", "deleted_reason"])
        bump_page(page_id=post.page_id, posts_count=-1)
        if post.reply_to_id:
            Post.objects.filter(id=post.reply_to_id, reply_count__gt=0).update(
                reply_count=F("reply_count") - 1
            )
            feed_writes().posts_changed(post_ids=[post.reply_to_id])
        publish_event(
            type="social.post.deleted",
            key=post.id,
            actor=actor_id,
            data=_post_data(
                post,
                reason=reason,
                by_moderator=by_moderator,
                recipient_ids=[str(post.page.owner_id)] if by_moderator else [],
            ),
        )
        if post.media_ids:
            publish_media_references(
                object_type="post", object_id=post.id, actor=actor_id, detach_all=True
            )
    return True


# ---------------------------------------------------------------------------------------------
# Likes (idempotent)


def like_post(*, post_id: uuid.UUID | str, viewer: Viewer) -> bool:
    """`viewer` likes the post (if they may read it): True when a like was added, False when
    it was there already."""
    user_id = viewer_id(viewer)
    with transaction.atomic():
        # Visibility and the lock of the post's row in one query: likes of one post queue here,
        # likes of a page's other posts only for the page counters, updated last.
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer, lock=True)
        if not hot_sql.insert_like(post_id=post.id, user_id=user_id):
            return False
        _recount(post=post, likes=1)
        owner = str(post.page.owner_id)
        publish_event(
            type="social.like.created",
            key=post.id,
            actor=user_id,
            data={
                "target_type": "post",
                "target_id": str(post.id),
                "post_id": str(post.id),
                "comment_id": None,
                "target_author_id": owner,
                "page_id": str(post.page_id),
                "user_id": str(user_id),
                "recipient_ids": [owner] if owner != str(user_id) else [],
            },
        )
        bump_page(page_id=post.page_id, likes_count=1, daily={"likes": 1})
    return True


def unlike_post(*, post_id: uuid.UUID | str, viewer: Viewer) -> bool:
    """`viewer` takes their like back: True when there was one."""
    user_id = viewer_id(viewer)
    with transaction.atomic():
        post = selectors.post_for_viewer(post_id=post_id, viewer=viewer, lock=True)
        deleted, _ = PostLike.objects.filter(post=post, user_id=user_id).delete()
        if not deleted:
            return False
        _recount(post=post, likes=-1)
        publish_event(
            type="social.like.removed",
            key=post.id,
            actor=user_id,
            data={
                "target_type": "post",
                "target_id": str(post.id),
                "post_id": str(post.id),
                "page_id": str(post.page_id),
                "user_id": str(user_id),
                "recipient_ids": [],
            },
        )
        bump_page(page_id=post.page_id, likes_count=-1)
    return True


def _recount(*, post: Post, likes: int = 0, comments: int = 0) -> None:
    """Change a locked post's counters and its popularity rank."""
    post.like_count = max(post.like_count + likes, 0)
    post.comment_count = max(post.comment_count + comments, 0)
    post.hot_score = hot_score(
        likes=post.like_count, comments=post.comment_count, created_at=post.created_at
    )
    # A prepared UPDATE instead of save(): every like runs this. save()'s signal would have
    # dropped the post's feed card, so that is done here.
    hot_sql.set_post_counts(post=post)
    feed_writes().posts_changed(post_ids=[post.id])


# ---------------------------------------------------------------------------------------------
# Comments


def _clean_comment(text: str) -> str:
    return clean_text(
        text,
        field="text",
        limit=settings.SOCIAL_COMMENT_MAX_LENGTH,
        required=True,
        blank_message=gettext("A comment cannot be empty."),
    )


def _comment_data(comment: Comment, post: Post, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(comment.id),
        "post_id": str(post.id),
        "page_id": str(post.page_id),
        "post_author_id": str(post.page.owner_id),
        "parent_id": str(comment.parent_id) if comment.parent_id else None,
        "author_id": str(comment.author_id),
        **extra,
    }


def create_comment(
    *, post: Post, author_id: uuid.UUID, text: str, parent_id: uuid.UUID | None = None
) -> Comment:
    text = _clean_comment(text)
    with transaction.atomic():
        post = Post.objects.select_for_update(of=("self",)).select_related("page").get(id=post.id)
        parent = None
        if parent_id:
            parent = Comment.objects.filter(
                id=parent_id, post=post, deleted_at__isnull=True
            ).first()
            if parent is None:
                raise NotFound.for_field(
                    "parent_id", gettext("No such comment on this post."), code="not_found"
                )
        comment = Comment.objects.create(post=post, author_id=author_id, parent=parent, text=text)
        if parent is not None:
            Comment.objects.filter(id=parent.id).update(reply_count=parent.reply_count + 1)
        _recount(post=post, comments=1)
        bump_page(page_id=post.page_id, comments_count=1, daily={"comments": 1})
        mentioned = _mentioned_owner_ids(
            list(dict.fromkeys(MENTION_RE.findall(text)))[:MAX_MENTIONS]
        )
        recipients = {str(post.page.owner_id), *mentioned}
        if parent is not None:
            recipients.add(str(parent.author_id))
        recipients.discard(str(author_id))
        publish_event(
            type="social.comment.created",
            key=comment.id,
            actor=author_id,
            data=_comment_data(
                comment,
                post,
                parent_author_id=str(parent.author_id) if parent else None,
                mentioned_user_ids=mentioned,
                recipient_ids=sorted(recipients),
            ),
        )
    return comment


def update_comment(*, comment: Comment, actor_id: uuid.UUID, text: str) -> Comment:
    if comment.author_id != actor_id:
        raise Forbidden(gettext("Only the comment's author may edit it."), code="not_author")
    text = _clean_comment(text)
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(id=comment.id)
        comment.text = text
        comment.edited_at = timezone.now()
        comment.save(update_fields=["text", "edited_at"])
        post = Post.objects.select_related("page").get(id=comment.post_id)
        publish_event(
            type="social.comment.updated",
            key=comment.id,
            actor=actor_id,
            data=_comment_data(comment, post, recipient_ids=[]),
        )
    return comment


def delete_comment(
    *, comment: Comment, actor_id: uuid.UUID, reason: str = "", by_moderator: bool = False
) -> bool:
    """Soft delete; False when it was deleted already (nothing more happens)."""
    if not by_moderator and comment.author_id != actor_id:
        raise Forbidden(
            gettext("Only the comment's author may delete it (moderators: use moderation)."),
            code="not_author",
        )
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(id=comment.id)
        if comment.deleted_at is not None:
            return False
        comment.deleted_at = timezone.now()
        comment.deleted_reason = reason
        comment.save(update_fields=["deleted_at", "deleted_reason"])
        post = (
            Post.objects.select_for_update(of=("self",))
            .select_related("page")
            .get(id=comment.post_id)
        )
        _recount(post=post, comments=-1)
        bump_page(page_id=post.page_id, comments_count=-1)
        publish_event(
            type="social.comment.deleted",
            key=comment.id,
            actor=actor_id,
            data=_comment_data(
                comment,
                post,
                reason=reason,
                by_moderator=by_moderator,
                recipient_ids=[str(comment.author_id)] if by_moderator else [],
            ),
        )
    return True


def like_comment(*, comment: Comment, user_id: uuid.UUID) -> bool:
    """True when a like was added. It counts in the statistics of the page the post is on."""
    with transaction.atomic():
        # `of=("self",)`: lock only the comment; the joined post (read for its page) stays free
        # for likes and comments on it.
        comment = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("post")
            .get(id=comment.id)
        )
        _, created = CommentLike.objects.get_or_create(comment=comment, user_id=user_id)
        if not created:
            return False
        comment.like_count += 1
        comment.save(update_fields=["like_count"])
        author = str(comment.author_id)
        publish_event(
            type="social.like.created",
            key=comment.post_id,
            actor=user_id,
            data={
                "target_type": "comment",
                "target_id": str(comment.id),
                "post_id": str(comment.post_id),
                "comment_id": str(comment.id),
                "target_author_id": author,
                "user_id": str(user_id),
                "recipient_ids": [author] if author != str(user_id) else [],
            },
        )
        # The page row last: every like and post on the page updates it (see create_post).
        bump_page(page_id=comment.post.page_id, comment_likes_count=1, daily={"comment_likes": 1})
    return True


def unlike_comment(*, comment: Comment, user_id: uuid.UUID) -> bool:
    with transaction.atomic():
        comment = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("post")
            .get(id=comment.id)
        )
        deleted, _ = CommentLike.objects.filter(comment=comment, user_id=user_id).delete()
        if not deleted:
            return False
        comment.like_count = max(comment.like_count - 1, 0)
        comment.save(update_fields=["like_count"])
        publish_event(
            type="social.like.removed",
            key=comment.post_id,
            actor=user_id,
            data={
                "target_type": "comment",
                "target_id": str(comment.id),
                "post_id": str(comment.post_id),
                "user_id": str(user_id),
                "recipient_ids": [],
            },
        )
        # The total drops; the day's figure counts likes given that day, as for posts.
        bump_page(page_id=comment.post.page_id, comment_likes_count=-1)
    return True


# ---------------------------------------------------------------------------------------------
# Account deletion


ACCOUNT_DELETED = "account_deleted"


def erase_user_activity(*, user_id: uuid.UUID) -> dict[str, int]:
    """`auth.user.deleted`, on other people's pages (the person's own pages go with their posts,
    see `pages.services.delete_user_data`): their likes are removed and their comments become
    tombstones, every counter following as if they had unliked and deleted each one; the posts
    their replies answered count one reply fewer. No event per like or comment: consumers act
    on `auth.user.deleted` itself. Running it twice changes nothing more."""
    done = {"post_likes": 0, "comment_likes": 0, "comments": 0}
    with transaction.atomic():
        # Likes of posts: post row first, page counters last (the order `like_post` locks in).
        mine = {"post__page__owner_id": user_id}  # deleted with the pages anyway
        for like in PostLike.objects.filter(user_id=user_id).exclude(**mine).order_by("id"):
            post = Post.objects.select_for_update(of=("self",)).get(id=like.post_id)
            PostLike.objects.filter(id=like.id).delete()
            _recount(post=post, likes=-1)
            bump_page(page_id=post.page_id, likes_count=-1)
            done["post_likes"] += 1
        on_mine = {"comment__post__page__owner_id": user_id}
        for comment_like in (
            CommentLike.objects.filter(user_id=user_id).exclude(**on_mine).order_by("id")
        ):
            comment = (
                Comment.objects.select_for_update(of=("self",))
                .select_related("post")
                .get(id=comment_like.comment_id)
            )
            CommentLike.objects.filter(id=comment_like.id).delete()
            Comment.objects.filter(id=comment.id).update(like_count=max(comment.like_count - 1, 0))
            bump_page(page_id=comment.post.page_id, comment_likes_count=-1)
            done["comment_likes"] += 1
        # Comments: a tombstone, not a deletion, so other people's replies under them stay.
        # Its text is erased; its author is the anonymised account (no name left anywhere).
        now = timezone.now()
        comments = Comment.objects.filter(author_id=user_id).exclude(**mine)
        for comment in comments.exclude(deleted_reason=ACCOUNT_DELETED, text=""):
            if comment.deleted_at is None:
                post = Post.objects.select_for_update(of=("self",)).get(id=comment.post_id)
                _recount(post=post, comments=-1)
                bump_page(page_id=post.page_id, comments_count=-1)
            Comment.objects.filter(id=comment.id).update(
                text="",
                deleted_at=comment.deleted_at or now,
                deleted_reason=ACCOUNT_DELETED,
                edited_at=None,
            )
            done["comments"] += 1
        # Their live replies are deleted with their pages; the replied posts count them no more.
        replied = (
            Post.objects.filter(page__owner_id=user_id, deleted_at__isnull=True)
            .exclude(reply_to__isnull=True)
            .exclude(reply_to__page__owner_id=user_id)
            .values_list("reply_to_id", flat=True)
        )
        for reply_to_id in list(replied):
            Post.objects.filter(id=reply_to_id, reply_count__gt=0).update(
                reply_count=F("reply_count") - 1
            )
            feed_writes().posts_changed(post_ids=[reply_to_id])
    return done
