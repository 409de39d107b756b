"""Thin views of the concretizer: ask (202 with the job), read, answer the questions, break a
step down, accept the edited steps."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.users.models import UserRef
from cotask_common.views import valid
from tasks.concretizer import selectors, services
from tasks.concretizer.models import Plan, PlanStatus
from tasks.concretizer.serializers import (
    AcceptInput,
    AcceptOutput,
    AnswersInput,
    ConcretizeInput,
    PlanOutput,
)


def _actor(request: SignedInRequest) -> UserRef:
    return UserRef(id=request.user.id, username=request.user.username)


def _answer(plan: Plan, created: bool) -> Response:
    """A new or still running job: 202; an identical earlier request's finished plan: 200."""
    ready = not created and plan.status in (PlanStatus.DONE, PlanStatus.FAILED)
    return Response(
        PlanOutput(plan).data, status=status.HTTP_200_OK if ready else status.HTTP_202_ACCEPTED
    )


class ConcretizeApi(APIView):
    @extend_schema(
        request=ConcretizeInput,
        responses={
            202: PlanOutput,
            200: PlanOutput,
            404: error_response("No task with this `task_id` (`task_not_found`)"),
        },
        summary="Concretize a goal or a task into steps (a job; the result also comes live)",
        description="Give `goal`, `task_id` or both (neither is a 400 `goal_or_task` naming "
        "`goal`).",
    )
    def post(self, request: SignedInRequest) -> Response:
        data: dict[str, Any] = valid(ConcretizeInput, request.data)
        plan, created = services.request_plan(actor=_actor(request), **data)
        return _answer(plan, created)


class PlanApi(APIView):
    @extend_schema(responses=PlanOutput, summary="A plan of mine")
    def get(self, request: SignedInRequest, plan_id: str) -> Response:
        plan = selectors.plan_for(owner_id=request.user.id, plan_id=plan_id)
        return Response(PlanOutput(plan).data)


class AnswersApi(APIView):
    @extend_schema(
        request=AnswersInput,
        responses={
            202: PlanOutput,
            409: error_response(
                "The plan asks no questions (`no_questions`) or was accepted "
                "(`plan_already_accepted`)"
            ),
        },
        summary="Answer a plan's clarifying questions (the plan is made again)",
    )
    def post(self, request: SignedInRequest, plan_id: str) -> Response:
        data = valid(AnswersInput, request.data)
        plan = services.answer_questions(actor=_actor(request), plan_id=plan_id, **data)
        return Response(PlanOutput(plan).data, status=status.HTTP_202_ACCEPTED)


class BreakdownApi(APIView):
    @extend_schema(
        request=None,
        responses={202: PlanOutput, 200: PlanOutput},
        summary="Break one step of a plan down further (a new plan for that step)",
    )
    def post(self, request: SignedInRequest, plan_id: str, step: int) -> Response:
        plan, created = services.request_breakdown(
            actor=_actor(request), plan_id=plan_id, step=step
        )
        return _answer(plan, created)


class AcceptApi(APIView):
    @extend_schema(
        request=AcceptInput,
        responses={
            201: AcceptOutput,
            409: error_response(
                "Already accepted (`plan_already_accepted`), or no steps yet (`plan_not_ready`)"
            ),
        },
        summary="Accept the (edited) steps: they become subtasks of the task, in one go",
    )
    def post(self, request: SignedInRequest, plan_id: str) -> Response:
        data = valid(AcceptInput, request.data)
        plan, task, made = services.accept_plan(
            actor=_actor(request),
            plan_id=plan_id,
            steps=[dict(s) for s in data["steps"]] if "steps" in data else None,
            room_id=data.get("room_id"),
        )
        body = {"plan": plan, "task_id": task.id, "subtask_ids": [t.id for t in made]}
        return Response(AcceptOutput(body).data, status=status.HTTP_201_CREATED)
