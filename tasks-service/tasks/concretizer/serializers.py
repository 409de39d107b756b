"""Input checks and the JSON of plans."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tasks.concretizer.planner import LANGUAGES, LEVELS, MAX_QUESTIONS, MAX_STEPS
from tasks.concretizer.services import (
    MAX_ANSWER_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_GOAL_CHARS,
    MAX_TITLE_CHARS,
)

MAX_MINUTES_PER_DAY = 24 * 60
MAX_MINUTES_PER_WEEK = 7 * 24 * 60


class _Context(serializers.Serializer):
    deadline = serializers.DateField(required=False, allow_null=True)
    minutes_per_day = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_MINUTES_PER_DAY
    )
    minutes_per_week = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_MINUTES_PER_WEEK
    )


class ConcretizeInput(_Context):
    goal = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_GOAL_CHARS, trim_whitespace=True
    )
    task_id = serializers.CharField(required=False, allow_null=True, max_length=64)
    level = serializers.ChoiceField(choices=LEVELS, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("goal") and not attrs.get("task_id"):
            # A rule across fields (stated in the operation's description).
            raise serializers.ValidationError(
                {"goal": [_("Give a goal or a task.")]}, code="goal_or_task"
            )
        return attrs


class AnswersInput(_Context):
    answers = serializers.ListField(
        child=serializers.CharField(max_length=MAX_ANSWER_CHARS, allow_blank=True),
        min_length=1,
        max_length=MAX_QUESTIONS,
    )


class StepInput(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TITLE_CHARS)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_DESCRIPTION_CHARS
    )
    estimate_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100_000
    )
    due = serializers.DateField(required=False, allow_null=True)
    depends_on = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_STEPS),
        required=False,
        max_length=MAX_STEPS,
    )


class AcceptInput(serializers.Serializer):
    steps = StepInput(many=True, required=False, max_length=MAX_STEPS)  # type: ignore[call-arg]
    room_id = serializers.UUIDField(required=False, allow_null=True)


class StepOutput(serializers.Serializer):
    n = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    estimate_minutes = serializers.IntegerField(allow_null=True)
    due = serializers.CharField(allow_null=True)
    depends_on = serializers.ListField(child=serializers.IntegerField())
    task_id = serializers.CharField(required=False)


class PlanOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    provider = serializers.CharField(allow_null=True, source="provider_or_none")
    fallback_reason = serializers.CharField()
    goal = serializers.CharField()
    language = serializers.CharField()
    task_id = serializers.UUIDField(allow_null=True)
    parent_id = serializers.UUIDField(allow_null=True)
    parent_step = serializers.IntegerField(allow_null=True)
    # A field named like Serializer.context: DRF's metaclass moves it into `_declared_fields`.
    context = serializers.DictField()  # type: ignore[assignment]
    answers = serializers.ListField(child=serializers.CharField())
    questions = serializers.ListField(child=serializers.CharField())
    steps = StepOutput(many=True)
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    accepted_task_id = serializers.UUIDField(allow_null=True)


class AcceptOutput(serializers.Serializer):
    plan = PlanOutput()
    task_id = serializers.UUIDField()
    subtask_ids = serializers.ListField(child=serializers.UUIDField())
