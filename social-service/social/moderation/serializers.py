from __future__ import annotations

from rest_framework import serializers

from cotask_common.openapi import checked_text
from social.moderation.models import Report, TargetType


class BlockPageInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    duration_hours = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )
    permanent = serializers.BooleanField(required=False, default=False)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ReportInput(serializers.Serializer):
    # A chat message is reported from its conversation (social.chat), not here.
    target_type = serializers.ChoiceField(
        choices=[c for c in TargetType.choices if c[0] != TargetType.MESSAGE]
    )
    target_id = serializers.UUIDField()
    # services._reason: needed, at most REASON_MAX characters once trimmed.
    reason = checked_text({"pattern": r"\S", "maxLength": 1000}, allow_blank=True)


class ResolveInput(serializers.Serializer):
    resolution = serializers.CharField(allow_blank=True)
    action = serializers.ChoiceField(choices=["none", "delete", "block_page"], default="none")
    duration_hours = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )


class ReportOutput(serializers.Serializer):
    id = serializers.UUIDField()
    reporter_id = serializers.UUIDField()
    target_type = serializers.CharField()
    target_id = serializers.UUIDField()
    reason = serializers.CharField()
    status = serializers.CharField()
    resolved_by_id = serializers.UUIDField(allow_null=True)
    resolution = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class ActionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    actor_id = serializers.UUIDField(allow_null=True)
    actor_role = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.UUIDField()
    target_owner_id = serializers.UUIDField(allow_null=True)
    reason = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True)
    report_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReportQueueQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Report.Status.choices, default=Report.Status.OPEN)


class ActionsQuery(serializers.Serializer):
    target_id = serializers.UUIDField(required=False, help_text="only actions on this target")
