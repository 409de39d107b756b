"""The reminders API's shapes: defaults, a task's override, a reminder, a snooze."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks.reminders.models import MAX_OFFSET_MINUTES, MAX_OFFSETS
from tasks.reminders.services import MAX_SNOOZE_MINUTES

TIME_FORMAT = "%H:%M"


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET_MINUTES},
        "maxItems": MAX_OFFSETS,
        "uniqueItems": True,  # the document says "distinct" as the field checks it
    }
)
class OffsetsField(serializers.ListField):
    """Minutes before a deadline: at most MAX_OFFSETS, each 0..MAX_OFFSET_MINUTES, distinct."""

    default_error_messages = {"duplicate": _("Each offset may be given only once.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.IntegerField(min_value=0, max_value=MAX_OFFSET_MINUTES),
            max_length=MAX_OFFSETS,
            allow_empty=True,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> list[int]:
        values = super().to_internal_value(data)
        if len(set(values)) != len(values):
            self.fail("duplicate")
        return sorted(values, reverse=True)


class LocalTimeField(serializers.TimeField):
    default_error_messages = {"invalid": _("Use a 24-hour local time HH:MM, e.g. 09:00.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=TIME_FORMAT, input_formats=[TIME_FORMAT], **kwargs)


class SettingsInput(serializers.Serializer):
    offsets_minutes = OffsetsField(required=False)
    all_day_time = LocalTimeField(required=False)


class SettingsOutput(serializers.Serializer):
    offsets_minutes = serializers.ListField(child=serializers.IntegerField())
    all_day_time = serializers.TimeField(format=TIME_FORMAT)


class TaskOffsetsInput(serializers.Serializer):
    offsets_minutes = OffsetsField(allow_null=True)


class ReminderOutput(serializers.Serializer):
    id = serializers.UUIDField()
    task_id = serializers.UUIDField()
    title = serializers.CharField(source="task.title")
    room_id = serializers.UUIDField(source="task.room_id")
    room_name = serializers.CharField(source="task.room.name")
    minutes_before = serializers.IntegerField()
    remind_at = serializers.DateTimeField()
    snoozed = serializers.SerializerMethodField()
    due_date = serializers.DateField(source="task.due_date", allow_null=True)
    due_at = serializers.DateTimeField(source="task.due_at", allow_null=True)

    def get_snoozed(self, obj: Any) -> bool:
        return obj.snoozed_at is not None


class TaskRemindersOutput(serializers.Serializer):
    offsets_minutes = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    my_offsets_minutes = serializers.ListField(child=serializers.IntegerField())
    reminders = ReminderOutput(many=True)


class SnoozeInput(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_SNOOZE_MINUTES)
