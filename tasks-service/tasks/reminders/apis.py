"""Thin views of deadline reminders: my defaults, a task's override (and my reminders of it),
my upcoming reminders, a snooze."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.security.requests import SignedInRequest
from cotask_common.users.models import UserRef
from cotask_common.views import paginated, valid
from tasks.planning.selectors import task_for
from tasks.reminders import selectors, services
from tasks.reminders.serializers import (
    ReminderOutput,
    SettingsInput,
    SettingsOutput,
    SnoozeInput,
    TaskOffsetsInput,
    TaskRemindersOutput,
)

MAX_TASK_REMINDERS = 50


def _actor(request: SignedInRequest) -> UserRef:
    return UserRef(id=request.user.id, username=request.user.username)


def _settings_out(user_id: Any) -> dict[str, Any]:
    return SettingsOutput(
        {
            "offsets_minutes": selectors.default_offsets_for(user_id=user_id),
            "all_day_time": selectors.all_day_time_for(user_id=user_id),
        }
    ).data


class ReminderSettingsApi(APIView):
    @extend_schema(responses=SettingsOutput, summary="My reminder defaults")
    def get(self, request: SignedInRequest) -> Response:
        return Response(_settings_out(request.user.id))

    @extend_schema(
        request=SettingsInput, responses=SettingsOutput, summary="Change my reminder defaults"
    )
    def patch(self, request: SignedInRequest) -> Response:
        data = valid(SettingsInput, request.data)
        found = services.update_settings(user=_actor(request), **data)
        return Response(SettingsOutput(found).data)


def _task_reminders_out(user_id: Any, task_id: Any) -> dict[str, Any]:
    rows = list(
        selectors.upcoming_for(user_id=user_id, task_id=task_id).order_by("remind_at", "id")[
            :MAX_TASK_REMINDERS
        ]
    )
    return TaskRemindersOutput(
        {
            "offsets_minutes": selectors.task_override(task_id=task_id),
            "my_offsets_minutes": selectors.offsets_for(task_id=task_id, user_id=user_id),
            "reminders": rows,
        }
    ).data


class TaskRemindersApi(APIView):
    @extend_schema(
        responses=TaskRemindersOutput,
        summary="The task's reminder offsets and my reminders of it",
    )
    def get(self, request: SignedInRequest, task_id: str) -> Response:
        task, _membership = task_for(user=_actor(request), task_id=task_id)
        return Response(_task_reminders_out(request.user.id, task.id))

    @extend_schema(
        request=TaskOffsetsInput,
        responses=TaskRemindersOutput,
        summary="Set the task's own reminder offsets (null: everyone's defaults)",
    )
    def put(self, request: SignedInRequest, task_id: str) -> Response:
        data = valid(TaskOffsetsInput, request.data)
        task = services.set_task_offsets(
            user=_actor(request), task_id=task_id, offsets_minutes=data["offsets_minutes"]
        )
        return Response(_task_reminders_out(request.user.id, task.id))


class MyRemindersApi(APIView):
    @extend_schema(responses=ReminderOutput(many=True), summary="My upcoming reminders")
    def get(self, request: SignedInRequest) -> Response:
        rows = selectors.upcoming_for(user_id=request.user.id)
        return paginated(self, request, rows, ReminderOutput, ordering=("remind_at", "id"))


class SnoozeApi(APIView):
    @extend_schema(request=SnoozeInput, responses=ReminderOutput, summary="Snooze a reminder")
    def post(self, request: SignedInRequest, reminder_id: str) -> Response:
        data = valid(SnoozeInput, request.data)
        found = services.snooze(user=_actor(request), reminder_id=reminder_id, **data)
        return Response(ReminderOutput(found).data)
