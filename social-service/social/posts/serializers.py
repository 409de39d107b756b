from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cotask_common.openapi import checked_text
from social.api import UserBrief
from social.core.validation import TAG_SCHEMA
from social.pages.selectors import video_states


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


class VideoRenditionOutput(serializers.Serializer):
    url = serializers.URLField(allow_null=True, help_text="Plain URL; null when private.")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class VideoOutput(serializers.Serializer):
    conversion = serializers.ChoiceField(choices=["pending", "ready", "failed"])
    duration = serializers.FloatField(required=False, allow_null=True)
    poster = serializers.JSONField(
        required=False, allow_null=True, help_text="{url, width, height}"
    )
    renditions = serializers.DictField(
        child=VideoRenditionOutput(), required=False, help_text="`720p`, `360p` when ready"
    )
    code = serializers.CharField(required=False, help_text="Why the conversion failed.")


class PostListOutput(serializers.ListSerializer):
    """Reads the conversions of every video on the page of posts in one query."""

    def to_representation(self, data: Any) -> list[Any]:
        posts = list(data.all() if hasattr(data, "all") else data)
        _load_videos(self.context, [m for post in posts for m in post.media_ids or []])
        return super().to_representation(posts)


def _load_videos(context: Any, media_ids: list[Any]) -> dict[str, Any]:
    known = context.setdefault("_videos", {})
    missing = [str(m) for m in media_ids if str(m) not in known]
    if missing:
        known.update(dict.fromkeys(missing))  # not videos: asked once
        request = context.get("request")
        absolute = request.build_absolute_uri if request is not None else None
        known.update(video_states(media_ids=missing, absolute=absolute))
    return known


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
    videos = serializers.SerializerMethodField(
        help_text="The post's lesson videos by file id: their conversion (`pending`, `ready` "
        "with the MP4 renditions and poster, `failed`); show a video once it is `ready`."
    )

    class Meta:
        list_serializer_class = PostListOutput

    @extend_schema_field(serializers.DictField(child=VideoOutput()))
    def get_videos(self, post: Any) -> dict[str, Any]:
        if not post.media_ids:
            return {}
        known = _load_videos(self.context, post.media_ids)
        return {str(m): known[str(m)] for m in post.media_ids if known.get(str(m))}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The fields above, built directly: the feed and every post list render many posts,
        and DRF's generic field-by-field walk cost more than the queries behind them. The
        declared fields still describe the schema; a test pins this output to the generic
        rendering."""
        return {
            **post_body(instance),
            "page": page_brief(instance.page),
            "liked": bool(getattr(instance, "liked", False)),
            "videos": self.get_videos(instance),
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


def _tag() -> serializers.CharField:
    return checked_text(TAG_SCHEMA, allow_blank=True, trim_whitespace=False)


class PostInput(serializers.Serializer):
    text = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    # core.validation.clean_tags checks each tag, with its own message.
    tags = serializers.ListField(child=_tag(), required=False, default=list)
    media_ids = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class PostUpdateInput(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tags = serializers.ListField(child=_tag(), required=False)
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
    # not blank: the service refuses it in its own words
    text = checked_text({"pattern": r"\S"}, allow_blank=True, trim_whitespace=False)
    parent_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class CommentUpdateInput(serializers.Serializer):
    whole_patch = True  # its PATCH takes the whole body (cotask_common.openapi)
    # not blank: the service refuses it in its own words
    text = checked_text({"pattern": r"\S"}, allow_blank=True, trim_whitespace=False)


class CommentsQuery(serializers.Serializer):
    # The query parameter's name; DRF's metaclass takes it out of the class, so Field.parent stays.
    parent = serializers.UUIDField(  # type: ignore[assignment]
        required=False, help_text="a comment's id: its replies"
    )
