from __future__ import annotations

from rest_framework import serializers

from social.api import UserBrief


class SettingsInput(serializers.Serializer):
    task_completed = serializers.BooleanField(
        required=False, help_text="Tasks I complete in rooms that share progress"
    )
    streak_milestone = serializers.BooleanField(
        required=False, help_text="Habit streaks of 7, 30, 100 and 365 days (or weeks)"
    )
    cards_daily = serializers.BooleanField(required=False, help_text="Each study day's reviews")
    cards_weekly = serializers.BooleanField(
        required=False, help_text="The week's reviews, posted with Sunday's study day"
    )
    plan_accepted = serializers.BooleanField(
        required=False, help_text="Plans I accept from the concretizer (the number of steps)"
    )
    room_milestone = serializers.BooleanField(
        required=False,
        help_text="My rooms reaching 10, 50, 100, 500 or 1000 completed tasks, where the room "
        "shares progress (a private room is not named)",
    )


class SettingsOutput(SettingsInput):
    language = serializers.CharField(help_text="The language the posts are written in")


class MuteStateOutput(serializers.Serializer):
    muted = serializers.BooleanField()
    changed = serializers.BooleanField()


class MuteOutput(serializers.Serializer):
    person = UserBrief()
    created_at = serializers.DateTimeField()
