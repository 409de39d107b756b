from __future__ import annotations

from rest_framework import serializers

from cotask_common.openapi import checked_text
from tasks.rooms.serializers import UserBrief  # one schema component for {id, username}


class CommentInput(serializers.Serializer):
    whole_patch = True  # its PATCH takes the whole body (cotask_common.openapi)
    # Length and emptiness are the service's rules (their messages state the limit).
    body = checked_text({"pattern": r"\S"}, allow_blank=True, trim_whitespace=False)


class CommentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    task_id = serializers.UUIDField()
    author = UserBrief(allow_null=True)
    body = serializers.CharField()
    mentions = UserBrief(many=True, source="mentioned.all")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
