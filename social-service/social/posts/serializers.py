from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from social.api import UserBrief


def iso_datetime(value: datetime | None) -> str | None:
    """What DRF's DateTimeField gives (ISO 8601 in the current time zone, "Z" for UTC)."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class PageBrief(serializers.Serializer):
    id = serializers.UUIDField()
    handle = serializers.CharField()
    name = serializers.CharField()
    avatar_id = serializers.UUIDField(allow_null=True)
    is_private = serializers.BooleanField()


class PostOutput(serializers.Serializer):
    id = serializers.UUIDField()
    page = PageBrief()
    author_id = serializers.UUIDField(source="page.owner_id")
    reply_to_id = serializers.UUIDField(allow_null=True)
    kind = serializers.ChoiceField(
        choices=["post", "progress"], help_text="`progress`: written from the author's progress"
    )
    progress = serializers.JSONField(
        allow_null=True,
        help_text='A progress post\'s card, e.g. {"kind": "streak_milestone", "figures": '
        '{"days": 30}, "names": {"habit": "Run"}}; null for other posts.',
    )
    text = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    mentions = serializers.ListField(child=serializers.CharField())
    media_ids = serializers.ListField(child=serializers.UUIDField())
    like_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    reply_count = serializers.IntegerField()
    liked = serializers.BooleanField(default=False)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The fields above, built directly: the feed and every post list render many posts,
        and DRF's generic field-by-field walk cost more than the queries behind them. The
        declared fields still describe the schema; a test pins this output to the generic
        rendering."""
        return {
            **post_body(instance),
            "page": page_brief(instance.page),
            "liked": bool(getattr(instance, "liked", False)),
        }


def page_brief(page: Any) -> dict[str, Any]:
    """`PageBrief` of a page: what a post shows of its page."""
    return {
        "id": str(page.id),
        "handle": str(page.handle),
        "name": str(page.name),
        "avatar_id": None if page.avatar_id is None else str(page.avatar_id),
        "is_private": bool(page.is_private),
    }


def post_body(post: Any) -> dict[str, Any]:
    """`PostOutput` without `page` and `liked` (the feed's cards keep those apart)."""
    return {
        "id": str(post.id),
        "author_id": str(post.page.owner_id),
        "reply_to_id": None if post.reply_to_id is None else str(post.reply_to_id),
        "kind": str(post.kind),
        "progress": post.progress,
        "text": str(post.text),
        "tags": [str(tag) for tag in post.tags],
        "mentions": [str(handle) for handle in post.mentions],
        "media_ids": [str(media_id) for media_id in post.media_ids],
        "like_count": int(post.like_count),
        "comment_count": int(post.comment_count),
        "reply_count": int(post.reply_count),
        "created_at": iso_datetime(post.created_at),
        "edited_at": iso_datetime(post.edited_at),
    }


class PostInput(serializers.Serializer):
    text = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list
    )
    media_ids = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class PostUpdateInput(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tags = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    media_ids = serializers.ListField(child=serializers.CharField(), required=False)


class ReplyInput(PostInput):
    page_id = serializers.CharField(help_text="Your page (uuid or handle) the reply is posted from")


class LikeStateOutput(serializers.Serializer):
    liked = serializers.BooleanField()
    changed = serializers.BooleanField()


class LikerOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user = UserBrief()
    created_at = serializers.DateTimeField()


class LikedPostOutput(serializers.Serializer):
    id = serializers.UUIDField()
    post = PostOutput()
    created_at = serializers.DateTimeField()


class CommentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    post_id = serializers.UUIDField()
    parent_id = serializers.UUIDField(allow_null=True)
    author = UserBrief()
    text = serializers.CharField()
    like_count = serializers.IntegerField()
    reply_count = serializers.IntegerField()
    liked = serializers.BooleanField(default=False)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class CommentInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    parent_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class CommentUpdateInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class CommentsQuery(serializers.Serializer):
    # The query parameter's name; DRF's metaclass takes it out of the class, so Field.parent stays.
    parent = serializers.UUIDField(  # type: ignore[assignment]
        required=False, help_text="a comment's id: its replies"
    )
