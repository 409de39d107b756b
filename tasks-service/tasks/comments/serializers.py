from __future__ import annotations

from rest_framework import serializers

from tasks.comments.services import BODY_MAX


class CommentInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX, trim_whitespace=True)


class UserBrief(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()


class CommentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    task_id = serializers.UUIDField()
    author = UserBrief(allow_null=True)
    body = serializers.CharField()
    mentions = UserBrief(many=True, source="mentioned.all")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
