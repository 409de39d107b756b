"""Thin views of a habit's reminders: `…/habits/<id>/reminders/` (list, add, replace all) and
`…/reminders/<HH:MM>/` (remove). A reminder is named by its local time (one per time and
habit), so no row id is exposed. Only the owner reaches them: anyone else gets the habit's 404."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.security.requests import SignedInRequest
from cotask_common.views import paginated, valid
from habits.tracking import reminders
from habits.tracking.reminders import MAX_REMINDERS_PER_HABIT, ReminderNotFound

TIME_FORMAT = "%H:%M"


class LocalTimeField(serializers.TimeField):
    """HH:MM (24-hour) in the owner's zone; seconds are refused, not dropped silently."""

    default_error_messages = {"invalid": _("Use a 24-hour local time HH:MM, e.g. 07:30.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=TIME_FORMAT, input_formats=[TIME_FORMAT], **kwargs)


class ReminderInput(serializers.Serializer):
    local_time = LocalTimeField()


class RemindersInput(serializers.Serializer):
    local_times = serializers.ListField(
        child=LocalTimeField(), max_length=MAX_REMINDERS_PER_HABIT, allow_empty=True
    )


class ReminderOutput(serializers.Serializer):
    local_time = serializers.TimeField(format=TIME_FORMAT)
    next_fire_at = serializers.DateTimeField(allow_null=True)
    last_fired_day = serializers.DateField(allow_null=True)


HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _time(value: str) -> time:
    if not HH_MM.fullmatch(value):
        raise ReminderNotFound()
    return time.fromisoformat(value)


class ReminderListApi(APIView):
    @extend_schema(responses=ReminderOutput(many=True), summary="The habit's reminders")
    def get(self, request: SignedInRequest, habit_id: str) -> Response:
        found = reminders.reminders_of(user=request.user, habit_id=habit_id)
        return paginated(self, request, found, ReminderOutput, ordering=("local_time",))

    @extend_schema(request=ReminderInput, responses={201: ReminderOutput}, summary="Add a reminder")
    def post(self, request: SignedInRequest, habit_id: str) -> Response:
        data = valid(ReminderInput, request.data)
        reminder = reminders.reminder_create(user=request.user, habit_id=habit_id, **data)
        return Response(ReminderOutput(reminder).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RemindersInput,
        responses=inline_serializer("ReminderSet", {"results": ReminderOutput(many=True)}),
        summary="Set the habit's reminders (replaces them all)",
    )
    def put(self, request: SignedInRequest, habit_id: str) -> Response:
        data = valid(RemindersInput, request.data)
        found = reminders.reminders_replace(user=request.user, habit_id=habit_id, **data)
        return Response({"results": ReminderOutput(found, many=True).data})


class ReminderDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Remove the reminder at HH:MM")
    def delete(self, request: SignedInRequest, habit_id: str, local_time: str) -> Response:
        reminders.reminder_delete(
            user=request.user, habit_id=habit_id, local_time=_time(local_time)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
