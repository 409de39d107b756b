"""Input and output shapes of the rooms API. Inputs only parse; the rules (lengths, roles,
who may) are the services'."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from cotask_common.openapi import checked_text
from tasks.rooms.access import has_role
from tasks.rooms.models import RoomKind, RoomRole
from tasks.rooms.services import LABEL_NAME_MAX_LENGTH, PERSONAL_SPACE_NAME


class UserBrief(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()


class RoomOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = UserBrief()
    my_role = serializers.CharField()
    member_count = serializers.IntegerField()
    join_code = serializers.CharField(
        required=False, help_text="Only for the room's admins and owner."
    )
    share_progress = serializers.BooleanField(
        help_text="Members' completed tasks may appear in their progress posts."
    )
    private = serializers.BooleanField(
        help_text="The room's name never appears in progress posts: they say 'a private room'."
    )
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.kind == RoomKind.PERSONAL and instance.name == PERSONAL_SPACE_NAME:
            data["name"] = _("Personal space")  # the default name, in the reader's language
        # The code lets anyone in: only those who manage members see it.
        if not (instance.join_code and has_role(instance.my_role or "", RoomRole.ADMIN)):
            data.pop("join_code", None)
        return data


# Some text besides spaces (the services trim names, then refuse an empty one).
NOT_BLANK = {"pattern": r"\S"}


# services._clean_description's limit, on the trimmed text (with its own message).
DESCRIPTION = {"pattern": r"^\s*(?:\S(?:[\s\S]{0,4998}\S)?)?\s*$"}


class RoomCreateInput(serializers.Serializer):
    # services._clean_name checks it (needed, a length limit) with its own messages.
    name = checked_text(NOT_BLANK, allow_blank=True, trim_whitespace=False)
    description = checked_text(DESCRIPTION, required=False, allow_blank=True, default="")


class RoomUpdateInput(serializers.Serializer):
    name = checked_text(NOT_BLANK, required=False, allow_blank=True)
    description = checked_text(DESCRIPTION, required=False, allow_blank=True)
    share_progress = serializers.BooleanField(
        required=False,
        help_text="Let members share the room's completed tasks (title and room name) in "
        "progress posts their followers see. Off by default.",
    )
    private = serializers.BooleanField(
        required=False,
        help_text="Keep the room's name out of progress posts (they say 'a private room'). "
        "Off by default.",
    )


class JoinInput(serializers.Serializer):
    code = serializers.CharField(allow_blank=True, max_length=64)


class JoinCodeOutput(serializers.Serializer):
    join_code = serializers.CharField()


class MemberOutput(serializers.Serializer):
    id = serializers.UUIDField(source="user.id")
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField(source="user.display_name")
    role = serializers.CharField()
    joined_at = serializers.DateTimeField()


class RoleInput(serializers.Serializer):
    whole_patch = True  # its PATCH takes the whole body (cotask_common.openapi)
    # checked by the service, in its own words
    role = checked_text({"type": "string", "enum": ["admin", "member", "viewer"]})


class UserIdInput(serializers.Serializer):
    user_id = serializers.UUIDField()


class LabelOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    color = serializers.CharField()
    created_at = serializers.DateTimeField()


LABEL_NAME = {**NOT_BLANK, "maxLength": LABEL_NAME_MAX_LENGTH}


class LabelCreateInput(serializers.Serializer):
    name = checked_text(LABEL_NAME, allow_blank=True)  # services._clean_label
    color = serializers.CharField(required=False, allow_blank=True, default="")


class LabelUpdateInput(serializers.Serializer):
    name = checked_text(LABEL_NAME, required=False, allow_blank=True)
    color = serializers.CharField(required=False, allow_blank=True)


class HistoryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    action = serializers.CharField()
    actor = UserBrief(allow_null=True)
    subject = UserBrief(allow_null=True)
    role_before = serializers.CharField()
    role_after = serializers.CharField()
    created_at = serializers.DateTimeField()
