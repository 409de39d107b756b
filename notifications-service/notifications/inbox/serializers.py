"""Input validation and output shapes (the notification shape itself is
`selectors.notification_dict`, shared with the websocket)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers

from cotask_common.openapi import documented
from cotask_common.views import QueryBooleanField
from notifications.inbox import selectors
from notifications.inbox.models import CHAT_EMAIL_DELAYS, EmailFrequency, Notification
from notifications.inbox.types import TYPES


class NotificationListInput(serializers.Serializer):
    unread = QueryBooleanField(required=False)
    type = serializers.ChoiceField(choices=sorted(TYPES), required=False)


class ActorOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TargetOutput(serializers.Serializer):
    service = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.CharField()


class NotificationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    cursor = serializers.IntegerField(help_text="The per-user sequence; the websocket cursor.")
    type = serializers.CharField()
    actor = ActorOutput(allow_null=True, help_text="The latest actor of a grouped notification.")
    actor_count = serializers.IntegerField(help_text="How many people (grouped bursts).")
    target = TargetOutput(allow_null=True)
    text = serializers.CharField(help_text="In the recipient's language (en, ru, uk).")
    language = serializers.CharField()
    data = serializers.DictField()
    read = serializers.BooleanField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        return selectors.notification_dict(notification=instance)


class UnreadCountOutput(serializers.Serializer):
    unread = serializers.IntegerField()
    cursor = serializers.IntegerField()


class ReadAllInput(serializers.Serializer):
    up_to_cursor = serializers.IntegerField(
        required=False, min_value=0, help_text="Only what the client has seen (optional)."
    )


class ReadAllOutput(serializers.Serializer):
    marked = serializers.IntegerField()


class ChannelsInput(serializers.Serializer):
    in_app = serializers.BooleanField(required=False)
    realtime = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)


CHANNELS = {
    "type": "object",
    "properties": {name: {"type": "boolean"} for name in ("in_app", "realtime", "email")},
}


class PreferencesInput(serializers.Serializer):
    email_frequency = serializers.ChoiceField(choices=EmailFrequency.choices, required=False)
    # An integer of the offered ones (a JSON integer: DRF's ChoiceField would take "60" too).
    chat_email_delay_minutes = documented(
        serializers.IntegerField,
        lambda: {"type": "integer", "enum": list(CHAT_EMAIL_DELAYS)},
        required=False,
        help_text="Minutes chat messages may stay unread before one email tells of them "
        "(`chat_message`'s email channel switches that email off).",
    )

    def validate_chat_email_delay_minutes(self, value: int) -> int:
        if value not in CHAT_EMAIL_DELAYS:
            raise serializers.ValidationError(
                _("One of: %(delays)s.") % {"delays": ", ".join(map(str, CHAT_EMAIL_DELAYS))},
                code="invalid_choice",
            )
        return value

    # validate_types refuses an unknown type, with its own message.
    types = documented(
        serializers.DictField,
        lambda: {
            "type": "object",
            "properties": {name: CHANNELS for name in TYPES},
            "additionalProperties": False,
        },
        child=ChannelsInput(),
        required=False,
    )

    def validate_types(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(TYPES))
        if unknown:
            raise serializers.ValidationError(
                ngettext(
                    "Unknown notification type: %(unknown)s. Known: %(known)s.",
                    "Unknown notification types: %(unknown)s. Known: %(known)s.",
                    len(unknown),
                )
                % {"unknown": ", ".join(unknown), "known": ", ".join(TYPES)},
                code="unknown_type",
            )
        return value


class TypePreferenceOutput(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    in_app = serializers.BooleanField()
    realtime = serializers.BooleanField()
    email = serializers.BooleanField()
    email_always = serializers.BooleanField(help_text="Account messages are emailed regardless.")
    email_digest = serializers.BooleanField(help_text="Emailed in a digest, never one by one.")


class PreferencesOutput(serializers.Serializer):
    email_frequency = serializers.ChoiceField(choices=EmailFrequency.choices)
    chat_email_delay_minutes = serializers.ChoiceField(choices=CHAT_EMAIL_DELAYS)
    types = TypePreferenceOutput(many=True)


class PageSubscriptionInput(serializers.Serializer):
    page_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class PageSubscriptionOutput(serializers.Serializer):
    page_id = serializers.UUIDField()
    page_name = serializers.CharField()
    new_posts = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_new_posts(self, obj: Any) -> bool:
        return True


class TicketOutput(serializers.Serializer):
    ticket = serializers.CharField(help_text="Connect to /ws/?ticket=<ticket> once, soon.")
    expires_in = serializers.IntegerField(help_text="Seconds.")


class UnsubscribeInput(serializers.Serializer):
    token = serializers.CharField(max_length=2000)


class UnsubscribeOutput(serializers.Serializer):
    unsubscribed = serializers.CharField(help_text="A notification type, or '*' for all emails.")
