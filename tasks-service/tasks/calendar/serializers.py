"""Input and output shapes of the calendar feed API."""

from __future__ import annotations

from rest_framework import serializers


class FeedInput(serializers.Serializer):
    room_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A room I am in: its tasks. Left out or null: the tasks assigned to me.",
    )


class FeedRoom(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class FeedOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField(help_text="`person` (my tasks) or `room`.")
    room = FeedRoom(allow_null=True)
    created_at = serializers.DateTimeField()
    rotated_at = serializers.DateTimeField(allow_null=True)
    last_fetched_at = serializers.DateTimeField(
        allow_null=True, help_text="When a calendar app last fetched it (to the hour)."
    )


class NewFeedOutput(FeedOutput):
    url = serializers.CharField(help_text="The secret address, shown only now.")
    webcal_url = serializers.CharField(help_text="The same address for a calendar app's link.")
