from __future__ import annotations

from rest_framework import serializers

from cotask_common.openapi import checked_text
from social.api import UserBrief
from social.core.validation import TAG_SCHEMA
from social.pages.services import MAX_LINKS, MAX_PAGE_TAGS


class PageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    handle = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    avatar_id = serializers.UUIDField(allow_null=True)
    links = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    is_private = serializers.BooleanField()
    is_blocked = serializers.BooleanField()
    owner = UserBrief()
    followers_count = serializers.IntegerField()
    posts_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class PageDetailOutput(PageOutput):
    follow_status = serializers.SerializerMethodField()
    blocked_until = serializers.DateTimeField(allow_null=True)

    def get_follow_status(self, page: object) -> str | None:
        return self.context.get("follow_status")


# services._clean_links: http:// or https://, then 1 to 500 characters that are not spaces.
LINK_SCHEMA = {
    "pattern": r"^https?://\S{1,500}$",
    "example": "https://example.com",
    "description": "An http(s) URL: the scheme, then at most 500 characters, no spaces",
}


def _tags() -> serializers.ListField:
    # core.validation.clean_tags checks each tag (and how many), with its own message.
    return serializers.ListField(
        child=checked_text(TAG_SCHEMA, allow_blank=True, trim_whitespace=False),
        required=False,
        max_length=MAX_PAGE_TAGS,
    )


def _links() -> serializers.ListField:
    return serializers.ListField(
        child=checked_text(LINK_SCHEMA, allow_blank=True, trim_whitespace=False),
        required=False,
        max_length=MAX_LINKS,
    )


# core.validation.clean_handle: "@" and surrounding spaces dropped, then 3 to 40 of these.
HANDLE_SCHEMA = {"pattern": r"^\s*@?[A-Za-z0-9_]{3,40}\s*$"}


class PageCreateInput(serializers.Serializer):
    # Lengths and formats are checked (with the limits in the message) by the service.
    handle = checked_text(HANDLE_SCHEMA, allow_blank=True, trim_whitespace=True)
    # needed, at most NAME_MAX once trimmed: the service says so in its own words
    name = checked_text({"pattern": r"\S"}, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    tags = _tags()
    is_private = serializers.BooleanField(required=False, default=False)
    avatar_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    links = _links()


class PageUpdateInput(serializers.Serializer):
    handle = checked_text(HANDLE_SCHEMA, required=False, allow_blank=True)
    name = checked_text({"pattern": r"\S"}, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    tags = _tags()
    is_private = serializers.BooleanField(required=False)
    avatar_id = serializers.UUIDField(required=False, allow_null=True)
    links = _links()


class FollowOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    page_id = serializers.UUIDField()
    user = UserBrief()
    created_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)


class FollowingOutput(serializers.Serializer):
    id = serializers.UUIDField()
    page = PageOutput()
    approved_at = serializers.DateTimeField(allow_null=True)


class FollowStateOutput(serializers.Serializer):
    status = serializers.CharField(allow_null=True)


class BatchInput(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)
    all = serializers.BooleanField(required=False, default=False)


class CountOutput(serializers.Serializer):
    count = serializers.IntegerField()


class UserIdInput(serializers.Serializer):
    user_id = serializers.UUIDField()


class PageBlockOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user = UserBrief()
    created_at = serializers.DateTimeField()


class MeOutput(serializers.Serializer):
    user = UserBrief()
    personal_page = PageOutput(allow_null=True)
    following_count = serializers.IntegerField()
    pages_count = serializers.IntegerField()


class DailyStat(serializers.Serializer):
    day = serializers.DateField()
    followers_gained = serializers.IntegerField()
    followers_lost = serializers.IntegerField()
    posts = serializers.IntegerField()
    likes = serializers.IntegerField(help_text="Likes given to the page's posts that day.")
    comments = serializers.IntegerField()
    comment_likes = serializers.IntegerField(
        help_text="Likes given that day to comments under the page's posts."
    )


class TopPost(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()
    like_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class StatsOutput(serializers.Serializer):
    page_id = serializers.UUIDField()
    followers = serializers.IntegerField()
    posts = serializers.IntegerField()
    likes = serializers.IntegerField(help_text="Likes the page's posts got, less those undone.")
    comments = serializers.IntegerField()
    comment_likes = serializers.IntegerField(
        help_text="Likes the comments under the page's posts got, less those undone; not in "
        "`likes`."
    )
    daily = DailyStat(many=True)
    top_posts = TopPost(many=True)
