from __future__ import annotations

from rest_framework import serializers

from social.api import UserBrief


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
