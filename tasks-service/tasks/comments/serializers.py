from __future__ import annotations

from rest_framework import serializers


class CommentInput(serializers.Serializer):
    # Length and emptiness are the service's rules (their messages state the limit).
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


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
